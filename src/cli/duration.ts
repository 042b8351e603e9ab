import { UsageError } from './usage-error.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a duration such as `30s`, `500ms`, `2m`, `1h` or `1m30s`; a bare number is
 * seconds.
 * @throws {UsageError} for anything else, or a duration of 0.
 */
export function parseDuration(text: string, option: string): number {
  const trimmed = text.trim();
  let total = 0;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    total = Number(trimmed) * 1000;
  } else {
    const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
      throw new UsageError(`${option}: not a duration: '${text}' (use 30s, 500ms, 2m, 1h)`);
    }
    for (const [, value, unit] of parts) total += Number(value) * UNITS[unit!]!;
  }
  if (!Number.isFinite(total) || total <= 0) throw new UsageError(`${option}: the duration must be above 0`);
  return Math.round(total);
}
