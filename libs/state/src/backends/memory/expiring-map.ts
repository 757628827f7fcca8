/** An entry that stops existing at `expiresAt` (milliseconds since the epoch). */
export interface Expiring {
  expiresAt: number;
}

/**
 * A map whose expired entries are invisible to every read; `sweep` frees them. Reads delete the
 * expired entry they meet, so memory is also freed without the sweep.
 */
export class ExpiringMap<V extends Expiring> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly onEvict?: (key: string, value: V) => void) {}

  get(key: string, now = Date.now()): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      return undefined;
    }
    if (value.expiresAt <= now) {
      this.evict(key, value);
      return undefined;
    }
    return value;
  }

  has(key: string, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  set(key: string, value: V): void {
    this.entries.set(key, value);
  }

  /** Deletes the entry; returns whether it was live. */
  delete(key: string, now = Date.now()): boolean {
    const value = this.entries.get(key);
    if (value === undefined) {
      return false;
    }
    this.evict(key, value);
    return value.expiresAt > now;
  }

  /** Live entries in insertion order. */
  *entriesLive(now = Date.now()): IterableIterator<[string, V]> {
    for (const [key, value] of this.entries) {
      if (value.expiresAt > now) {
        yield [key, value];
      }
    }
  }

  countLive(now = Date.now()): number {
    let count = 0;
    for (const value of this.entries.values()) {
      if (value.expiresAt > now) {
        count += 1;
      }
    }
    return count;
  }

  /** Frees every expired entry; returns how many. */
  sweep(now = Date.now()): number {
    let removed = 0;
    for (const [key, value] of this.entries) {
      if (value.expiresAt <= now) {
        this.evict(key, value);
        removed += 1;
      }
    }
    return removed;
  }

  clear(): void {
    this.entries.clear();
  }

  private evict(key: string, value: V): void {
    this.entries.delete(key);
    this.onEvict?.(key, value);
  }
}
