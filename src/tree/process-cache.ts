import type { ProcessContext, ProcessInfo } from '../events/process.js';
import type { ProcessNode } from './process-node.js';

interface Entry {
  readonly execTime: bigint;
  readonly node: ProcessNode;
  readonly context: ProcessContext;
  /** The tree's structure version when the entry was made. */
  readonly version: number;
}

// Everything of one lineage entry that the process lookup reads (selector aside).
function sameImage(a: ProcessInfo, b: ProcessInfo, compareArgs: boolean): boolean {
  if (
    a.pid !== b.pid ||
    a.file.path !== b.file.path ||
    a.file.inode !== b.file.inode ||
    a.file.mountId !== b.file.mountId ||
    a.file.basename !== b.file.basename ||
    a.argv0 !== b.argv0 ||
    a.isExecExec !== b.isExecExec ||
    a.isParentMissing !== b.isParentMissing ||
    a.containerId !== b.containerId ||
    a.cgroupId !== b.cgroupId
  ) {
    return false;
  }
  if (!compareArgs) return true;
  const x = a.args ?? [];
  const y = b.args ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameLineage(a: ProcessContext, b: ProcessContext, compareArgs: boolean): boolean {
  if (!sameImage(a, b, compareArgs)) return false;
  const x = a.ancestors ?? [];
  const y = b.ancestors ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!sameImage(x[i]!, y[i]!, compareArgs)) return false;
  return true;
}

/**
 * Remembers which node a process (by cookie and exec time) resolved to, so its next events skip
 * the lineage walk. A hit must come from the same tree structure (any created or moved process
 * node invalidates every entry, since a fresh walk could then resolve differently) and from the
 * same lineage (the same context object, or one equal in everything the walk reads), so the
 * cache never changes what the tree records.
 */
export class ProcessCache {
  private readonly entries = new Map<bigint, Entry>();
  private version = 0;

  constructor(private readonly capacity: number) {}

  /** The node recorded for this process, if the entry is still valid. */
  get(process: ProcessContext, compareArgs: boolean): ProcessNode | undefined {
    const cookie = process.cookie;
    if (cookie === undefined || cookie === 0n || this.capacity === 0) return undefined;
    const entry = this.entries.get(cookie);
    if (
      entry === undefined ||
      entry.version !== this.version ||
      entry.execTime !== (process.execTime ?? 0n)
    ) {
      return undefined;
    }
    return entry.context === process || sameLineage(entry.context, process, compareArgs)
      ? entry.node
      : undefined;
  }

  /** Records the node a process resolved to. */
  set(process: ProcessContext, node: ProcessNode): void {
    const cookie = process.cookie;
    const execTime = process.execTime ?? 0n;
    if (cookie === undefined || cookie === 0n || execTime === 0n || this.capacity === 0) return;
    if (this.entries.size >= this.capacity && !this.entries.has(cookie)) {
      // Drop the oldest entry: Maps iterate in insertion order.
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(cookie, { execTime, node, context: process, version: this.version });
  }

  /** Invalidates every entry: the tree's process structure changed. */
  structureChanged(): void {
    this.version++;
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
    this.version++;
  }
}
