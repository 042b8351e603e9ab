import type { FileInfo } from '../events/file-info.js';
import { basenameOf } from '../events/file-info.js';
import type { ProcessContext, ProcessInfo } from '../events/process.js';

/** The process of an event followed by its ancestors, nearest first. */
export type ProcessChain = readonly ProcessInfo[];

/** Builds the chain of an event's process: itself, then its ancestors nearest first. */
export function processChain(process: ProcessContext): ProcessInfo[] {
  const ancestors = process.ancestors;
  if (ancestors === undefined || ancestors.length === 0) return [process];
  const chain: ProcessInfo[] = new Array(ancestors.length + 1);
  chain[0] = process;
  for (let i = 0; i < ancestors.length; i++) chain[i + 1] = ancestors[i]!;
  return chain;
}

/**
 * Lineage check of the agent: the chain must end at pid 1. A pid 1 that still has an
 * ancestor, or a chain that ends elsewhere, is broken; an entry flagged `isParentMissing`
 * stops the walk with the one tolerated gap.
 */
export function hasUsableLineage(chain: ProcessChain): boolean {
  for (let i = 0; i < chain.length; i++) {
    const entry = chain[i]!;
    if (entry.isParentMissing === true) return true;
    if (entry.pid === 1) return i === chain.length - 1;
  }
  return false;
}

/** Whether the path is a busybox binary (whose applet is told by argv0). */
export function isBusybox(path: string): boolean {
  return path === '/bin/busybox' || path === '/usr/bin/busybox';
}

/** A fileless executable (memfd): a known non-zero inode on mount id 0. */
export function isFileless(file: FileInfo): boolean {
  return file.inode !== undefined && file.inode !== 0n && file.mountId === 0;
}

function isContainerRuntime(basename: string): boolean {
  return basename.startsWith('runc') || basename.startsWith('containerd-shim');
}

/**
 * Index of the next ancestor of `chain[index]` that runs a different binary (or, for busybox,
 * a different applet), skipping forks and re-execs of the same image; -1 when there is none or
 * the walk reaches an unresolved executable (inode `0n`).
 */
export function nextInterestingAncestor(chain: ProcessChain, index: number): number {
  let current = chain[index]!;
  for (let j = index + 1; j < chain.length; j++) {
    const ancestor = chain[j]!;
    if (ancestor.file.inode === 0n) return -1;
    if (current.file.path !== ancestor.file.path) return j;
    if (isBusybox(current.file.path) && isBusybox(ancestor.file.path)) {
      if (!current.argv0 || !ancestor.argv0) return -1;
      if (current.argv0 !== ancestor.argv0) return j;
    }
    current = ancestor;
  }
  return -1;
}

/**
 * Whether `chain[index]` may be the root of a tree: it needs an interesting ancestor, and it
 * must not be a container runtime (`runc*`, `containerd-shim*`) — nor, when fileless, the
 * child of one.
 */
export function isValidRoot(chain: ProcessChain, index: number): boolean {
  const ancestor = nextInterestingAncestor(chain, index);
  if (ancestor < 0) return false;
  const file = chain[index]!.file;
  const basename = file.basename ?? basenameOf(file.path);
  if (isFileless(file)) {
    const parentFile = chain[ancestor]!.file;
    return (
      !isContainerRuntime(parentFile.basename ?? basenameOf(parentFile.path)) && !isContainerRuntime(basename)
    );
  }
  return !isContainerRuntime(basename);
}
