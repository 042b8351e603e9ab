/**
 * Helpers for testing code that uses `activity-dump`: build realistic events without a
 * collector, run the manager on fake timers, keep persisted dumps and metrics in memory, and
 * check a storage backend against the conformance suite.
 *
 * @packageDocumentation
 */
export { MemoryStorage, type MemoryStorageOptions, type StoredDump } from '../storage/memory-storage.js';
export {
  type BuildLineageOptions,
  buildLineage,
  type EventOf,
  event,
  type LineageStep,
} from './event-builders.js';
export { clockFromFakeTimers, type FakeTimersClock } from './fake-clock.js';
export { type RecordedMetric, RecordingMetrics } from './recording-metrics.js';
export { seededRandom } from './seeded-random.js';
export {
  type ConformanceCase,
  type ConformanceSubject,
  conformanceDump,
  storageConformanceCases,
} from './storage-conformance.js';
