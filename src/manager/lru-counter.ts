/**
 * Counters keyed by string, holding at most `capacity` keys: setting a new key past capacity
 * forgets the least recently used one (whose count starts again from zero).
 */
export class LruCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** The count of a key (0 when unknown); marks it recently used. */
  get(key: string): number {
    const count = this.counts.get(key);
    if (count === undefined) return 0;
    this.counts.delete(key);
    this.counts.set(key, count);
    return count;
  }

  /** Sets the count of a key and marks it recently used. */
  set(key: string, count: number): void {
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > this.capacity) {
      const oldest = this.counts.keys().next().value!;
      this.counts.delete(oldest);
    }
  }

  /** Keys held. */
  get size(): number {
    return this.counts.size;
  }
}
