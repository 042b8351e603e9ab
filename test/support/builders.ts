import type { ActivityEvent, OpenEvent } from '../../src/events/activity-event.js';
import type { ProcessContext, ProcessInfo } from '../../src/events/process.js';
import type { ActivityTree } from '../../src/tree/activity-tree.js';
import type { ProcessNode } from '../../src/tree/process-node.js';

/** A process image with an executable path; inode and mount id default to `inode`. */
export function proc(pid: number, path: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const inode = BigInt(pid);
  return { pid, file: { path, inode, mountId: pid }, argv0: path.slice(path.lastIndexOf('/') + 1), ...extra };
}

/** A process context: the process followed by its ancestors, nearest first. */
export function lineage(process: ProcessInfo, ...ancestors: ProcessInfo[]): ProcessContext {
  return { ...process, ancestors };
}

export function exec(process: ProcessContext): ActivityEvent {
  return { type: 'exec', process };
}

export function open(process: ProcessContext, path: string, extra: Partial<OpenEvent> = {}): OpenEvent {
  return { type: 'open', process, file: { path }, ...extra };
}

/** A compact text of the process forest: `foo(bar,baz)` with `*` marking exec children. */
export function shape(tree: ActivityTree): string {
  const one = (n: ProcessNode): string => {
    const name = `${n.isExecExec ? '*' : ''}${n.process.file.path.slice(n.process.file.path.lastIndexOf('/') + 1)}`;
    return n.children.length === 0 ? name : `${name}(${n.children.map(one).join(',')})`;
  };
  return tree.roots.map(one).join(' ');
}
