import { randomBytes } from 'node:crypto';
import {
  createRedisBackend,
  StateBackendUnavailableError,
  type StateBackend,
} from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';
import { describeTokenStoreContract } from '../testing/token-store.contract';
import { TokenCipher } from './token-cipher';
import { RedisTokenStore } from './redis-token.store';

const SECRET = 'redis-token-store-secret-of-32-characters';

let server: RedisTestServer;

beforeAll(async () => {
  server = await RedisTestServer.start();
});

afterAll(async () => {
  await server?.stop();
});

async function openBackend(prefix: string): Promise<StateBackend> {
  return createRedisBackend({
    redisUrl: server.url,
    redisPrefix: prefix,
    redisPoolSize: 1,
    widgetTtl: 60,
    connectionTtl: 60,
    sessionTtl: 60,
    workerId: 'token-store-test',
  });
}

describeTokenStoreContract('redis', async () => {
  const prefix = `tokens-${randomBytes(6).toString('hex')}`;
  const backend = await openBackend(prefix);
  const redis = backend.redis!;
  return {
    store: new RedisTokenStore(redis, new TokenCipher([SECRET])),
    teardown: () => backend.close(),
    raw: (key) => redis.run((client) => client.get(`${prefix}:oauth:tokens:${key}`)),
    overwrite: async (key, value) => {
      await redis.run((client) => client.set(`${prefix}:oauth:tokens:${key}`, value, 'KEEPTTL'));
    },
  };
});

describe('RedisTokenStore', () => {
  let backend: StateBackend;
  const prefix = `tokens-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    backend = await openBackend(prefix);
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('keeps entries under {prefix}:oauth:tokens:{key} with the keep time as their Redis expiry', async () => {
    const store = new RedisTokenStore(backend.redis!, new TokenCipher([SECRET]));
    const expiresAt = Date.now() + 60_000;
    await store.save('alice', { accessToken: 'a', tokenType: 'Bearer', expiresAt });
    const ttl = await backend.redis!.run((client) => client.pttl(`${prefix}:oauth:tokens:alice`));
    // The access token's minute plus the five-minute grace.
    expect(ttl).toBeGreaterThan(355_000);
    expect(ttl).toBeLessThanOrEqual(360_000);

    await store.save('bob', {
      accessToken: 'b',
      tokenType: 'Bearer',
      expiresAt,
      refreshToken: 'r',
    });
    const kept = await backend.redis!.run((client) => client.pttl(`${prefix}:oauth:tokens:bob`));
    expect(kept).toBeGreaterThan(29 * 24 * 3600 * 1000);
  });

  it('still reads entries written under a previous token secret, and writes under the current one', async () => {
    const old = new RedisTokenStore(
      backend.redis!,
      new TokenCipher(['an-older-secret-of-at-least-32-chars!']),
    );
    await old.save('rotated', { accessToken: 'kept', tokenType: 'Bearer' });
    const rotated = new RedisTokenStore(
      backend.redis!,
      new TokenCipher([SECRET, 'an-older-secret-of-at-least-32-chars!']),
    );
    expect((await rotated.load('rotated'))?.accessToken).toBe('kept');
    const stranger = new RedisTokenStore(backend.redis!, new TokenCipher([SECRET]));
    await expect(stranger.load('rotated')).rejects.toThrow('cannot be decrypted');
  });

  it('fails closed while Redis is away: an error, never "no tokens"', async () => {
    const other = await openBackend(`${prefix}-away`);
    const store = new RedisTokenStore(other.redis!, new TokenCipher([SECRET]));
    await store.save('k', { accessToken: 'a', tokenType: 'Bearer' });
    await other.close();
    await expect(store.load('k')).rejects.toBeInstanceOf(StateBackendUnavailableError);
    await expect(store.exists('k')).rejects.toBeInstanceOf(StateBackendUnavailableError);
  });
});
