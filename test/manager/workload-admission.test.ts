import { describe, expect, it } from 'vitest';
import { createLoadConfig, type LoadConfig } from '../../src/dump/load-config.js';
import { InMemoryWorkloadAdmission } from '../../src/manager/workload-admission.js';

const MINUTE = 60_000;

function admission(
  options: { capacity?: number; rate?: number; refuse?: boolean; autoStart?: boolean } = {},
) {
  const started: Array<[string, bigint, LoadConfig]> = [];
  const a = new InMemoryWorkloadAdmission({
    capacity: options.capacity ?? 2,
    autoStart: options.autoStart,
    defaultConfig: (now) =>
      createLoadConfig({
        tracedEventTypes: ['exec', 'open'],
        timeout: 15 * MINUTE,
        rate: options.rate ?? 1000,
        start: now,
        waitListTimeout: 75 * MINUTE,
      }),
    canAutoStart: (workload) => workload !== '',
  });
  a.attach({
    onTracingStarted: (workload, cookie, config) => {
      started.push([workload, cookie, config]);
      return options.refuse !== true;
    },
  });
  return { a, started };
}

describe('InMemoryWorkloadAdmission', () => {
  it('starts tracing a new workload and admits its events under its cookie', () => {
    const { a, started } = admission();
    const cookie = a.admit('c1', 'exec', 0);
    expect(typeof cookie).toBe('bigint');
    expect(started).toEqual([['c1', cookie, expect.objectContaining({ start: 0, end: 15 * MINUTE })]]);
    expect(a.admit('c1', 'open', 1)).toBe(cookie);
    expect(a.tracedCount).toBe(1);
  });

  it('checks the event-type mask; fork and exit ride with exec', () => {
    const { a } = admission();
    const cookie = a.admit('c1', 'exec', 0);
    expect(a.admit('c1', 'dns', 1)).toBe('event_type');
    expect(a.admit('c1', 'fork', 1)).toBe(cookie);
    expect(a.admit('c1', 'exit', 1)).toBe(cookie);
  });

  it('never holds more slots than its capacity', () => {
    const { a } = admission({ capacity: 2 });
    a.admit('c1', 'exec', 0);
    a.admit('c2', 'exec', 0);
    expect(a.admit('c3', 'exec', 0)).toBe('capacity');
    expect(a.tracedCount).toBe(2);
    expect(
      a.reserve('c4', 7n, createLoadConfig({ tracedEventTypes: [], timeout: 1, rate: 1, start: 0 })),
    ).toBe(false);
  });

  it('keeps a paused config forever, and its slot', () => {
    const { a } = admission();
    const cookie = a.admit('c1', 'exec', 0) as bigint;
    const config = createLoadConfig({ tracedEventTypes: ['exec'], timeout: MINUTE, rate: 10, start: 0 });
    a.update(cookie, { ...config, paused: true });
    expect(a.admit('c1', 'exec', 10 * 24 * 60 * MINUTE)).toBe('paused');
    expect(a.tracedCount).toBe(1);
  });

  it('rejects events past the end but keeps the slot until released', () => {
    const { a, started } = admission({ capacity: 1 });
    const cookie = a.admit('c1', 'exec', 0) as bigint;
    expect(a.admit('c1', 'exec', 15 * MINUTE + 1)).toBe('expired');
    expect(a.admit('c2', 'exec', 15 * MINUTE + 1)).toBe('capacity');
    a.release('c1', cookie);
    expect(a.tracedCount).toBe(0);
    expect(typeof a.admit('c2', 'exec', 15 * MINUTE + 2)).toBe('bigint');
    expect(started.map(([w]) => w)).toEqual(['c1', 'c2']);
  });

  it('keeps a workload on the wait list from the start of its tracing, and admits the first event after', () => {
    const { a, started } = admission();
    const cookie = a.admit('c1', 'exec', 0) as bigint;
    a.release('c1', cookie); // the dump ended after 15 minutes, say
    expect(a.waitListedUntil('c1')).toBe(75 * MINUTE);
    expect(a.admit('c1', 'exec', 20 * MINUTE)).toBe('wait_list');
    expect(a.admit('c1', 'exec', 75 * MINUTE)).toBe('wait_list');
    // The agent's kernel deleted the expired entry but rejected this event too; the next one was admitted.
    expect(typeof a.admit('c1', 'exec', 75 * MINUTE + 1)).toBe('bigint');
    expect(started).toHaveLength(2);
  });

  it('forgets wait-list entries that are over on sweep', () => {
    const { a } = admission();
    a.release('c1', a.admit('c1', 'exec', 0) as bigint);
    a.sweep(75 * MINUTE);
    expect(a.waitListedUntil('c1')).toBe(75 * MINUTE);
    a.sweep(75 * MINUTE + 1);
    expect(a.waitListedUntil('c1')).toBeUndefined();
  });

  it('rolls back a start the manager refuses, wait list included', () => {
    const { a, started } = admission({ refuse: true });
    expect(a.admit('c1', 'exec', 0)).toBe('not_traced');
    expect(a.tracedCount).toBe(0);
    expect(a.waitListedUntil('c1')).toBeUndefined();
    expect(a.admit('c1', 'exec', 1)).toBe('not_traced');
    expect(started).toHaveLength(2);
  });

  it('never starts workloads on its own when told not to, or those it may not', () => {
    expect(admission({ autoStart: false }).a.admit('c1', 'exec', 0)).toBe('not_traced');
    expect(admission().a.admit('', 'exec', 0)).toBe('not_traced');
  });

  it('limits each dump to its rate per one-second window', () => {
    const { a } = admission({ rate: 3 });
    const cookie = a.admit('c1', 'exec', 0);
    expect(a.admit('c1', 'exec', 10)).toBe(cookie);
    expect(a.admit('c1', 'exec', 20)).toBe(cookie);
    expect(a.admit('c1', 'exec', 999)).toBe('rate_limited');
    expect(a.admit('c1', 'exec', 1000)).toBe(cookie);
    // A clock that goes back opens a new window instead of starving the dump.
    expect(a.admit('c1', 'exec', 500)).toBe(cookie);
  });

  it('a rate of 0 admits nothing', () => {
    const { a } = admission({ rate: 0 });
    expect(a.admit('c1', 'exec', 0)).toBe('rate_limited');
  });

  it('reserves slots for dumps the manager starts, once per workload, without a wait list', () => {
    const { a, started } = admission();
    const config = createLoadConfig({ tracedEventTypes: ['exec'], timeout: MINUTE, rate: 10, start: 0 });
    expect(a.reserve('c1', 5n, config)).toBe(true);
    expect(a.reserve('c1', 6n, config)).toBe(false);
    expect(a.admit('c1', 'exec', 1)).toBe(5n);
    a.release('c1', 5n);
    expect(a.waitListedUntil('c1')).toBeUndefined();
    expect(started).toEqual([]);
  });

  it('ignores a release with a cookie that does not hold the slot', () => {
    const { a } = admission();
    const cookie = a.admit('c1', 'exec', 0);
    a.release('c1', 999n);
    expect(a.admit('c1', 'exec', 1)).toBe(cookie);
  });
});
