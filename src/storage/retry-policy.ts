/** How failed uploads are retried. Durations in milliseconds. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Delay before the first retry (before jitter). */
  readonly minDelay: number;
  /** Ceiling of every delay; a `Retry-After` beyond it ends the retries. */
  readonly maxDelay: number;
}

/**
 * The wait before retry number `retry` (1 for the first): exponential from `minDelay`, capped
 * at `maxDelay`, with "equal jitter" (half fixed, half random) so that many clients failing
 * together do not retry together. A server's `Retry-After` is honoured as a lower bound;
 * `undefined` when it asks for longer than `maxDelay`.
 */
export function retryDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfter?: number,
): number | undefined {
  if (retryAfter !== undefined && retryAfter > policy.maxDelay) return undefined;
  const ceiling = Math.min(policy.maxDelay, policy.minDelay * 2 ** (retry - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, retryAfter ?? 0);
}

/** A `Retry-After` header (delay seconds or an HTTP date) in milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
