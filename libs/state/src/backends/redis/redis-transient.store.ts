import { assertTtl, ttlToMs } from '../../common/validation';
import { TransientStore } from '../../transient/transient-store';
import {
  assertTransientEntry,
  assertTransientKey,
  notACount,
} from '../../transient/transient.validation';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/**
 * Transient values under `{prefix}:transient:{key}`, expired by Redis itself. One round trip per
 * call: `SET ... PX` (with `NX` for `add`), `GETDEL` for `take` (Redis ≥ 6.2), and a script for
 * `increment` that sets the expiry with the first count only.
 */
export class RedisTransientStore extends TransientStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
  ) {
    super();
  }

  async set(key: string, value: string, ttl: number): Promise<void> {
    assertTransientEntry(key, value, ttl);
    await this.redis.run((client) =>
      client.set(this.keys.transient(key), value, 'PX', ttlToMs(ttl)),
    );
  }

  async add(key: string, value: string, ttl: number): Promise<boolean> {
    assertTransientEntry(key, value, ttl);
    const reply = await this.redis.run((client) =>
      client.set(this.keys.transient(key), value, 'PX', ttlToMs(ttl), 'NX'),
    );
    return reply === 'OK';
  }

  async get(key: string): Promise<string | null> {
    assertTransientKey(key);
    return this.redis.run((client) => client.get(this.keys.transient(key)));
  }

  async take(key: string): Promise<string | null> {
    assertTransientKey(key);
    return this.redis.run((client) => client.getdel(this.keys.transient(key)));
  }

  async delete(key: string): Promise<boolean> {
    assertTransientKey(key);
    return (await this.redis.run((client) => client.del(this.keys.transient(key)))) === 1;
  }

  async increment(key: string, ttl: number): Promise<number> {
    assertTransientKey(key);
    assertTtl('ttl', ttl);
    const count = await this.redis.run((client) =>
      client.livegateTransientIncrement(this.keys.transient(key), ttlToMs(ttl)),
    );
    if (Number(count) < 0) {
      throw notACount();
    }
    return Number(count);
  }
}
