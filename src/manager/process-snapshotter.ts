import type { ActivityEvent, EventType } from '../events/activity-event.js';
import type { WorkloadRef } from './workload-ref.js';

/** What {@link ProcessSnapshotter.snapshot} may return: events, now or later. */
export type SnapshotEvents = Iterable<ActivityEvent> | AsyncIterable<ActivityEvent>;

/** What a snapshot is for. */
export interface SnapshotRequest {
  /** The workload whose running processes are wanted. */
  readonly workload: WorkloadRef;
  /** Event types the dump records: the snapshotter may skip work for the others (no fds without `open`). */
  readonly tracedEventTypes: readonly EventType[];
  /** Aborted when the dump ends first (or the manager closes). */
  readonly signal: AbortSignal;
}

/**
 * Fills a new dump with what already runs in its workload: its processes (with their lineage),
 * open files, sockets. The manager inserts these events as `Snapshot` nodes, past admission
 * and the rate limiter, right after the dump starts (one dump at a time).
 */
export interface ProcessSnapshotter {
  /** Events describing what runs in the workload now. */
  snapshot(request: SnapshotRequest): SnapshotEvents | Promise<SnapshotEvents>;
}
