import type { ActivityEvent } from '../events/activity-event.js';
import type { WorkloadRef } from './workload-ref.js';

/** What {@link ProcessSnapshotter.snapshot} may return: events, now or later. */
export type SnapshotEvents = Iterable<ActivityEvent> | AsyncIterable<ActivityEvent>;

/**
 * Fills a new dump with what already runs in its workload: its processes (with their lineage),
 * open files, sockets. The manager inserts these events as `Snapshot` nodes, past admission
 * and the rate limiter, right after the dump starts (one dump at a time).
 */
export interface ProcessSnapshotter {
  /** Events describing what runs in the workload now. `signal` aborts when the dump ends first. */
  snapshot(workload: WorkloadRef, signal: AbortSignal): SnapshotEvents | Promise<SnapshotEvents>;
}
