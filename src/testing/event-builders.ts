import { InvalidArgumentError } from '../errors.js';
import type { ActivityEvent, EventBase, EventType } from '../events/activity-event.js';
import type { ProcessContext, ProcessInfo } from '../events/process.js';

/** One step of a lineage for {@link buildLineage}: an executable path, or a partial process. */
export type LineageStep = string | (Partial<ProcessInfo> & { path?: string });

/** Options of {@link buildLineage}. */
export interface BuildLineageOptions {
  /**
   * Container id of every process except pid 1.
   * @default ''
   */
  containerId?: string;
  /**
   * Pid of the first process after pid 1; the next ones count up from it.
   * @default 100
   */
  firstPid?: number;
  /**
   * Executable of the pid 1 process the lineage starts from; `null` leaves it out (an
   * incomplete lineage, which the tree drops).
   * @default '/sbin/init'
   */
  init?: string | null;
}

/**
 * Builds a process context from its lineage, outermost first: `buildLineage(['/bin/bash',
 * '/usr/bin/curl'])` is curl, child of bash, child of `/sbin/init` (pid 1). Each step gets a
 * pid, an inode, a mount id and `argv0`; pass an object to set more fields.
 */
export function buildLineage(
  steps: readonly LineageStep[],
  options: BuildLineageOptions = {},
): ProcessContext {
  if (steps.length === 0) throw new InvalidArgumentError('buildLineage needs at least one step');
  const firstPid = options.firstPid ?? 100;
  const init = options.init === undefined ? '/sbin/init' : options.init;
  const chain: ProcessInfo[] = [];
  if (init !== null) chain.push(makeProcess(init, { pid: 1 }, ''));
  steps.forEach((step, i) => {
    const { path, ...fields } = typeof step === 'string' ? { path: step } : step;
    chain.push(
      makeProcess(
        path ?? fields.file?.path ?? '/bin/sh',
        { pid: firstPid + i, ...fields },
        options.containerId ?? '',
      ),
    );
  });
  const process = chain.pop()!;
  return { ...process, ppid: chain.at(-1)?.pid ?? 0, ancestors: chain.reverse() };
}

function makeProcess(
  path: string,
  fields: Partial<ProcessInfo> & { pid: number },
  containerId: string,
): ProcessInfo {
  const basename = path.slice(path.lastIndexOf('/') + 1);
  return {
    containerId: fields.pid === 1 ? '' : containerId,
    argv0: basename,
    comm: basename.slice(0, 15),
    ...fields,
    file: { path, basename, inode: BigInt(fields.pid) + 1000n, mountId: 1, ...fields.file },
  };
}

/** The event of one `type`, for {@link event}. */
export type EventOf<T extends EventType> = Extract<ActivityEvent, { type: T }>;

/**
 * Builds an event of a type for a process context: `event('open', proc, { file: { path: '/etc/hosts' } })`.
 * The type-specific fields are required exactly as in {@link ActivityEvent}.
 */
export function event<T extends EventType>(
  type: T,
  process: ProcessContext,
  fields: Omit<EventOf<T>, 'type' | 'process'> & Partial<EventBase>,
): EventOf<T> {
  return { ...fields, type, process } as EventOf<T>;
}
