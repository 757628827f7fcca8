import { assertTtl, ttlToMs } from '../../common/validation';
import { TransientStore } from '../../transient/transient-store';
import {
  COUNT,
  assertTransientEntry,
  assertTransientKey,
  notACount,
} from '../../transient/transient.validation';
import { ExpiringMap } from './expiring-map';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Transient values in process memory. */
export class MemoryTransientStore extends TransientStore {
  private readonly entries = new ExpiringMap<Entry>();

  async set(key: string, value: string, ttl: number): Promise<void> {
    assertTransientEntry(key, value, ttl);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlToMs(ttl) });
  }

  async add(key: string, value: string, ttl: number): Promise<boolean> {
    assertTransientEntry(key, value, ttl);
    if (this.entries.has(key)) {
      return false;
    }
    this.entries.set(key, { value, expiresAt: Date.now() + ttlToMs(ttl) });
    return true;
  }

  async get(key: string): Promise<string | null> {
    assertTransientKey(key);
    return this.entries.get(key)?.value ?? null;
  }

  async take(key: string): Promise<string | null> {
    assertTransientKey(key);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry?.value ?? null;
  }

  async delete(key: string): Promise<boolean> {
    assertTransientKey(key);
    return this.entries.delete(key);
  }

  async increment(key: string, ttl: number): Promise<number> {
    assertTransientKey(key);
    assertTtl('ttl', ttl);
    const entry = this.entries.get(key);
    if (entry && !COUNT.test(entry.value)) {
      throw notACount();
    }
    const count = entry ? Number(entry.value) + 1 : 1;
    this.entries.set(key, {
      value: String(count),
      expiresAt: entry?.expiresAt ?? Date.now() + ttlToMs(ttl),
    });
    return count;
  }

  sweep(now = Date.now()): void {
    this.entries.sweep(now);
  }
}
