import { describe, expect, it } from 'vitest';
import { ActivityDump, type DumpState } from '../../src/dump/activity-dump.js';
import { emptyMetadata } from '../../src/dump/dump-metadata.js';
import { randomCookie, randomDumpName } from '../../src/dump/identifiers.js';
import { createLoadConfig } from '../../src/dump/load-config.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';

const config = createLoadConfig({
  tracedEventTypes: ['exec', 'open'],
  timeout: 60_000,
  rate: 100,
  start: 1000,
});
const proc = buildLineage(['/bin/sh', '/usr/bin/app'], { containerId: 'c1' });

function recordingDump(maxSize = Number.POSITIVE_INFINITY) {
  const changes: Array<[DumpState, DumpState]> = [];
  const dump = new ActivityDump({
    metadata: emptyMetadata({ name: 'activity-dump-abcdefghij', containerId: 'c1' }),
    loadConfig: config,
    cookie: 42n,
    maxSize,
    onStateChange: (d, from) => changes.push([from, d.state]),
  });
  return { dump, changes };
}

describe('ActivityDump lifecycle', () => {
  it('starts stopped, records only while running', () => {
    const { dump, changes } = recordingDump();
    expect(dump.state).toBe('stopped');
    expect(dump.insert(event('exec', proc, {}))).toBe('not_running');
    dump.start();
    expect(dump.state).toBe('running');
    expect(dump.insert(event('exec', proc, {}))).toBe('added');
    expect(changes).toEqual([['stopped', 'running']]);
  });

  it('refuses to start twice, after finalize, or without a load config', () => {
    const { dump } = recordingDump();
    dump.start();
    expect(() => dump.start()).toThrow(InvalidArgumentError);
    dump.finalize({ releaseSpot: true, now: 2000 });
    expect(() => dump.start()).toThrow(/finalized/);
    expect(() => new ActivityDump().start()).toThrow(/load config/);
  });

  it('pauses as soon as an insert makes it overweight, and stops recording', () => {
    // Two process nodes (sh and app) weigh 2048 bytes: the insert of the exec crosses the budget.
    const { dump, changes } = recordingDump(2048);
    dump.start();
    expect(dump.insert(event('exec', proc, {}))).toBe('added');
    expect(dump.state).toBe('paused');
    expect(dump.loadConfig?.paused).toBe(true);
    expect(dump.isOverweight()).toBe(true);
    expect(dump.insert(event('open', proc, { file: { path: '/etc/hosts' } }))).toBe('not_running');
    expect(changes.at(-1)).toEqual(['running', 'paused']);
    expect(dump.pause()).toBe(false);
  });

  it('mirrors its load config into the metadata start and end, in ns', () => {
    const { dump } = recordingDump();
    dump.setLoadConfig(config);
    expect(dump.metadata?.start).toBe(1_000_000_000n);
    expect(dump.metadata?.end).toBe(61_000_000_000n);
  });

  it('finalizes once: context tags by name, service from its tag, container_id once', () => {
    const { dump, changes } = recordingDump();
    dump.tags.push('service:web', 'host:already-set', 'image_name:nginx');
    dump.start();
    const contextTags = ['host:test-host', 'env:prod', 'source:runtime-security-agent'];
    expect(dump.finalize({ releaseSpot: true, now: 5000, contextTags })).toBe(true);
    expect(dump.tags).toEqual([
      'service:web',
      'host:already-set',
      'image_name:nginx',
      'env:prod',
      'source:runtime-security-agent',
      'container_id:c1',
    ]);
    expect(dump.service).toBe('web');
    expect(dump.metadata?.end).toBe(5_000_000_000n);
    expect(dump.state).toBe('stopped');
    expect(changes.slice(-2)).toEqual([
      ['running', 'disabled'],
      ['disabled', 'stopped'],
    ]);
    // The agent's V2/V3 finalized dumps twice (tag resolution, then cleanup): tags and end moved again.
    const before = [...dump.tags];
    expect(dump.finalize({ releaseSpot: true, now: 9000, contextTags })).toBe(false);
    expect(dump.tags).toEqual(before);
    expect(dump.metadata?.end).toBe(5_000_000_000n);
    expect(dump.isFinalized).toBe(true);
  });

  it('keeps its state when finalized for a split, and records no more', () => {
    const { dump } = recordingDump(2048);
    dump.start();
    dump.insert(event('exec', proc, {}));
    dump.finalize({ releaseSpot: false, now: 3000 });
    expect(dump.state).toBe('paused');
    const running = recordingDump().dump;
    running.start();
    running.finalize({ releaseSpot: false, now: 3000 });
    expect(running.state).toBe('running');
    expect(running.insert(event('exec', proc, {}))).toBe('not_running');
  });

  it('derives its selector from image tags, with latest for a missing tag', () => {
    const dump = new ActivityDump({ tags: ['image_name:redis'] });
    expect(dump.selector?.toString()).toBe('[image_name:redis image_tag:latest]');
    expect(new ActivityDump({ tags: ['image_tag:7'] }).selector).toBeUndefined();
  });
});

describe('dump identifiers', () => {
  it('names dumps activity-dump- and 10 letters', () => {
    const names = new Set(Array.from({ length: 200 }, randomDumpName));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^activity-dump-[a-zA-Z]{10}$/);
  });

  it('draws cookies over all 64 bits (the agent OR-ed the clock into them)', () => {
    const cookies = Array.from({ length: 256 }, randomCookie);
    expect(new Set(cookies).size).toBe(256);
    for (const cookie of cookies) expect(cookie > 0n && cookie < 1n << 64n).toBe(true);
    // With a nanosecond clock OR-ed in, the low 32 bits of close draws share their high bits.
    const highBitsOfLowHalf = new Set(cookies.map((c) => (c >> 24n) & 0xffn));
    expect(highBitsOfLowHalf.size).toBeGreaterThan(64);
    const topBit = cookies.filter((c) => c >> 63n === 1n).length;
    expect(topBit).toBeGreaterThan(64);
    expect(topBit).toBeLessThan(192);
  });
});
