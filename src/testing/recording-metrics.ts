import type { Metrics } from '../metrics.js';

/** One metric call seen by {@link RecordingMetrics}. */
export interface RecordedMetric {
  readonly kind: 'count' | 'gauge';
  readonly name: string;
  readonly value: number;
  readonly tags: readonly string[];
}

/** A {@link Metrics} that keeps every call, to assert on in tests. */
export class RecordingMetrics implements Metrics {
  /** Every call, in order. */
  readonly records: RecordedMetric[] = [];

  count(name: string, value: number, tags: readonly string[] = []): void {
    this.records.push({ kind: 'count', name, value, tags: [...tags] });
  }

  gauge(name: string, value: number, tags: readonly string[] = []): void {
    this.records.push({ kind: 'gauge', name, value, tags: [...tags] });
  }

  /** Sum of a counter's values, over the calls carrying every one of `tags`. */
  total(name: string, tags: readonly string[] = []): number {
    let sum = 0;
    for (const record of this.matching(name, tags)) if (record.kind === 'count') sum += record.value;
    return sum;
  }

  /** Last value of a gauge carrying every one of `tags` (`undefined` when never set). */
  lastGauge(name: string, tags: readonly string[] = []): number | undefined {
    return this.matching(name, tags)
      .filter((record) => record.kind === 'gauge')
      .at(-1)?.value;
  }

  /** Forgets every call. */
  clear(): void {
    this.records.length = 0;
  }

  private matching(name: string, tags: readonly string[]): RecordedMetric[] {
    return this.records.filter((r) => r.name === name && tags.every((tag) => r.tags.includes(tag)));
  }
}
