import { type LoadConfig, withTimeout } from '../dump/load-config.js';
import type { EventType } from '../events/activity-event.js';

/** The agent's floor under `minTimeout` when judging how fast a dump filled up. */
export const ABSOLUTE_MIN_DUMP_TIMEOUT = 10_000;

/** Which event type a fast-filling dump gives up first, then next, …; `exec` is never given up. */
export const EVENT_TYPE_REDUCTION_ORDER: readonly EventType[] = ['bind', 'imds', 'dns', 'syscalls', 'open'];

/** One tightening of a split dump's envelope (metric tag `reduction:<kind>`). */
export type LoadReduction =
  | { kind: 'rate'; from: number; to: number }
  | { kind: 'dump_timeout'; from: number; to: number }
  | { kind: 'traced_event_types'; eventType: EventType };

/** What {@link nextPartialLoadConfig} works with. */
export interface LoadControllerSettings {
  /** Tighten the envelope of dumps that fill up fast; `false` copies it as it is (the agent's newest behaviour). */
  reductions: boolean;
  /** The rate never goes below this. */
  minRate: number;
  /** `minTimeout` option, ms; the thresholds use at least {@link ABSOLUTE_MIN_DUMP_TIMEOUT}. */
  minTimeout: number;
}

/** The envelope of the dump that continues an overweight one, and what was tightened. */
export interface PartialLoadConfig {
  config: LoadConfig;
  reductions: LoadReduction[];
}

/**
 * The envelope of the dump that continues `previous` after it grew past its size budget at
 * `now` (the agent's `NextPartialDump`, with our fixes). The continuation starts now and ends
 * when `previous` would have: it never outlives it. With reductions on, `t` being how long
 * `previous` took to fill up and `minT = max(minTimeout, 10 s)`:
 *
 * - `t < minT`: the rate drops by a quarter, never below `minRate`;
 * - `t < minT / 2` and the previous timeout exceeded `minT`: the remaining time drops by a
 *   quarter, never below `minT` (nor above the remaining time);
 * - `t < minT / 4`: the first of {@link EVENT_TYPE_REDUCTION_ORDER} still traced is dropped.
 *
 * Returns `undefined` when `previous` has no time left: it simply ends.
 */
export function nextPartialLoadConfig(
  previous: LoadConfig,
  now: number,
  settings: LoadControllerSettings,
): PartialLoadConfig | undefined {
  const remaining = previous.end - now;
  if (remaining <= 0) return undefined;
  const base: LoadConfig = {
    ...previous,
    start: now,
    timeout: remaining,
    end: now + remaining,
    paused: false,
  };
  if (!settings.reductions) return { config: base, reductions: [] };

  const reductions: LoadReduction[] = [];
  const timeToThreshold = now - previous.start;
  const minT = Math.max(settings.minTimeout, ABSOLUTE_MIN_DUMP_TIMEOUT);
  let rate = base.rate;
  let config = base;
  if (timeToThreshold < minT) {
    const reduced = Math.min(rate, Math.max(Math.floor((rate * 3) / 4), Math.floor(settings.minRate)));
    if (reduced < rate) {
      reductions.push({ kind: 'rate', from: rate, to: reduced });
      rate = reduced;
    }
  }
  if (timeToThreshold < minT / 2 && previous.timeout > minT) {
    const reduced = Math.min(remaining, Math.max(Math.floor((remaining * 3) / 4), minT));
    if (reduced < remaining) {
      reductions.push({ kind: 'dump_timeout', from: remaining, to: reduced });
      config = withTimeout(config, reduced);
    }
  }
  let types = config.tracedEventTypes;
  if (timeToThreshold < minT / 4) {
    const dropped = EVENT_TYPE_REDUCTION_ORDER.find((type) => types.includes(type));
    if (dropped !== undefined) {
      reductions.push({ kind: 'traced_event_types', eventType: dropped });
      types = types.filter((type) => type !== dropped);
    }
  }
  return { config: { ...config, rate, tracedEventTypes: types }, reductions };
}
