import { mapConcurrently } from '../../concurrency-limiter.js';
import { basenameOf } from '../file-info.js';
import type { ProcessContext, ProcessInfo } from '../process.js';
import { parseCgroupFile } from './cgroup-identity.js';
import type { ProcReader } from './proc-reader.js';
import type { CgroupIdentity, ProcStat } from './proc-types.js';

/**
 * Clock ticks per second of `/proc/<pid>/stat` start times. Linux reports `USER_HZ`, which is
 * 100 on every mainstream architecture; Node.js cannot ask `sysconf(_SC_CLK_TCK)`.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

const NS_PER_SECOND = 1_000_000_000n;
/** Processes read at once: procfs reads are cheap, but each async one waits for a worker thread. */
export const READ_CONCURRENCY = 16;

/** One process as read from procfs. */
export interface ProcEntry {
  readonly info: ProcessInfo;
  readonly ppid: number;
  /** Start time in clock ticks since boot: with the pid, it tells a reused pid apart. */
  readonly startTicks: number;
  readonly identity: CgroupIdentity;
  /** `comm` when read: a change (with the same start time) means an exec. */
  readonly comm: string;
}

/**
 * Whether a process has exited and only waits to be reaped (a zombie): its executable and
 * files are gone, so reading it would describe nothing that runs.
 */
export function hasExited(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
}

/**
 * Reads one process (from its `stat` when already read); `undefined` when it vanished, exited,
 * is a kernel thread, or cannot be read.
 */
export async function readProcEntry(
  reader: ProcReader,
  pid: number,
  bootTime: number,
  knownStat?: ProcStat,
): Promise<ProcEntry | undefined> {
  const stat = knownStat ?? (await reader.readStat(pid));
  if (stat === undefined || stat.kernelThread || hasExited(stat)) return undefined;
  const [exe, cmdline, cgroup, status] = await Promise.all([
    reader.readExe(pid),
    reader.readCmdline(pid),
    reader.readCgroup(pid),
    reader.readStatus(pid),
  ]);
  const argv = cmdline ?? [];
  // Without a readable executable (a zombie, a permission error) the command line names it best.
  const path = exe?.path ?? (argv[0]?.startsWith('/') === true ? argv[0] : `[${stat.comm}]`);
  const identity = parseCgroupFile(cgroup ?? '');
  const started =
    BigInt(Math.round(bootTime)) * NS_PER_SECOND +
    (BigInt(stat.startTicks) * NS_PER_SECOND) / BigInt(CLOCK_TICKS_PER_SECOND);
  const info: ProcessInfo = {
    pid,
    tid: pid,
    ppid: stat.ppid,
    file: { path, basename: basenameOf(path) },
    containerId: identity.containerId,
    cgroupId: identity.cgroupId,
    cgroupManager: identity.cgroupManager,
    comm: stat.comm,
    forkTime: started,
    execTime: started,
    argv0: argv[0] ?? stat.comm,
    args: argv.slice(1),
    ...(status === undefined
      ? {}
      : {
          credentials: {
            uid: status.uid,
            gid: status.gid,
            effectiveUid: status.euid,
            effectiveGid: status.egid,
            fsUid: status.fsuid,
            fsGid: status.fsgid,
            capEffective: status.capEff,
            capPermitted: status.capPrm,
          },
        }),
  };
  return { info, ppid: stat.ppid, startTicks: stat.startTicks, identity, comm: stat.comm };
}

/**
 * The processes of the system at one moment, with their lineage through ppid links: what the
 * agent's process cache holds, rebuilt from procfs.
 */
export class ProcessTable {
  private constructor(private readonly entries: ReadonlyMap<number, ProcEntry>) {}

  /** Reads every process (kernel threads and processes that vanish mid-read are left out). */
  static async read(reader: ProcReader): Promise<ProcessTable> {
    const bootTime = (await reader.readBootTime()) ?? 0;
    const read = await mapConcurrently(await reader.listPids(), READ_CONCURRENCY, (pid) =>
      readProcEntry(reader, pid, bootTime),
    );
    const entries = new Map<number, ProcEntry>();
    for (const entry of read) if (entry !== undefined) entries.set(entry.info.pid, entry);
    return new ProcessTable(entries);
  }

  /** A table over entries already read. */
  static of(entries: ReadonlyMap<number, ProcEntry>): ProcessTable {
    return new ProcessTable(entries);
  }

  get size(): number {
    return this.entries.size;
  }

  get(pid: number): ProcEntry | undefined {
    return this.entries.get(pid);
  }

  /** Every entry, by pid. */
  values(): IterableIterator<ProcEntry> {
    return this.entries.values();
  }

  /**
   * The process with its ancestors, nearest first, up to pid 1. A parent missing from the table
   * (it exited, or is outside this pid namespace) marks the last known ancestor
   * `isParentMissing`, the one gap the activity tree tolerates.
   */
  context(pid: number): ProcessContext | undefined {
    const entry = this.entries.get(pid);
    if (entry === undefined) return undefined;
    const ancestors: ProcessInfo[] = [];
    const seen = new Set([pid]);
    let current = entry;
    while (current.info.pid !== 1) {
      const parent = this.entries.get(current.ppid);
      if (parent === undefined || seen.has(parent.info.pid)) {
        const last = ancestors.pop();
        if (last === undefined) return { ...entry.info, isParentMissing: true, ancestors: [] };
        ancestors.push({ ...last, isParentMissing: true });
        break;
      }
      seen.add(parent.info.pid);
      ancestors.push(parent.info);
      current = parent;
    }
    return { ...entry.info, ancestors };
  }
}
