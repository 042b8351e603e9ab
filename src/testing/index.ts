/**
 * Helpers for testing code that uses `activity-dump`: build realistic events without a
 * collector.
 *
 * @packageDocumentation
 */
export {
  type BuildLineageOptions,
  buildLineage,
  type EventOf,
  event,
  type LineageStep,
} from './event-builders.js';
