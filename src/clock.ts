/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Where the library reads the time and schedules its periodic work. Inject one to run the
 * manager on virtual time in tests; {@link systemClock} is the real one.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired yet; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. It looks `Date` and the timer functions up on `globalThis` at every call, so
 * `vi.useFakeTimers()` or `@sinonjs/fake-timers` `install()` take effect even after the manager
 * was built. Its timers are `unref`'d: they never keep a process alive on their own.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, ms);
    // Fake timers may return plain numbers, which have nothing to unref.
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
};
