import type { OpenEvent } from '../events/activity-event.js';
import { copyFileInfo } from '../events/copy-records.js';
import type { FileInfo } from '../events/file-info.js';
import { FileNode } from './file-node.js';
import { touchImageTag } from './image-tags.js';
import type { InsertContext } from './insert-context.js';
import { appendMatchedRules } from './matched-rules.js';
import { internOpen } from './open-node.js';
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

/** What an `open` event brings to its leaf (the event itself fits). */
export type OpenDetails = Pick<OpenEvent, 'file' | 'flags' | 'mode' | 'retval'>;

/**
 * Inserts a (reduced) path into a process's file prefix tree. Returns whether a component was
 * missing (and, unless dry-run, created). When the path existed, `ctx.visited` holds its nodes.
 */
export function insertFilePath(
  processNode: ProcessNode,
  path: string,
  details: OpenDetails,
  ctx: InsertContext,
): boolean {
  const visited = ctx.visited;
  visited.length = 0;
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
    visited.push(node);
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
  const node = new FileNode(name, ctx.generationType, leafFile(details.file, path, name));
  node.open = internOpen(details.retval ?? 0, (details.flags ?? 0) >>> 0, (details.mode ?? 0) >>> 0);
  node.matchedRules = appendMatchedRules(undefined, ctx.matchedRules);
  return node;
}

// A leaf keeps a copy of the event's file with the reduced path, or just that path when the
// event said nothing else about the file (most collectors), which saves an object per leaf.
function leafFile(file: FileInfo, path: string, name: string): FileInfo | string {
  for (const key in file) {
    if (key !== 'path' && key !== 'basename' && file[key as keyof FileInfo] !== undefined) {
      return copyFileInfo(file, { path, basename: name });
    }
  }
  return path;
}

/**
 * Does to an already known path (its nodes, top-level first) what the walk of
 * {@link insertFilePath} would: re-stamp the components below the top level, enrich the leaf.
 */
export function touchKnownPath(nodes: readonly FileNode[], details: OpenDetails, ctx: InsertContext): void {
  if (ctx.dryRun) return;
  if (ctx.imageTag !== '') {
    for (let i = 1; i < nodes.length; i++) {
      const node = nodes[i]!;
      node.imageTags = touchImageTag(node.imageTags, ctx.imageTag, ctx.time);
    }
  }
  enrich(nodes[nodes.length - 1]!, details, ctx);
}

function enrich(node: FileNode, details: OpenDetails, ctx: InsertContext): void {
  node.matchedRules = appendMatchedRules(node.matchedRules, ctx.matchedRules);
  node.recordOpen(details.retval ?? 0, details.flags ?? 0, details.mode ?? 0);
}
