import { describe, expect, it } from 'vitest';
import {
  createLoadConfig,
  eventTypeMask,
  eventTypesOfMask,
  withTimeout,
} from '../../src/dump/load-config.js';
import { mergeTags, tagName, tagValue } from '../../src/dump/tags.js';
import { WorkloadSelector } from '../../src/dump/workload-selector.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('WorkloadSelector', () => {
  it('needs an image, defaults the tag to latest', () => {
    expect(() => new WorkloadSelector('')).toThrow(InvalidArgumentError);
    expect(new WorkloadSelector('nginx').tag).toBe('latest');
    expect(new WorkloadSelector('nginx', '1.27').toTags()).toEqual(['image_name:nginx', 'image_tag:1.27']);
  });

  it('matches on image and tag, any tag with *', () => {
    const a = new WorkloadSelector('nginx', '1');
    expect(a.matches(new WorkloadSelector('nginx', '1'))).toBe(true);
    expect(a.matches(new WorkloadSelector('nginx', '2'))).toBe(false);
    expect(a.matches(new WorkloadSelector('nginx', '*'))).toBe(true);
    expect(new WorkloadSelector('nginx', '*').matches(a)).toBe(true);
    expect(a.matches(new WorkloadSelector('redis', '*'))).toBe(false);
    expect(a.key()).toBe(new WorkloadSelector('nginx', '1').key());
    expect(a.key()).not.toBe(new WorkloadSelector('nginx', '2').key());
  });

  it('reads itself from tags', () => {
    expect(WorkloadSelector.fromTags(['a:b', 'image_name:x', 'image_tag:y'])?.toString()).toBe(
      '[image_name:x image_tag:y]',
    );
    expect(WorkloadSelector.fromTags(['image_name:'])).toBeUndefined();
  });
});

describe('tags', () => {
  it('names, values and merges', () => {
    expect(tagName('a:b:c')).toBe('a');
    expect(tagName('plain')).toBe('plain');
    expect(tagValue(['x:1', 'a:b:c', 'a:2'], 'a')).toBe('b:c');
    const tags = ['a:1', 'b:2'];
    mergeTags(tags, ['b:2', 'c:3', 'c:3', 'a:9']);
    expect(tags).toEqual(['a:1', 'b:2', 'c:3', 'a:9']);
  });
});

describe('LoadConfig', () => {
  it('appends exec, computes end and wait list from the start', () => {
    const config = createLoadConfig({
      tracedEventTypes: ['open', 'dns', 'open'],
      timeout: 900_000,
      rate: 500.7,
      start: 10_000,
      waitListTimeout: 4_500_000,
    });
    expect(config.tracedEventTypes).toEqual(['open', 'dns', 'exec']);
    expect(config.end).toBe(910_000);
    expect(config.waitListUntil).toBe(4_510_000);
    expect(config.rate).toBe(500);
    expect(config.paused).toBe(false);
    expect(withTimeout(config, 60_000).end).toBe(70_000);
    expect(createLoadConfig({ tracedEventTypes: [], timeout: 1, rate: 1, start: 0 }).waitListUntil).toBe(0);
  });

  it('rejects unknown types and bad numbers', () => {
    const base = { tracedEventTypes: ['exec' as const], timeout: 1, rate: 1, start: 0 };
    expect(() => createLoadConfig({ ...base, tracedEventTypes: ['nope' as never] })).toThrow(
      /unknown event type/,
    );
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createLoadConfig({ ...base, timeout: bad })).toThrow(InvalidArgumentError);
      expect(() => createLoadConfig({ ...base, rate: bad })).toThrow(InvalidArgumentError);
    }
  });

  it('lets fork and exit ride with exec in the mask', () => {
    expect(eventTypesOfMask(eventTypeMask(['exec', 'dns']))).toEqual(['exec', 'fork', 'exit', 'dns']);
    expect(eventTypesOfMask(eventTypeMask(['open']))).toEqual(['open']);
  });
});
