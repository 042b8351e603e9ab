import type { FileInfo } from '../events/file-info.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';
import { internOpen, type OpenNode } from './open-node.js';

// Children are kept in an array sorted by (name hash, name), 8 bytes each, and found by a binary
// search on integers; only very large directories switch to a Map, whose entries cost several
// times more.
const ARRAY_LIMIT = 1024;

// Rarely present data lives out of line so the common node stays small.
interface FileNodeExtras {
  matchedRules: MatchedRule[] | undefined;
  firstSeen: bigint | undefined;
}

/** 31-bit FNV-1a hash of `text.slice(start, end)` over UTF-16 code units, computed in place. */
export function nameHash(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 1;
}

// Whether `name` equals `text.slice(start, end)`, without building the slice.
function sameName(name: string, text: string, start: number, end: number): boolean {
  return name.length === end - start && text.startsWith(name, start);
}

/**
 * One path component of a process's file prefix tree.
 *
 * `file` is set only on nodes that were a leaf when created (its `path` is the full reduced
 * path); directories created on the way down have no `file`, even if opened later.
 */
export class FileNode {
  /** The component; may be a pattern such as `sess-*`. */
  readonly name: string;
  /** Hash of the name, the sort key among siblings. */
  readonly hash: number;
  /** How this node entered the tree. */
  generationType: GenerationType;
  /** How the file was opened, if an open of exactly this path was seen (shared, frozen). */
  open: OpenNode | undefined;
  /** Image tags the node was seen under. */
  imageTags: ImageTagTimes[] | undefined;
  // The leaf's file: its full path alone when the event carried nothing else, else a copy.
  private leaf: FileInfo | string | undefined;
  private kids: FileNode[] | Map<string, FileNode> | undefined;
  private extras: FileNodeExtras | undefined;

  constructor(name: string, generationType: GenerationType, file?: FileInfo | string) {
    this.name = name;
    this.hash = nameHash(name, 0, name.length);
    this.generationType = generationType;
    this.open = undefined;
    this.imageTags = undefined;
    this.leaf = file;
    this.kids = undefined;
    this.extras = undefined;
  }

  /**
   * The file as first seen, on nodes that were a leaf when created. When the event carried
   * only a path, this is a new `{ path, basename }` object on every read.
   */
  get file(): FileInfo | undefined {
    const leaf = this.leaf;
    return typeof leaf === 'string' ? { path: leaf, basename: this.name } : leaf;
  }

  set file(file: FileInfo | undefined) {
    this.leaf = file;
  }

  /** Whether the node was a leaf when created (it has a `file`). */
  get hasFile(): boolean {
    return this.leaf !== undefined;
  }

  /** Rules that matched events on this node, one per rule id. */
  get matchedRules(): MatchedRule[] | undefined {
    return this.extras?.matchedRules;
  }

  set matchedRules(rules: MatchedRule[] | undefined) {
    if (rules === undefined && this.extras === undefined) return;
    this.extras ??= { matchedRules: undefined, firstSeen: undefined };
    this.extras.matchedRules = rules;
  }

  /** Only for old dumps: when the node was first seen (ns), from the legacy `first_seen` field. */
  get firstSeen(): bigint | undefined {
    return this.extras?.firstSeen;
  }

  set firstSeen(time: bigint | undefined) {
    if (time === undefined && this.extras === undefined) return;
    this.extras ??= { matchedRules: undefined, firstSeen: undefined };
    this.extras.firstSeen = time;
  }

  /** Whether the name is a pattern (contains `*`). */
  get isPattern(): boolean {
    return this.name.includes('*');
  }

  /** Child components (unordered, like the agent's map). */
  get children(): readonly FileNode[] {
    const kids = this.kids;
    if (kids === undefined) return EMPTY;
    return Array.isArray(kids) ? kids : [...kids.values()];
  }

  /** Number of direct children. */
  get childCount(): number {
    const kids = this.kids;
    if (kids === undefined) return 0;
    return Array.isArray(kids) ? kids.length : kids.size;
  }

  /** The direct child with exactly this name. */
  child(name: string): FileNode | undefined {
    return this.childIn(name, 0, name.length);
  }

  /** The direct child named `text.slice(start, end)`, found without building that string. */
  childIn(text: string, start: number, end: number): FileNode | undefined {
    const kids = this.kids;
    if (kids === undefined) return undefined;
    if (!Array.isArray(kids)) return kids.get(text.slice(start, end));
    const hash = nameHash(text, start, end);
    for (let i = lowerBound(kids, hash); i < kids.length && kids[i]!.hash === hash; i++) {
      if (sameName(kids[i]!.name, text, start, end)) return kids[i];
    }
    return undefined;
  }

  /** Adds (or, for a decoded duplicate name, replaces) a child. */
  setChild(node: FileNode): void {
    const kids = this.kids;
    if (kids === undefined) {
      this.kids = [node];
      return;
    }
    if (!Array.isArray(kids)) {
      kids.set(node.name, node);
      return;
    }
    let i = lowerBound(kids, node.hash);
    for (; i < kids.length && kids[i]!.hash === node.hash; i++) {
      if (kids[i]!.name === node.name) {
        kids[i] = node;
        return;
      }
    }
    if (kids.length < ARRAY_LIMIT) {
      kids.splice(i, 0, node);
      return;
    }
    const map = new Map<string, FileNode>();
    for (const kid of kids) map.set(kid.name, kid);
    map.set(node.name, node);
    this.kids = map;
  }

  /** Records an open of this exact path: the first open sets it, later ones OR flags and mode in. */
  recordOpen(retval: number, flags: number, mode: number): void {
    const open = this.open;
    if (open === undefined) {
      this.open = internOpen(retval, flags >>> 0, mode >>> 0);
      return;
    }
    const merged = (open.flags | flags) >>> 0;
    const mergedMode = (open.mode | mode) >>> 0;
    if (merged !== open.flags || mergedMode !== open.mode)
      this.open = internOpen(open.retval, merged, mergedMode);
  }
}

const EMPTY: readonly FileNode[] = Object.freeze([]);

// First index whose hash is >= `hash`.
function lowerBound(kids: readonly FileNode[], hash: number): number {
  let lo = 0;
  let hi = kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (kids[mid]!.hash < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
