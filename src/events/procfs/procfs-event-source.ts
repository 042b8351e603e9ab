import { type Clock, systemClock } from '../../clock.js';
import { mapConcurrently } from '../../concurrency-limiter.js';
import { InvalidArgumentError, toError } from '../../errors.js';
import { PeriodicTask } from '../../manager/periodic-task.js';
import { checkFinite } from '../../number-checks.js';
import type { ActivityEvent } from '../activity-event.js';
import type { ProcessContext, ProcessInfo } from '../process.js';
import { bindEventOf, parseSocketTarget } from './net-sockets.js';
import { ProcReader, type ProcReaderOptions } from './proc-reader.js';
import type { ProcSocket } from './proc-types.js';
import { hasExited, type ProcEntry, ProcessTable, READ_CONCURRENCY, readProcEntry } from './process-table.js';

/** Where a {@link ProcfsEventSource} sends its events: an `ActivityDumpManager` does. */
export interface EventSink {
  handleEvents(events: Iterable<ActivityEvent>): unknown;
}

/** Options of a {@link ProcfsEventSource}. */
export interface ProcfsEventSourceOptions extends ProcReaderOptions {
  /** Receives each poll's events. */
  sink: EventSink;
  /** Time between polls, ms. @default 250 */
  interval?: number;
  /**
   * Which processes to watch (all by default), given the whole table for lineage questions;
   * the others produce no events and their fds are never read.
   */
  filter?: (entry: ProcEntry, table: ProcessTable) => boolean;
  /** Stops the source when aborted. */
  signal?: AbortSignal;
  /** @default systemClock */
  clock?: Clock;
  /** Called when a poll fails as a whole (unreadable `/proc`); the next poll still runs. */
  onError?: (error: Error) => void;
}

/** What a source has seen so far. */
export interface EventSourceStats {
  polls: number;
  events: number;
  /** Processes being watched after the last poll. */
  processes: number;
  /** Entries skipped because a process vanished, a read was refused, or an entry was malformed. */
  skipped: Record<string, number>;
}

interface Watched {
  entry: ProcEntry;
  context: ProcessContext;
  /** `exe` + NUL + the command line: a change means a new image. */
  image: string;
  files: Set<string>;
  sockets: Set<bigint>;
}

const NS_PER_MS = 1_000_000n;

function imageOf(info: ProcessInfo): string {
  return [info.file.path, info.argv0 ?? '', ...(info.args ?? [])].join('\u0000');
}

/**
 * Polls `/proc` and turns what changed into events: `exec` for a new process or a new image
 * (executable or command line) in a known one, with its ancestor chain from ppid links;
 * `exit` for a process gone; `open` for a new file among its fd targets; `bind` for a new
 * listening TCP or bound UDP socket among them. Each process's container or cgroup comes from
 * `/proc/<pid>/cgroup`.
 *
 * Polling cannot see everything the kernel would report: a process that lives shorter than
 * the interval is missed (with its files and sockets); files opened and closed between two
 * polls are missed; an image that is exec'd and replaced between polls shows only as the last
 * one; mapped files, DNS, IMDS and syscalls are not polled (a snapshot reads mapped files).
 */
export class ProcfsEventSource {
  private readonly reader: ProcReader;
  private readonly sink: EventSink;
  private readonly filter: (entry: ProcEntry, table: ProcessTable) => boolean;
  private readonly clock: Clock;
  private readonly signal: AbortSignal | undefined;
  private readonly watched = new Map<number, Watched>();
  // Every process read, watched or not: re-read only when its start time or comm changes.
  private readonly known = new Map<number, ProcEntry>();
  private readonly counts = { polls: 0, events: 0 };
  private readonly task: PeriodicTask;
  private bootTime: number | undefined;

