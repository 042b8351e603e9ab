import type { Clock, TimerHandle } from '../clock.js';

/**
 * Runs a task every `period` ms on a {@link Clock}: first `firstDelay` ms after `start()` (one
 * full period by default), then one period after each run has finished, so a slow run delays the
 * next instead of piling up (like a Go ticker, missed ticks are coalesced). A period of 0
 * disables it.
 */
export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private active = false;

  constructor(
    private readonly clock: Clock,
    private readonly period: number,
    private readonly task: () => void | Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly firstDelay = period,
  ) {}

  /** Schedules the first run (idempotent). */
  start(): void {
    if (this.active || this.period <= 0) return;
    this.active = true;
    this.schedule(this.firstDelay);
  }

  /** Cancels the next run and resolves once a run in progress has finished. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs the task now, unless a run is in progress (then waits for that one). */
  run(): Promise<void> {
    this.running ??= this.invoke().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delay: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run().then(() => {
        if (this.active) this.schedule(this.period);
      });
    }, delay);
  }

  private async invoke(): Promise<void> {
    try {
      await this.task();
    } catch (error) {
      this.onError(error);
    }
  }
}
