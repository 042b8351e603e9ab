import type { FileInfo } from './file-info.js';

/** User and group identities and capability sets of a process. All fields default to zero values. */
export interface Credentials {
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  effectiveUid?: number;
  effectiveGid?: number;
  effectiveUser?: string;
  effectiveGroup?: string;
  fsUid?: number;
  fsGid?: number;
  fsUser?: string;
  fsGroup?: string;
  /** Effective capability set as a bit mask. @default 0n */
  capEffective?: bigint;
  /** Permitted capability set as a bit mask. @default 0n */
  capPermitted?: bigint;
}

/**
 * One process image: what the kernel knows about a process after an exec (or inherited at fork).
 *
 * Only `pid` and `file` are required. Times are nanoseconds since the Unix epoch as `bigint`.
 */
export interface ProcessInfo {
  /** Process id. */
  pid: number;
  /** Thread id. @default pid */
  tid?: number;
  /** Parent process id. @default 0 */
  ppid?: number;
  /** Process cache cookie (64-bit). @default 0n */
  cookie?: bigint;
  /** Whether this entry is a thread rather than a process. @default false */
  isThread?: boolean;
  /** The executable file. */
  file: FileInfo;
  /** Container id, `""` for host processes. @default "" */
  containerId?: string;
  /** Cgroup id (the cgroup path or the agent's cgroup identifier). @default "" */
  cgroupId?: string;
  /** Cgroup manager (`docker`, `containerd`, `systemd`, …). @default "" */
  cgroupManager?: string;
  /** Controlling terminal name. @default "" */
  tty?: string;
  /** Kernel `comm` (first 15 bytes of the process name). @default "" */
  comm?: string;
  /** Fork time in ns. @default 0n */
  forkTime?: bigint;
  /** Exec time in ns. @default 0n */
  execTime?: bigint;
  /** Exit time in ns. @default 0n */
  exitTime?: bigint;
  /** @default all zero */
  credentials?: Credentials;
  /** `argv[0]`. @default "" */
  argv0?: string;
  /** Arguments after `argv[0]`. @default [] */
  args?: string[];
  /** Whether the kernel truncated the arguments. @default false */
  argsTruncated?: boolean;
  /** Environment, as `NAME=value` strings. @default [] */
  envs?: string[];
  /** Whether the kernel truncated the environment. @default false */
  envsTruncated?: boolean;
  /**
   * This image replaced, in the same pid, an image that was itself the product of an exec
   * (for fork → exec A → exec B, B has the flag and A does not). Serialised as `is_exec_child`.
   * @default false
   */
  isExecExec?: boolean;
  /**
   * Set when the collector knows this entry's parent is missing from its cache. The tree
   * tolerates this lineage gap (it is the only one it tolerates).
   * @default false
   */
  isParentMissing?: boolean;
}

/**
 * The process an event belongs to, with its lineage.
 *
 * `ancestors` lists the ancestor chain **nearest first** (parent, grandparent, …) and should end
 * with pid 1. An exec of `/bin/bash` by a shell inside a container typically looks like
 * `{ pid: 12, file: { path: '/bin/ls' }, ancestors: [{ pid: 11, file: { path: '/bin/bash' } }, { pid: 1, file: { path: '/sbin/init' } }] }`.
 */
export interface ProcessContext extends ProcessInfo {
  /** Ancestors, nearest first, ending with pid 1 for a complete lineage. @default [] */
  ancestors?: ProcessInfo[];
}
