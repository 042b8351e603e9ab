import type { FileNode } from './file-node.js';
import type { ProcessNode } from './process-node.js';

interface Entry {
  readonly owner: ProcessNode;
  readonly filesystem: string | undefined;
  /** The nodes of the path, top-level component first, leaf last. */
  readonly nodes: FileNode[];
  /** The entry of another process node for the same path. */
  next: Entry | undefined;
}

/**
 * Remembers, per raw (unreduced) path, the file nodes each process node's path resolved to, so
 * a path opened again skips the reducer and the prefix-tree walk. The reduced path depends only
 * on the process node (its pid) and the file system, so both are part of a hit.
 *
 * Two generations approximate an LRU in O(1): new entries go to the young map; when it is full
 * it becomes the old one and the previous old one is dropped; a hit in the old map moves the
 * entry back to the young one. It holds at most twice `capacity` paths.
 */
export class FilePathCache {
  private young = new Map<string, Entry>();
  private old = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  /** The nodes recorded for this path of this process node, if any. */
  get(path: string, owner: ProcessNode, filesystem: string | undefined): FileNode[] | undefined {
    let head = this.young.get(path);
    if (head === undefined) {
      head = this.old.get(path);
      if (head === undefined) return undefined;
      this.old.delete(path);
      this.store(path, head);
    }
    for (let entry: Entry | undefined = head; entry !== undefined; entry = entry.next) {
      if (entry.owner === owner) return entry.filesystem === filesystem ? entry.nodes : undefined;
    }
    return undefined;
  }

  /** Records the nodes a path resolved to (copied from a scratch list). */
  set(path: string, owner: ProcessNode, filesystem: string | undefined, nodes: readonly FileNode[]): void {
    if (this.capacity === 0) return;
    let head = this.young.get(path) ?? this.old.get(path);
    // Keep the other owners' entries for this path, replace this owner's.
    let kept: Entry | undefined;
    for (; head !== undefined; head = head.next) {
      if (head.owner !== owner) kept = { ...head, next: kept };
    }
    this.old.delete(path);
    this.store(path, { owner, filesystem, nodes: nodes.slice(), next: kept });
  }

  /** Forgets everything (after nodes were removed or replaced). */
  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private store(path: string, entry: Entry): void {
    if (!this.young.has(path) && this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(path, entry);
  }
}
