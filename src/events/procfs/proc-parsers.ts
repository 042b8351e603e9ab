import type { ProcStat } from './proc-types.js';

/** Identities, capabilities and thread group of a process, from `/proc/<pid>/status`. */
export interface ProcStatus {
  /** Real user id. */
  readonly uid: number;
  /** Real group id. */
  readonly gid: number;
  readonly euid: number;
  readonly egid: number;
  readonly fsuid: number;
  readonly fsgid: number;
  /** Effective capability set. */
  readonly capEff: bigint;
  /** Permitted capability set. */
  readonly capPrm: bigint;
  /** Thread group id: the process id a thread belongs to. */
  readonly tgid: number;
}

const DECIMAL = /^\d+$/;
const HEX = /^[0-9A-Fa-f]+$/;
/** Task flag of kernel threads (`include/linux/sched.h`). */
const PF_KTHREAD = 0x00200000;
const DELETED_SUFFIX = ' (deleted)';
// Address range, permissions, offset, device and inode, then the path (spaces kept as they are).
const MAPS_LINE = /^[0-9A-Fa-f]+-[0-9A-Fa-f]+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/[\s\S]*)$/;

/** A decimal field as a safe integer, `undefined` otherwise. */
function decimal(field: string | undefined): number | undefined {
  if (field === undefined || !DECIMAL.test(field)) return undefined;
  const value = Number(field);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Parses `/proc/<pid>/stat`. `comm` is what lies between the first `(` and the last `)`, so names
 * such as `(tmux: server)` or `((sd-pam))` come out whole. A kernel thread is recognised by the
 * `PF_KTHREAD` task flag, which also holds inside pid namespaces where pid 2 is not kthreadd.
 *
 * @returns The fields, or `undefined` when the text does not have the kernel's shape.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = decimal(text.slice(0, open).trim());
  // Fields 3.. of proc(5): state is field 3, so field n is at index n - 3.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const ppid = decimal(fields[1]);
  const flags = decimal(fields[9 - 3]);
  const startTicks = decimal(fields[22 - 3]);
  if (pid === undefined || ppid === undefined || flags === undefined || startTicks === undefined)
    return undefined;
  if (state === undefined || state.length !== 1) return undefined;
  return {
    pid,
    ppid,
    comm: text.slice(open + 1, close),
    state,
    startTicks,
    kernelThread: (flags & PF_KTHREAD) !== 0,
  };
}

/**
 * Parses `/proc/<pid>/status` (`Key:\tvalue` lines).
 *
 * @returns The identities, or `undefined` when a needed line is missing or malformed.
 */
export function parseStatus(text: string): ProcStatus | undefined {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) values.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  // Real, effective, saved and file-system ids.
  const uids = (values.get('Uid') ?? '').split(/\s+/).map(decimal);
  const gids = (values.get('Gid') ?? '').split(/\s+/).map(decimal);
  const [uid, euid, , fsuid] = uids;
  const [gid, egid, , fsgid] = gids;
  const tgid = decimal(values.get('Tgid'));
  const capEff = values.get('CapEff');
  const capPrm = values.get('CapPrm');
  if (uids.length !== 4 || gids.length !== 4 || uids.includes(undefined) || gids.includes(undefined)) {
    return undefined;
  }
  if (
    tgid === undefined ||
    capEff === undefined ||
    !HEX.test(capEff) ||
    capPrm === undefined ||
    !HEX.test(capPrm)
  ) {
    return undefined;
  }
  return {
    uid: uid!,
    gid: gid!,
    euid: euid!,
    egid: egid!,
    fsuid: fsuid!,
    fsgid: fsgid!,
    capEff: BigInt(`0x${capEff}`),
    capPrm: BigInt(`0x${capPrm}`),
    tgid,
  };
}

/**
 * Parses the `btime` line of `/proc/stat`.
 *
 * @returns The boot time in seconds since the Unix epoch, `undefined` when there is no valid line.
 */
export function parseBootTime(text: string): number | undefined {
  for (const line of text.split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (key === 'btime' && extra === undefined) return decimal(value);
  }
  return undefined;
}

/**
 * Parses `/proc/<pid>/cmdline`: NUL-separated arguments, the terminating NUL dropped (only one, so
 * a trailing empty argument survives). Kernel threads and zombies have an empty command line: `[]`.
 * A process that rewrote its arguments (`setproctitle`) may give one space-separated string.
 */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
}

/**
 * Parses `/proc/<pid>/maps` (or `smaps`, whose extra `Key: value` lines are skipped) into the
 * files mapped: the path of every line that has one and where it is absolute, so anonymous
 * mappings and `[heap]`, `[stack]`, `[vdso]`… are left out. A ` (deleted)` suffix is stripped.
 * Spaces inside paths are kept exactly.
 *
 * @returns The distinct paths, sorted.
 */
export function parseMaps(text: string): string[] {
  const paths = new Set<string>();
  for (const line of text.split('\n')) {
    const path = MAPS_LINE.exec(line)?.[1];
    if (path !== undefined) paths.add(stripDeleted(path).path);
  }
  return [...paths].sort();
}

/** Strips the ` (deleted)` suffix the kernel adds to the link of an unlinked file. */
export function stripDeleted(path: string): { path: string; deleted: boolean } {
  return path.endsWith(DELETED_SUFFIX)
    ? { path: path.slice(0, -DELETED_SUFFIX.length), deleted: true }
    : { path, deleted: false };
}
