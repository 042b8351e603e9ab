import type { Clock, TimerHandle } from '../clock.js';

/**
 * The part of a `@sinonjs/fake-timers` clock the adapter needs (`createClock()` and
 * `install()` both return one). Only its shape is used: the library does not depend on
 * fake-timers.
 */
export interface FakeTimersClock {
  /** Virtual time, ms since the epoch. */
  now: number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: never): void;
}

/**
 * Runs the library on a `@sinonjs/fake-timers` clock: `clockFromFakeTimers(createClock())`.
 * Advance it with `clock.tickAsync(ms)` so that persists and tag lookups started by the
 * periodic tasks settle.
 */
export function clockFromFakeTimers(fake: FakeTimersClock): Clock {
  return {
    now: () => fake.now,
    setTimeout: (callback, ms): TimerHandle => fake.setTimeout(callback, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle as never),
  };
}
