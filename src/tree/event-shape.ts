import type { ActivityEvent } from '../events/activity-event.js';
import type { ProcessContext, ProcessInfo } from '../events/process.js';

/**
 * Whether an event has the fields the tree reads, with the right types (its ancestors aside,
 * see {@link hasWellFormedAncestors}). Events built by hand
 * in plain JavaScript (or decoded from untrusted input) that fail this are dropped as
 * `broken_event` instead of throwing somewhere inside the tree.
 */
export function isWellFormed(event: ActivityEvent): boolean {
  if (!isProcess(event.process)) return false;
  if (event.timestamp !== undefined && typeof event.timestamp !== 'bigint') return false;
  if (event.matchedRules !== undefined && !Array.isArray(event.matchedRules)) return false;
  switch (event.type) {
    case 'exec':
    case 'fork':
    case 'exit':
      return true;
    case 'open':
      return isObject(event.file) && typeof event.file.path === 'string';
    case 'dns':
      return isObject(event.dns) && typeof event.dns.name === 'string';
    case 'bind':
      return (
        isObject(event.bind) &&
        typeof event.bind.family === 'string' &&
        typeof event.bind.ip === 'string' &&
        typeof event.bind.port === 'number'
      );
    case 'imds':
      return isObject(event.imds) && typeof event.imds.type === 'string';
    case 'syscalls':
      return Array.isArray(event.syscalls) && event.syscalls.every(Number.isInteger);
    case 'capabilities':
      return typeof event.attempted === 'bigint' && typeof event.used === 'bigint';
    case 'network_flow':
      return (
        isObject(event.device) &&
        Array.isArray(event.flows) &&
        event.flows.every((f) => isObject(f) && isObject(f.source) && isObject(f.destination))
      );
    default:
      return false;
  }
}

/**
 * Whether the ancestors of an event's process are well formed. Checked only when the tree
 * walks them (a process it already knows by cookie needs no lineage).
 */
export function hasWellFormedAncestors(process: ProcessContext): boolean {
  const ancestors = process.ancestors;
  if (ancestors === undefined) return true;
  if (!Array.isArray(ancestors)) return false;
  for (let i = 0; i < ancestors.length; i++) if (!isProcess(ancestors[i])) return false;
  return true;
}

function isProcess(value: unknown): value is ProcessInfo {
  if (!isObject(value)) return false;
  const p = value as Partial<ProcessInfo>;
  return typeof p.pid === 'number' && isObject(p.file) && typeof p.file.path === 'string';
}

function isObject(value: unknown): value is Record<string, unknown> & object {
  return typeof value === 'object' && value !== null;
}