  /** @throws {InvalidArgumentError} for a bad interval or a sink without `handleEvents`. */
  constructor(options: ProcfsEventSourceOptions) {
    if (typeof options?.sink?.handleEvents !== 'function') {
      throw new InvalidArgumentError('ProcfsEventSource needs a sink with handleEvents');
    }
    const interval = checkFinite(options.interval ?? 250, 'interval', {
      positive: true,
      unit: 'number of milliseconds',
    });
    this.reader = new ProcReader(options);
    this.sink = options.sink;
    this.filter = options.filter ?? (() => true);
    this.clock = options.clock ?? systemClock;
    const onError = options.onError ?? (() => {});
    this.task = new PeriodicTask(
      this.clock,
      interval,
      () => this.pollOnce(),
      (e) => onError(toError(e)),
      0,
    );
    this.signal = options.signal;
    this.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Counters so far. */
  get stats(): EventSourceStats {
    return { ...this.counts, processes: this.watched.size, skipped: { ...this.reader.skipped } };
  }

  /**
   * Starts polling: the first poll runs at once and reports everything already running as new
   * (idempotent; nothing happens once the signal is aborted).
   */
  start(): void {
    if (this.signal?.aborted !== true) this.task.start();
  }

  /** Stops polling; resolves once a poll in progress has delivered its events. Idempotent. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Runs one poll now and delivers its events, or joins the one in progress. */
  poll(): Promise<void> {
    return this.task.run();
  }

  private async pollOnce(): Promise<void> {
    const now = BigInt(Math.round(this.clock.now())) * NS_PER_MS;
    // The boot time never changes: read once it is known.
    this.bootTime ??= await this.reader.readBootTime();
    const bootTime = this.bootTime ?? 0;
    const pids = await this.reader.listPids();
    const events: ActivityEvent[] = [];
    const entries = new Map<number, ProcEntry>();
    const read = await mapConcurrently(pids, READ_CONCURRENCY, async (pid) => {
      const stat = await this.reader.readStat(pid);
      // A zombie has exited: it gets its exit now, not a new image read from what is left of it.
      if (stat === undefined || hasExited(stat)) return undefined;
      const cached = this.known.get(pid);
      return cached !== undefined && cached.startTicks === stat.startTicks && cached.comm === stat.comm
        ? cached
        : readProcEntry(this.reader, pid, bootTime, stat);
    });
    for (const entry of read) if (entry !== undefined) entries.set(entry.info.pid, entry);
    this.known.clear();
    for (const [pid, entry] of entries) this.known.set(pid, entry);
    for (const [pid, watched] of this.watched) {
      if (entries.has(pid)) continue;
      events.push({ type: 'exit', process: watched.context, timestamp: now });
      this.watched.delete(pid);
    }
    const table = ProcessTable.of(entries);
    const active: Watched[] = [];
    for (const [pid, entry] of entries) {
      if (!this.filter(entry, table)) continue;
      const known = this.watched.get(pid);
      if (known !== undefined && known.entry.startTicks !== entry.startTicks) {
        // The pid was reused: the process we knew exited between two polls.
        events.push({ type: 'exit', process: known.context, timestamp: now });
        this.watched.delete(pid);
      }
      const watched = this.watched.get(pid);
      const image = imageOf(entry.info);
      if (watched === undefined || watched.image !== image) {
        const context = this.contextOf(table, pid, watched, now);
        if (context === undefined) continue;
        events.push({ type: 'exec', process: context, timestamp: now });
        this.watched.set(pid, { entry, context, image, files: new Set(), sockets: new Set() });
      }
      active.push(this.watched.get(pid)!);
    }
    const activity = await mapConcurrently(active, READ_CONCURRENCY, (watched) =>
      this.collectActivity(watched, now),
    );
    for (const found of activity) events.push(...found);
    this.counts.polls++;
    this.counts.events += events.length;
    if (events.length > 0) this.sink.handleEvents(events);
  }

  /**
   * The context of a new image. For an image replacing another in the same pid, the previous
   * one is its nearest ancestor, as the kernel's process cache shows an exec chain.
   */
  private contextOf(
    table: ProcessTable,
    pid: number,
    previous: Watched | undefined,
    now: bigint,
  ): ProcessContext | undefined {
    const context = table.context(pid);
    if (context === undefined || previous === undefined) return context;
    const { ancestors: _, ...before } = previous.context;
    return {
      ...context,
      isExecExec: true,
      execTime: now,
      ancestors: [before, ...(previous.context.ancestors ?? [])],
    };
  }

  private async collectActivity(watched: Watched, now: bigint): Promise<ActivityEvent[]> {
    const events: ActivityEvent[] = [];
    const pid = watched.entry.info.pid;
    const { targets } = await this.reader.readFdTargets(pid);
    const newSockets: bigint[] = [];
    for (const target of targets) {
      if (target.startsWith('/')) {
        if (watched.files.has(target)) continue;
        watched.files.add(target);
        events.push({ type: 'open', process: watched.context, file: { path: target }, timestamp: now });
        continue;
      }
      const inode = parseSocketTarget(target);
      if (inode !== undefined && !watched.sockets.has(inode)) newSockets.push(inode);
    }
    if (newSockets.length === 0) return events;
    const sockets: Map<bigint, ProcSocket> = await this.reader.readSockets(pid);
    for (const inode of newSockets) {
      // Each socket is looked up once: a connected or non-IP one has nothing bound to report.
      watched.sockets.add(inode);
      const socket = sockets.get(inode);
      if (socket === undefined) continue;
      events.push(bindEventOf(watched.context, socket, now));
    }
    return events;
  }
}
