/**
 * Where the library reports its metrics: a DogStatsD-like client. Names are the Datadog
 * Agent's (see {@link METRIC_NAMES}), tags are `name:value` strings.
 */
export interface Metrics {
  /** Adds `value` to a counter. */
  count(name: string, value: number, tags?: readonly string[]): void;
  /** Sets a gauge. */
  gauge(name: string, value: number, tags?: readonly string[]): void;
}

/** Metrics that go nowhere: the default. */
export const noopMetrics: Metrics = {
  count() {},
  gauge() {},
};

const RUNTIME = 'datadog.runtime_security.activity_dump';
const AGENT = 'datadog.security_agent.activity_dump';

/** The agent's metric names, which dashboards and monitors built for it already use. */
export const METRIC_NAMES = {
  activeDumps: `${RUNTIME}.active_dumps`,
  emptyDumpDropped: `${RUNTIME}.empty_dump_dropped`,
  dropMaxDumpReached: `${RUNTIME}.drop_max_dump_reached`,
  workloadDenyListHits: `${RUNTIME}.workload_deny_list_hits`,
  sizeInMemory: `${RUNTIME}.size_in_memory`,
  loadControllerTriggered: `${RUNTIME}.load_controller_triggered`,
  eventProcessed: `${RUNTIME}.event.processed`,
  eventAdded: `${RUNTIME}.event.added`,
  eventDropped: `${RUNTIME}.event.dropped`,
  sizeInBytes: `${RUNTIME}.size_in_bytes`,
  persistedDumps: `${RUNTIME}.persisted_dumps`,
  localStorageCount: `${AGENT}.local_storage.count`,
  localStorageDeleted: `${AGENT}.local_storage.deleted`,
  entityTooLarge: `${AGENT}.entity_too_large`,
  /** Ours: events the admission turned away, tagged `reason:<reason>`. */
  admissionRejected: `${RUNTIME}.admission.rejected`,
  /** Ours: dumps dropped without being persisted, tagged `reason:<reason>`. */
  droppedDumps: `${RUNTIME}.dropped_dumps`,
} as const;
