import type { FileInfo } from '../events/file-info.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** How a file was opened: the first return value, and the union of all flags and modes seen. */
export interface OpenNode {
  retval: number;
  flags: number;
  mode: number;
}

// Small child lists are scanned linearly: a Map per directory would cost more memory than the
// nodes themselves, and most directories in a dump have a handful of entries.
const INDEX_THRESHOLD = 8;

/**
 * One path component of a process's file prefix tree.
 *
 * `file` is set only on nodes that were a leaf when created (its `path` is the full reduced
 * path); directories created on the way down have no `file`, even if opened later.
 */
export class FileNode {
  /** The component; may be a pattern such as `sess-*`. */
  name: string;
  /** The file as first seen, on nodes that were a leaf when created. */
  file: FileInfo | undefined;
  /** How this node entered the tree. */
  generationType: GenerationType;
  /** How the file was opened, if an open of exactly this path was seen. */
  open: OpenNode | undefined;
  /** Rules that matched events on this node, one per rule id. */
  matchedRules: MatchedRule[] | undefined;
  /** Image tags the node was seen under. */
  imageTags: ImageTagTimes[] | undefined;
  /** Only for old dumps: when the node was first seen (ns), from the legacy `first_seen` field. */
  firstSeen: bigint | undefined;
  private childList: FileNode[] | undefined;
  private childIndex: Map<string, FileNode> | undefined;

  constructor(name: string, generationType: GenerationType, file?: FileInfo) {
    this.name = name;
    this.file = file;
    this.generationType = generationType;
    this.open = undefined;
    this.matchedRules = undefined;
    this.imageTags = undefined;
    this.firstSeen = undefined;
    this.childList = undefined;
    this.childIndex = undefined;
  }

  /** Whether the name is a pattern (contains `*`). */
  get isPattern(): boolean {
    return this.name.includes('*');
  }

  /** Child components, in insertion order. */
  get children(): readonly FileNode[] {
    return this.childList ?? EMPTY;
  }

  /** Number of direct children. */
  get childCount(): number {
    return this.childList?.length ?? 0;
  }

  /** The direct child with exactly this name. */
  child(name: string): FileNode | undefined {
    if (this.childIndex !== undefined) return this.childIndex.get(name);
    const list = this.childList;
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.name === name) return list[i];
    }
    return undefined;
  }

  /** The direct child named `text.slice(start, end)`, found without building that string when the list is small. */
  childIn(text: string, start: number, end: number): FileNode | undefined {
    if (this.childIndex !== undefined) return this.childIndex.get(text.slice(start, end));
    const list = this.childList;
    if (list === undefined) return undefined;
    const length = end - start;
    for (let i = 0; i < list.length; i++) {
      const name = list[i]!.name;
      if (name.length === length && text.startsWith(name, start)) return list[i];
    }
    return undefined;
  }

  /** Adds (or, for a decoded duplicate name, replaces) a child. */
  setChild(node: FileNode): void {
    const list = this.childList;
    if (list === undefined) {
      this.childList = [node];
      return;
    }
    const existing = this.child(node.name);
    if (existing !== undefined) {
      list[list.indexOf(existing)] = node;
      this.childIndex?.set(node.name, node);
      return;
    }
    list.push(node);
    if (this.childIndex !== undefined) {
      this.childIndex.set(node.name, node);
    } else if (list.length > INDEX_THRESHOLD) {
      this.childIndex = new Map(list.map((c) => [c.name, c]));
    }
  }

  /** Records an open of this exact path: the first open sets it, later ones OR flags and mode in. */
  recordOpen(retval: number, flags: number, mode: number): void {
    if (this.open === undefined) {
      this.open = { retval, flags, mode };
    } else {
      this.open.flags = (this.open.flags | flags) >>> 0;
      this.open.mode = (this.open.mode | mode) >>> 0;
    }
  }
}

const EMPTY: readonly FileNode[] = Object.freeze([]);
