import { mapConcurrently } from '../../concurrency-limiter.js';
import type { ProcessSnapshotter, SnapshotRequest } from '../../manager/process-snapshotter.js';
import type { WorkloadRef } from '../../manager/workload-ref.js';
import type { ActivityEvent, EventType } from '../activity-event.js';
import type { ProcessContext } from '../process.js';
import { bindEventOf, parseSocketTarget } from './net-sockets.js';
import { ProcReader, type ProcReaderOptions } from './proc-reader.js';
import { type ProcEntry, ProcessTable, READ_CONCURRENCY } from './process-table.js';

/** Most file descriptors read per process (sampled above it), as the agent. */
export const MAX_FDS_PER_PROCESS = 1024;
/** Most memory-mapped files per process, as the agent. */
export const MAX_MAPPED_FILES = 128;

/** Options of a {@link ProcfsSnapshotter}. */
export interface ProcfsSnapshotterOptions extends ProcReaderOptions {
  /** Most fds read per process. @default 1024 */
  maxFdsPerProcess?: number;
  /** Most mapped files per process. @default 128 */
  maxMappedFiles?: number;
}

/** What the last snapshots read, and what they had to skip. */
export interface SnapshotStats {
  processes: number;
  files: number;
  sockets: number;
  /** Entries skipped because a process vanished, a read was refused, or an entry was malformed. */
  skipped: Record<string, number>;
}

/** Whether a process belongs to a workload: its container, its cgroup, or the host. */
export function belongsTo(entry: ProcEntry, workload: WorkloadRef): boolean {
  if (workload.containerId !== '') return entry.identity.containerId === workload.containerId;
  if (workload.cgroupId !== '') return entry.identity.cgroupId === workload.cgroupId;
  return entry.identity.containerId === '';
}

function openEvent(process: ProcessContext, path: string): ActivityEvent {
  return { type: 'open', process, file: { path } };
}

/**
 * Fills a new dump with what already runs in its workload, from procfs (the agent's snapshot):
 * every process with its lineage (`exec`), its open files from `/proc/<pid>/fd` (at most 1024,
 * sampled above that) and its memory-mapped files (at most 128, the executable left out) as
 * `open` when `open` is traced, and its bound sockets — socket inodes of its fds matched
 * against `/proc/<pid>/net/{tcp,tcp6,udp,udp6}` — as `bind` when `bind` is traced. Processes
 * that vanish mid-read, refused reads and malformed entries are skipped and counted in
 * {@link ProcfsSnapshotter.stats}, never fatal.
 */
export class ProcfsSnapshotter implements ProcessSnapshotter {
  private readonly reader: ProcReader;
  private readonly maxFds: number;
  private readonly maxMapped: number;
  private readonly counts = { processes: 0, files: 0, sockets: 0 };

  constructor(options: ProcfsSnapshotterOptions = {}) {
    this.reader = new ProcReader(options);
    this.maxFds = options.maxFdsPerProcess ?? MAX_FDS_PER_PROCESS;
    this.maxMapped = options.maxMappedFiles ?? MAX_MAPPED_FILES;
  }

  /** Totals over every snapshot taken so far. */
  get stats(): SnapshotStats {
    return { ...this.counts, skipped: { ...this.reader.skipped } };
  }

  async *snapshot(request: SnapshotRequest): AsyncGenerator<ActivityEvent> {
    const table = await ProcessTable.read(this.reader);
    const members = [...table.values()].filter((entry) => belongsTo(entry, request.workload));
    const contexts = new Map<number, ProcessContext>();
    for (const entry of members) {
      if (request.signal.aborted) return;
      const context = table.context(entry.info.pid);
      if (context === undefined) continue;
      contexts.set(entry.info.pid, context);
      this.counts.processes++;
      yield { type: 'exec', process: context };
    }
    const traced = new Set<EventType>(request.tracedEventTypes);
    if (!traced.has('open') && !traced.has('bind')) return;
    const activity = await mapConcurrently([...contexts], READ_CONCURRENCY, ([pid, context]) =>
      request.signal.aborted ? Promise.resolve([]) : this.activityOf(pid, context, traced),
    );
    for (const events of activity) {
      if (request.signal.aborted) return;
      yield* events;
    }
  }

  /** The open files, mapped files and bound sockets of one process. */
  private async activityOf(
    pid: number,
    process: ProcessContext,
    traced: ReadonlySet<EventType>,
  ): Promise<ActivityEvent[]> {
    const events: ActivityEvent[] = [];
    const { targets } = await this.reader.readFdTargets(pid, this.maxFds);
    if (traced.has('open')) {
      const mapped = await this.reader.readMappedFiles(pid, process.file.path, this.maxMapped);
      const files = new Set<string>();
      for (const target of targets) if (target.startsWith('/')) files.add(target);
      for (const path of mapped) files.add(path);
      for (const path of [...files].sort()) {
        this.counts.files++;
        events.push(openEvent(process, path));
      }
    }
    if (traced.has('bind')) {
      const inodes = targets.flatMap((target) => {
        const inode = parseSocketTarget(target);
        return inode === undefined ? [] : [inode];
      });
      if (inodes.length === 0) return events;
      const sockets = await this.reader.readSockets(pid);
      for (const inode of inodes) {
        const socket = sockets.get(inode);
        if (socket === undefined) continue;
        this.counts.sockets++;
        events.push(bindEventOf(process, socket));
      }
    }
    return events;
  }
}
