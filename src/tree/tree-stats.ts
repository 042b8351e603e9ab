import { EVENT_TYPES, type EventType } from '../events/activity-event.js';
import { generationTypeName, MAX_GENERATION_TYPE } from './generation-type.js';

/**
 * Why an event did not make it into the tree. The first four are the agent's reasons (metric
 * tag `reason:<name>`); the others make its uncounted error paths visible too.
 */
export const DROP_REASONS = [
  'event_type',
  'invalid_root_node',
  'bind_family',
  'broken_event',
  'broken_lineage',
  'process_node_not_created',
  'imds_filtered',
] as const;

/** One of {@link DROP_REASONS}. */
export type DropReason = (typeof DROP_REASONS)[number];

const TYPE_COUNT = EVENT_TYPES.length;
const GEN_COUNT = MAX_GENERATION_TYPE + 1;
const REASON_COUNT = DROP_REASONS.length;

const TYPE_INDEX: Readonly<Record<EventType, number>> = Object.fromEntries(
  EVENT_TYPES.map((t, i) => [t, i]),
) as Record<EventType, number>;
const REASON_INDEX: Readonly<Record<DropReason, number>> = Object.fromEntries(
  DROP_REASONS.map((r, i) => [r, i]),
) as Record<DropReason, number>;

/** A plain copy of the event counters, for reporting. Only non-zero entries are present. */
export interface EventCounters {
  processed: Partial<Record<EventType, number>>;
  /** Per event type, per generation type name (`runtime`, `snapshot`, …). */
  added: Partial<Record<EventType, Partial<Record<string, number>>>>;
  dropped: Partial<Record<EventType, Partial<Record<DropReason, number>>>>;
}

/**
 * Counters and node counts of an activity tree. Event counters follow the agent: `processed`
 * per event type, `added` per event type and generation type, `dropped` per event type and reason.
 */
export class ActivityTreeStats {
  processNodes = 0;
  /** File nodes as the agent counts them incrementally (top-level components and leaves). */
  fileNodes = 0;
  dnsNodes = 0;
  socketNodes = 0;
  imdsNodes = 0;
  syscallNodes = 0;
  flowNodes = 0;
  capabilityNodes = 0;
  private readonly processedCounts = new Float64Array(TYPE_COUNT);
  private readonly addedCounts = new Float64Array(TYPE_COUNT * GEN_COUNT);
  private readonly droppedCounts = new Float64Array(TYPE_COUNT * REASON_COUNT);

  /** Counts an event that reached its process node. */
  countProcessed(type: EventType): void {
    this.processedCounts[TYPE_INDEX[type]]! += 1;
  }

  /** Counts an insert that added something (or a created process node, under `exec`). */
  countAdded(type: EventType, generationType: number): void {
    this.addedCounts[TYPE_INDEX[type] * GEN_COUNT + generationType]! += 1;
  }

  /** Counts a dropped event. */
  countDropped(type: EventType, reason: DropReason): void {
    this.droppedCounts[TYPE_INDEX[type] * REASON_COUNT + REASON_INDEX[reason]]! += 1;
  }

  /** Events of this type that reached their process node. */
  processed(type: EventType): number {
    return this.processedCounts[TYPE_INDEX[type]]!;
  }

  /** Inserts of this type that added something, with this generation type. */
  added(type: EventType, generationType: number): number {
    return this.addedCounts[TYPE_INDEX[type] * GEN_COUNT + generationType] ?? 0;
  }

  /** Events of this type dropped for this reason. */
  dropped(type: EventType, reason: DropReason): number {
    return this.droppedCounts[TYPE_INDEX[type] * REASON_COUNT + REASON_INDEX[reason]]!;
  }

  /** Total dropped events, all types and reasons. */
  get totalDropped(): number {
    let sum = 0;
    for (const n of this.droppedCounts) sum += n;
    return sum;
  }

  /** The non-zero event counters as plain objects. */
  counters(): EventCounters {
    const out: EventCounters = { processed: {}, added: {}, dropped: {} };
    EVENT_TYPES.forEach((type, t) => {
      const processed = this.processedCounts[t]!;
      if (processed > 0) out.processed[type] = processed;
      const added: Partial<Record<string, number>> = {};
      let anyAdded = false;
      for (let g = 0; g < GEN_COUNT; g++) {
        const n = this.addedCounts[t * GEN_COUNT + g]!;
        if (n > 0) {
          added[generationTypeName(g)] = n;
          anyAdded = true;
        }
      }
      if (anyAdded) out.added[type] = added;
      const dropped: Partial<Record<DropReason, number>> = {};
      let anyDropped = false;
      DROP_REASONS.forEach((reason, r) => {
        const n = this.droppedCounts[t * REASON_COUNT + r]!;
        if (n > 0) {
          dropped[reason] = n;
          anyDropped = true;
        }
      });
      if (anyDropped) out.dropped[type] = dropped;
    });
    return out;
  }

  /** Returns the event counters and resets them to zero (node counts are kept), as the agent's metric flush does. */
  takeCounters(): EventCounters {
    const out = this.counters();
    this.processedCounts.fill(0);
    this.addedCounts.fill(0);
    this.droppedCounts.fill(0);
    return out;
  }
}
