import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/duration.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { goTimeJson } from '../../src/storage/remote-event-metadata.js';

describe('parseDuration', () => {
  it('reads units, compounds and bare seconds', () => {
    expect(parseDuration('30s', '--d')).toBe(30_000);
    expect(parseDuration('500ms', '--d')).toBe(500);
    expect(parseDuration('2m', '--d')).toBe(120_000);
    expect(parseDuration('1h', '--d')).toBe(3_600_000);
    expect(parseDuration('1m30s', '--d')).toBe(90_000);
    expect(parseDuration(' 1.5 ', '--d')).toBe(1500);
  });

  it('refuses anything else with a usage error naming the option', () => {
    for (const bad of ['', 's', '10x', '1m 30s', '-5s', '0', '0ms', 'ten']) {
      expect(() => parseDuration(bad, '--duration')).toThrow(UsageError);
    }
    expect(() => parseDuration('soon', '--duration')).toThrow("--duration: not a duration: 'soon'");
  });

  it('returns a positive integer or throws a UsageError, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[\d.]+(ms|s|m|h)?$/)), (text) => {
        try {
          const ms = parseDuration(text, '--d');
          return Number.isSafeInteger(ms) && ms > 0;
        } catch (error) {
          return error instanceof UsageError;
        }
      }),
    );
  });
});

describe('goTimeJson', () => {
  it('writes any time as RFC 3339 with trimmed nanoseconds, the same instant as Date reads it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 253_402_300_799_999_999_999n }), (ns) => {
        const text = goTimeJson(ns);
        const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
        if (match === null) return false;
        const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
        return (
          BigInt(Date.parse(`${match[1]}Z`)) * 1_000_000n + fraction === ns &&
          !/0Z$/.test(match[2] === undefined ? '' : text)
        );
      }),
    );
    expect(goTimeJson(0n)).toBe('0001-01-01T00:00:00Z');
  });
});
