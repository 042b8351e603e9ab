import { InvalidArgumentError } from '../errors.js';
import { EVENT_TYPES, type EventType } from '../events/activity-event.js';
import { checkFinite } from '../number-checks.js';

/**
 * The tracing envelope of one dump — what the agent shares with its kernel side: which event
 * types are recorded, for how long, at which rate, and whether the dump is paused. Times are
 * epoch milliseconds, durations milliseconds. Configs are immutable: changes make new ones.
 */
export interface LoadConfig {
  /** Recorded event types; `exec` is always one. (`fork` and `exit` ride with `exec`.) */
  readonly tracedEventTypes: readonly EventType[];
  /** How long the dump records, from `start`. */
  readonly timeout: number;
  /** Most events per second the dump accepts. */
  readonly rate: number;
  /** When tracing started. */
  readonly start: number;
  /** When tracing ends: `start + timeout`. */
  readonly end: number;
  /** Until when the workload may not be traced again once this dump ends (0: no cooldown). */
  readonly waitListUntil: number;
  /** A paused dump records nothing, and never expires while paused. */
  readonly paused: boolean;
}

/** What {@link createLoadConfig} builds a config from. */
export interface LoadConfigInit {
  tracedEventTypes: Iterable<EventType>;
  timeout: number;
  rate: number;
  start: number;
  /** Cooldown after the start; 0 for none. @default 0 */
  waitListTimeout?: number;
}

/**
 * Builds a config, appending `exec` to the event types when it is missing (as the agent does).
 * @throws {InvalidArgumentError} for an unknown event type, or a negative or non-finite number.
 */
export function createLoadConfig(init: LoadConfigInit): LoadConfig {
  const types = normalizeEventTypes(init.tracedEventTypes);
  const timeout = checkFinite(init.timeout, 'timeout');
  const waitListTimeout = checkFinite(init.waitListTimeout ?? 0, 'waitListTimeout');
  const start = checkFinite(init.start, 'start');
  return {
    tracedEventTypes: types,
    timeout,
    rate: Math.floor(checkFinite(init.rate, 'rate')),
    start,
    end: start + timeout,
    waitListUntil: waitListTimeout > 0 ? start + waitListTimeout : 0,
    paused: false,
  };
}

/** The same config with a new timeout, still counted from the config's own start. */
export function withTimeout(config: LoadConfig, timeout: number): LoadConfig {
  return { ...config, timeout, end: config.start + timeout };
}

/** The event types as a de-duplicated list in their given order, with `exec` appended when missing. */
export function normalizeEventTypes(types: Iterable<EventType>): EventType[] {
  const out: EventType[] = [];
  for (const type of types) {
    if (!EVENT_TYPES.includes(type)) {
      throw new InvalidArgumentError(`tracedEventTypes: unknown event type ${String(type)}`);
    }
    if (!out.includes(type)) out.push(type);
  }
  if (!out.includes('exec')) out.push('exec');
  return out;
}

const BIT: Readonly<Record<EventType, number>> = Object.fromEntries(
  EVENT_TYPES.map((type, i) => [type, 1 << i]),
) as Record<EventType, number>;

/** The bit of one event type in an {@link eventTypeMask}. */
export function eventTypeBit(type: EventType): number {
  return BIT[type] ?? 0;
}

/**
 * The event types as a bit mask, the way the kernel side checks them: `fork` and `exit` are
 * set whenever `exec` is, since they only keep the process nodes `exec` created up to date.
 */
export function eventTypeMask(types: Iterable<EventType>): number {
  let mask = 0;
  for (const type of types) mask |= BIT[type];
  if ((mask & BIT.exec) !== 0) mask |= BIT.fork | BIT.exit;
  return mask;
}

/** The event types of a mask, in {@link EVENT_TYPES} order. */
export function eventTypesOfMask(mask: number): EventType[] {
  return EVENT_TYPES.filter((type) => (mask & BIT[type]) !== 0);
}
