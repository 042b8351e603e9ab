import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLoadConfig } from '../../src/dump/load-config.js';
import type { EventType } from '../../src/events/activity-event.js';
import { type LoadControllerSettings, nextPartialLoadConfig } from '../../src/manager/load-controller.js';

const MINUTE = 60_000;
const DEFAULTS: LoadControllerSettings = { reductions: true, minRate: 50, minTimeout: 10 * MINUTE };

function config(timeout = 15 * MINUTE, types: EventType[] = ['exec', 'open', 'dns', 'imds'], rate = 500) {
  return createLoadConfig({ tracedEventTypes: types, timeout, rate, start: 0, waitListTimeout: 75 * MINUTE });
}

function kinds(at: number, previous = config(), settings = DEFAULTS) {
  return nextPartialLoadConfig(previous, at, settings)!.reductions.map((r) => r.kind);
}

describe('nextPartialLoadConfig', () => {
  it('filled in 9 minutes: only the rate drops by a quarter', () => {
    const next = nextPartialLoadConfig(config(), 9 * MINUTE, DEFAULTS)!;
    expect(next.reductions).toEqual([{ kind: 'rate', from: 500, to: 375 }]);
    expect(next.config.rate).toBe(375);
    expect(next.config.timeout).toBe(6 * MINUTE);
    expect(next.config.tracedEventTypes).toEqual(['exec', 'open', 'dns', 'imds']);
  });

  it('filled in 4 minutes of 15: rate and timeout (11 min remaining, ×¾, floored at 10 min)', () => {
    const next = nextPartialLoadConfig(config(), 4 * MINUTE, DEFAULTS)!;
    expect(kinds(4 * MINUTE)).toEqual(['rate', 'dump_timeout']);
    expect(next.config.timeout).toBe(10 * MINUTE);
    expect(next.config.start).toBe(4 * MINUTE);
    expect(next.config.end).toBe(14 * MINUTE);
  });

  it('filled in 2 minutes: rate, timeout and the first event type of the order (imds)', () => {
    const next = nextPartialLoadConfig(config(), 2 * MINUTE, DEFAULTS)!;
    expect(next.reductions).toEqual([
      { kind: 'rate', from: 500, to: 375 },
      { kind: 'dump_timeout', from: 13 * MINUTE, to: 10 * MINUTE },
      { kind: 'traced_event_types', eventType: 'imds' },
    ]);
    expect(next.config.tracedEventTypes).toEqual(['exec', 'open', 'dns']);
  });

  it('no timeout reduction when the previous timeout is not above minT', () => {
    expect(kinds(2 * MINUTE, config(10 * MINUTE))).toEqual(['rate', 'traced_event_types']);
  });

  it('exec alone is never reduced', () => {
    expect(kinds(MINUTE, config(15 * MINUTE, ['exec']))).toEqual(['rate', 'dump_timeout']);
  });

  it('drops imds, then dns, then open, then stays at exec', () => {
    let current = config();
    const dropped: string[] = [];
    for (let i = 0; i < 5; i++) {
      const next = nextPartialLoadConfig(current, current.start + 1000, DEFAULTS)!;
      for (const r of next.reductions) if (r.kind === 'traced_event_types') dropped.push(r.eventType);
      current = next.config;
    }
    expect(dropped).toEqual(['imds', 'dns', 'open']);
    expect(current.tracedEventTypes).toEqual(['exec']);
  });

  it('judges speed against at least 10 s even with a smaller minTimeout', () => {
    const settings = { ...DEFAULTS, minTimeout: 1000 };
    expect(kinds(2000, config(), settings)).toEqual(['rate', 'dump_timeout', 'traced_event_types']);
    expect(kinds(9000, config(), settings)).toEqual(['rate']);
    expect(kinds(11_000, config(), settings)).toEqual([]);
    // The timeout floor is the same 10 s (the agent's floor used the raw 1 s).
    const short = nextPartialLoadConfig(config(12_000), 1000, settings)!;
    expect(short.config.timeout).toBe(10_000);
  });

  it('never lets the rate fall below minRate (the agent decayed it to 0)', () => {
    let current = config();
    for (let i = 0; i < 40; i++)
      current = nextPartialLoadConfig(current, current.start + 1000, DEFAULTS)!.config;
    expect(current.rate).toBe(50);
    expect(nextPartialLoadConfig(current, current.start + 1000, DEFAULTS)!.reductions).not.toContainEqual(
      expect.objectContaining({ kind: 'rate' }),
    );
  });

  it('keeps a rate configured below minRate as it is', () => {
    expect(nextPartialLoadConfig(config(15 * MINUTE, ['exec'], 20), 1000, DEFAULTS)!.config.rate).toBe(20);
  });

  it('never outlives the dump it continues (the agent floored it past the remaining time)', () => {
    // 15 min dump split at 7 min: 8 min remain; ×¾ = 6 min; the floor of 10 min would extend it.
    const next = nextPartialLoadConfig(config(), 7 * MINUTE, DEFAULTS)!;
    expect(next.config.end).toBe(15 * MINUTE);
    expect(next.reductions.map((r) => r.kind)).toEqual(['rate']);
  });

  it('with reductions off copies the envelope, still ending with the previous dump', () => {
    const next = nextPartialLoadConfig(config(), MINUTE, { ...DEFAULTS, reductions: false })!;
    expect(next.reductions).toEqual([]);
    expect(next.config).toMatchObject({ rate: 500, start: MINUTE, end: 15 * MINUTE, paused: false });
    expect(next.config.tracedEventTypes).toEqual(['exec', 'open', 'dns', 'imds']);
  });

  it('returns nothing when no time is left', () => {
    expect(nextPartialLoadConfig(config(), 15 * MINUTE, DEFAULTS)).toBeUndefined();
  });

  it('for any split: starts now, ends no later, rate within [min(rate, minRate), rate], exec kept', () => {
    const types = fc.subarray(['open', 'dns', 'imds', 'bind', 'syscalls'] as EventType[]);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 * 60 * MINUTE }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 60 * MINUTE }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        types,
        fc.boolean(),
        (timeout, rate, minRate, minTimeout, when, extra, reductions) => {
          const previous = config(timeout, ['exec', ...extra], rate);
          const now = Math.floor(when * timeout);
          const next = nextPartialLoadConfig(previous, now, { reductions, minRate, minTimeout });
          if (now >= timeout) return next === undefined;
          const c = next!.config;
          return (
            c.start === now &&
            c.end <= previous.end &&
            c.end > now &&
            c.rate <= rate &&
            c.rate >= Math.min(rate, minRate) &&
            c.tracedEventTypes.includes('exec') &&
            !c.paused &&
            c.waitListUntil === previous.waitListUntil
          );
        },
      ),
    );
  });
});
