/**
 * Helpers for testing code that uses `activity-dump`: build realistic events without a
 * collector.
 *
 * @packageDocumentation
 */
export { type BuildLineageOptions, buildLineage, event, type LineageStep } from './event-builders.js';
