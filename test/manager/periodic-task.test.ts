import { Writable } from 'node:stream';
import { createClock } from '@sinonjs/fake-timers';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LruCounter } from '../../src/manager/lru-counter.js';
import { PeriodicTask } from '../../src/manager/periodic-task.js';
import { event } from '../../src/testing/event-builders.js';
import { clockFromFakeTimers } from '../../src/testing/fake-clock.js';
import { containerProcess, createHarness, SECOND } from '../support/manager-harness.js';

describe('PeriodicTask', () => {
  it('first runs one period after start, then one period after each run ends', async () => {
    const fake = createClock(0);
    const runs: number[] = [];
    let finish!: () => void;
    const task = new PeriodicTask(
      clockFromFakeTimers(fake),
      1000,
      () => {
        runs.push(fake.now);
        if (runs.length === 2) {
          return new Promise<void>((resolve) => {
            finish = resolve;
          });
        }
      },
      () => {},
    );
    task.start();
    task.start(); // idempotent
    await fake.tickAsync(999);
    expect(runs).toEqual([]);
    await fake.tickAsync(1);
    expect(runs).toEqual([1000]);
    await fake.tickAsync(1000);
    expect(runs).toEqual([1000, 2000]);
    await fake.tickAsync(5000); // the second run is slow: no run piles up behind it
    expect(runs).toEqual([1000, 2000]);
    finish();
    await fake.tickAsync(1000);
    expect(runs).toEqual([1000, 2000, 8000]);
    await task.stop();
    await fake.tickAsync(10_000);
    expect(runs).toHaveLength(3);
    expect(fake.countTimers()).toBe(0);
  });

  it('reports a failing run and keeps its schedule; a period of 0 never runs', async () => {
    const fake = createClock(0);
    const errors: unknown[] = [];
    let calls = 0;
    const task = new PeriodicTask(
      clockFromFakeTimers(fake),
      100,
      () => {
        calls++;
        throw new Error(`run ${calls}`);
      },
      (error) => errors.push(error),
    );
    task.start();
    await fake.tickAsync(300);
    expect(errors.map((e) => (e as Error).message)).toEqual(['run 1', 'run 2', 'run 3']);
    await task.stop();
    const never = new PeriodicTask(
      clockFromFakeTimers(fake),
      0,
      () => {},
      () => {},
    );
    never.start();
    expect(fake.countTimers()).toBe(0);
  });

  it('reaches the manager as an error event', async () => {
    const h = createHarness({
      securityProfileProvider: {
        fetchSilentWorkloads: () => {
          throw new Error('profiles unavailable');
        },
      },
    });
    h.manager.start();
    await h.tick(20 * SECOND);
    expect(h.seen.filter(([kind]) => kind === 'error')).toEqual([
      ['error', '', 'profiles unavailable'],
      ['error', '', 'profiles unavailable'],
    ]);
    await h.manager.close();
  });
});

describe('LruCounter', () => {
  it('forgets the least recently used key past its capacity', () => {
    const counter = new LruCounter(2);
    counter.set('a', 1);
    counter.set('b', 2);
    expect(counter.get('a')).toBe(1); // a is now the most recent
    counter.set('c', 3);
    expect(counter.size).toBe(2);
    expect(counter.get('b')).toBe(0);
    expect(counter.get('a')).toBe(1);
    expect(counter.get('c')).toBe(3);
  });

  it('gives a forgotten workload its whole dump budget back, as the agent does', async () => {
    const h = createHarness({
      tracedCgroupsCount: 128,
      maxDumpsPerWorkload: 1,
      tagsResolver: { resolve: ({ containerId }) => [`image_name:${containerId.split('-')[0]}`] },
    });
    h.manager.handleEvent(event('exec', containerProcess('first-1'), {}));
    await h.tick(0);
    // 1024 other images push it out of the budget memory.
    for (let i = 0; i < 1024; i++) {
      const id = `img${i}-1`;
      h.manager.handleEvent(event('exec', containerProcess(id), {}));
      await h.tick(0);
      await h.manager.stopDump({ containerId: id });
    }
    await h.manager.stopDump({ containerId: 'first-1' });
    h.manager.handleEvent(event('exec', containerProcess('first-2'), {}));
    await h.tick(0);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['first-2']);
  });
});

describe('Logger', () => {
  it('takes a pino logger as it is', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).trim().split('\n'));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const h = createHarness({ logger });
    h.manager.handleEvent(event('exec', containerProcess('c'), {}));
    await h.manager.stopDump({ containerId: 'c' });
    const messages = lines.map((line) => JSON.parse(line) as { msg: string; dump?: string });
    expect(messages.map((m) => m.msg)).toEqual(['tracing started', 'tracing stopped']);
    expect(messages[0]?.dump).toMatch(/^activity-dump-/);
  });
});
