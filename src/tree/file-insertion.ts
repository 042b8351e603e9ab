import type { FileInfo } from '../events/file-info.js';
import { FileNode } from './file-node.js';
import { touchImageTag } from './image-tags.js';
import type { InsertContext } from './insert-context.js';
import { appendMatchedRules } from './matched-rules.js';
import type { ProcessNode } from './process-node.js';

/**
 * The agent's `ExtractFirstParent`: the first component of `path` (a leading `/` skipped) and
 * the index just after it; `['', 0]` for `""` and `"/"`.
 */
export function extractFirstParent(path: string): [string, number] {
  const end = firstComponentEnd(path, 0);
  if (end === 0) return ['', 0];
  const start = path.charCodeAt(0) === SLASH ? 1 : 0;
  return [path.slice(start, end), end];
}

const SLASH = 47;

// End index of the component starting at `from` (after its optional leading slash); 0 when the
// remainder is empty or a lone "/".
function firstComponentEnd(path: string, from: number): number {
  const remaining = path.length - from;
  if (remaining === 0 || (remaining === 1 && path.charCodeAt(from) === SLASH)) return 0;
  const start = path.charCodeAt(from) === SLASH ? from + 1 : from;
  const slash = path.indexOf('/', start);
  return slash < 0 ? path.length : slash;
}

// A component is the last one when what follows it is empty or a single "/".
function isLast(path: string, end: number): boolean {
  return path.length <= end + 1;
}

/** The open details an `open` event brings to its leaf. */
export interface OpenDetails {
  file: FileInfo;
  flags: number;
  mode: number;
  retval: number;
}

/**
 * Inserts a (reduced) path into a process's file prefix tree. Returns whether a component was
 * missing (and, unless dry-run, created).
 */
export function insertFilePath(
  processNode: ProcessNode,
  path: string,
  details: OpenDetails,
  ctx: InsertContext,
): boolean {
  let end = firstComponentEnd(path, 0);
  if (end === 0) return false;
  let start = path.charCodeAt(0) === SLASH ? 1 : 0;
  let node = processNode.fileIn(path, start, end);
  if (node === undefined) {
    if (!ctx.dryRun) {
      processNode.setFile(createBranch(path, start, end, details, ctx, true));
    }
    return true;
  }
  // The top-level component is not re-stamped; deeper visited components are.
  for (;;) {
    if (isLast(path, end)) {
      if (!ctx.dryRun) enrich(node, details, ctx);
      return false;
    }
    start = end + 1;
    end = firstComponentEnd(path, end);
    const child = node.childIn(path, start, end);
    if (child === undefined) {
      if (!ctx.dryRun) node.setChild(createBranch(path, start, end, details, ctx, false));
      return true;
    }
    if (!ctx.dryRun) child.imageTags = touchImageTag(child.imageTags, ctx.imageTag, ctx.time);
    node = child;
  }
}

// Creates the components from [start, end) to the end of the path, returning the top one.
function createBranch(
  path: string,
  start: number,
  end: number,
  details: OpenDetails,
  ctx: InsertContext,
  topLevel: boolean,
): FileNode {
  let top: FileNode | undefined;
  let parent: FileNode | undefined;
  for (;;) {
    const name = path.slice(start, end);
    const last = isLast(path, end);
    const node = last ? createLeaf(name, path, details, ctx) : new FileNode(name, ctx.generationType);
    node.imageTags = touchImageTag(node.imageTags, ctx.imageTag, ctx.time);
    // The agent's incremental count: every new top-level component, and new leaves below it.
    if (last || (topLevel && parent === undefined)) ctx.stats.fileNodes++;
    if (parent === undefined) top = node;
    else parent.setChild(node);
    if (last) return top!;
    parent = node;
    start = end + 1;
    end = firstComponentEnd(path, end);
  }
}

function createLeaf(name: string, path: string, details: OpenDetails, ctx: InsertContext): FileNode {
  const node = new FileNode(name, ctx.generationType, { ...details.file, path, basename: name });
  node.open = { retval: details.retval, flags: details.flags >>> 0, mode: details.mode >>> 0 };
  node.matchedRules = appendMatchedRules(undefined, ctx.matchedRules);
  return node;
}

function enrich(node: FileNode, details: OpenDetails, ctx: InsertContext): void {
  node.matchedRules = appendMatchedRules(node.matchedRules, ctx.matchedRules);
  node.recordOpen(details.retval, details.flags, details.mode);
}
