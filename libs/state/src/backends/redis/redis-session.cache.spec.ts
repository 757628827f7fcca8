import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { StateBackendUnavailableError } from '../../state.errors';
import { commandCallsOf, RedisTestServer } from '../../testing/redis-server';
import { sleep, waitFor } from '../../testing/wait';
import type { StateBackend } from '../state-backend';
import { redisClientOptions } from './redis-connection';
import {
  MAX_SESSION_CACHE_MESSAGE_BYTES,
  RedisSessionCache,
  SESSION_CACHE_MESSAGE_KEYS,
} from './redis-session.cache';
import type { RedisSessionStore } from './redis-session.store';
import { createRedisBackend, type RedisBackendOptions } from './redis.backend';

let server: RedisTestServer;
let admin: Redis;
const backends: StateBackend[] = [];
const servers: RedisTestServer[] = [];
const closers: (() => void)[] = [];

const TTLS = { widgetTtl: 60, connectionTtl: 60, sessionTtl: 60 };

/** A Redis backend as one worker process would have it. */
async function worker(
  prefix: string,
  workerId: string,
  options: Partial<RedisBackendOptions> = {},
): Promise<StateBackend> {
  const created = await createRedisBackend({
    ...TTLS,
    redisUrl: server.url,
    redisPrefix: prefix,
    redisPoolSize: 1,
    workerId,
    ...options,
  });
  backends.push(created);
  return created;
}

/** Two workers on one prefix, both caches live. `b` takes `options`. */
async function workers(
  options: Partial<RedisBackendOptions> = {},
): Promise<{ a: RedisSessionStore; b: RedisSessionStore; prefix: string }> {
  const prefix = `cache-${randomBytes(4).toString('hex')}`;
  const url = options.redisUrl ?? server.url;
  const a = store(await worker(prefix, 'worker-a', { redisUrl: url }));
  const b = store(await worker(prefix, 'worker-b', { ...options, redisUrl: url }));
  await waitFor(() => a.cacheStats.live && (b.cacheStats.live || !b.cacheStats.enabled), {
    description: 'both session caches live',
  });
  return { a, b, prefix };
}

function store(state: StateBackend): RedisSessionStore {
  return state.sessions as RedisSessionStore;
}

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function commandCalls(): Promise<Record<string, number>> {
  return commandCallsOf(await admin.info('commandstats'));
}

/** Reads the session until `predicate` holds, for at most one second. */
async function eventually(
  sessions: RedisSessionStore,
  sessionId: string,
  predicate: (session: Awaited<ReturnType<RedisSessionStore['getSession']>>) => boolean,
  description: string,
): Promise<void> {
  await waitFor(async () => predicate(await sessions.getSession(sessionId)), {
    timeoutMs: 1000,
    description,
  });
}

beforeAll(async () => {
  server = await RedisTestServer.start();
  admin = new Redis(redisClientOptions(server.url));
  await admin.connect();
});

afterEach(async () => {
  jest.restoreAllMocks();
  closers.splice(0).forEach((close) => close());
  await Promise.all(backends.splice(0).map((created) => created.close()));
  await Promise.all(servers.splice(0).map((started) => started.dispose()));
});

afterAll(async () => {
  admin?.disconnect();
  await server?.dispose();
});

describe('Redis session cache', () => {
  it('serves a warm session without any Redis command, as a new object each time', async () => {
    const { a, b } = await workers();
    const created = await a.createSession({
      sessionId: 'warm',
      userId: 'u',
      roles: ['editor'],
      metadata: { nested: { list: [1] } },
    });
    expect(await b.getSession('warm')).toEqual(created);
    const hits = b.cacheStats.hits;

    await admin.config('RESETSTAT');
    const reads = await Promise.all(Array.from({ length: 50 }, () => b.getSession('warm')));
    const calls = await commandCalls();

    expect(b.cacheStats.hits - hits).toBe(50);
    expect(calls.hgetall).toBeUndefined();
    // Only the admin's own commands and the caches' liveness PINGs reached Redis.
    expect(
      Object.keys(calls).filter((name) => !['ping', 'info', 'config|resetstat'].includes(name)),
    ).toEqual([]);
    for (const read of reads) {
      expect(read).toEqual(created);
    }
    // Every read is the same frozen snapshot: nobody can change what the others read.
    expect(() => (reads[0]!.roles as string[]).push('admin')).toThrow(TypeError);
    expect(() => (reads[0]!.metadata.nested as { list: number[] }).list.push(2)).toThrow(TypeError);
    expect(await b.getSession('warm')).toEqual(created);
  });

  it('drops a session deleted on another worker', async () => {
    const { a, b } = await workers();
    await a.createSession({ sessionId: 's', userId: 'u' });
    await b.getSession('s');
    expect(await b.getSession('s')).not.toBeNull();
    expect(b.cacheStats.hits).toBe(1);

    expect(await a.deleteSession('s')).toBe(true);
    await eventually(b, 's', (session) => session === null, 'the delete seen on worker b');
    expect(b.cacheStats.invalidations).toBe(1);
  });

  it('takes deletes and refreshes from the message itself, without reading the session again', async () => {
    const { a, b } = await workers();
    await a.createSession({ sessionId: 'gone', userId: 'u' });
    await a.createSession({ sessionId: 'kept', userId: 'u', ttl: 60 });
    await b.getSession('gone');
    const before = (await b.getSession('kept'))!;
    await admin.config('RESETSTAT');

    expect(await a.deleteSession('gone')).toBe(true);
    expect(await a.refreshSession('kept', 600)).toBe(true);
    await waitFor(() => b.cacheStats.invalidations === 2, { description: 'both messages on b' });
    expect(await b.getSession('gone')).toBeNull();
    const after = (await b.getSession('kept'))!;
    expect(after.expiresAt).toBeGreaterThan(before.expiresAt);
    expect(after).toEqual({ ...before, expiresAt: after.expiresAt });
    // What b answered came from the messages: it read neither session from Redis.
    expect((await commandCalls()).hgetall).toBeUndefined();
    // The same as Redis says.
    expect(after.expiresAt).toBe((await a.getSession('kept'))!.expiresAt);

    // A session created again under the deleted id is seen on b.
    await a.createSession({ sessionId: 'gone', userId: 'v' });
    await eventually(b, 'gone', (session) => session?.userId === 'v', 'the new session on b');
  });

  it('shows the new expiry of a session refreshed on another worker', async () => {
    const { a, b } = await workers();
    await a.createSession({ sessionId: 's', userId: 'u', ttl: 60 });
    const before = (await b.getSession('s'))!.expiresAt;
    await b.getSession('s');
    expect(b.cacheStats.hits).toBe(1);

    expect(await a.refreshSession('s', 600)).toBe(true);
    await eventually(
      b,
      's',
      (session) => session !== null && session.expiresAt >= before + 500_000,
      'the refresh seen on worker b',
    );
  });

  it('drops every session of a user whose sessions another worker deleted, and only those', async () => {
    const { a, b } = await workers();
    for (const sessionId of ['u-1', 'u-2', 'u-3']) {
      await a.createSession({ sessionId, userId: 'u' });
    }
    await a.createSession({ sessionId: 'v-1', userId: 'v' });
    for (const sessionId of ['u-1', 'u-2', 'u-3', 'v-1']) {
      await b.getSession(sessionId);
    }
    expect(b.cacheStats.size).toBe(4);

    expect(await a.deleteUserSessions('u')).toBe(3);
    await waitFor(
      async () => {
        const sessions = await Promise.all(['u-1', 'u-2', 'u-3'].map((id) => b.getSession(id)));
        return sessions.every((session) => session === null);
      },
      { timeoutMs: 1000, description: "the user's sessions gone on worker b" },
    );
    // One message for all three.
    expect(b.cacheStats.invalidations).toBe(1);
    const hits = b.cacheStats.hits;
    expect(await b.getSession('v-1')).not.toBeNull();
    expect(b.cacheStats.hits).toBe(hits + 1);
  });

  it("reads this worker's own deletes and refreshes at once", async () => {
    const { b } = await workers();
    await b.createSession({ sessionId: 'gone', userId: 'u' });
    await b.createSession({ sessionId: 'kept', userId: 'u', ttl: 60 });
    await b.createSession({ sessionId: 'other', userId: 'w' });
    for (const sessionId of ['gone', 'kept', 'other']) {
      await b.getSession(sessionId);
    }

    await b.deleteSession('gone');
    expect(await b.getSession('gone')).toBeNull();
    const before = (await b.getSession('kept'))!.expiresAt;
    await b.refreshSession('kept', 600);
    expect((await b.getSession('kept'))!.expiresAt).toBeGreaterThanOrEqual(before + 500_000);
    await b.deleteUserSessions('w');
    expect(await b.getSession('other')).toBeNull();
  });

  it('shows a session updated on another worker at its first read after the message arrived', async () => {
    const { a, b } = await workers();
    const created = await a.createSession({ sessionId: 's', userId: 'u', roles: ['viewer'] });
    await b.getSession('s');
    expect(await b.getSession('s')).toEqual(created);
    const invalidations = b.cacheStats.invalidations;

    const updated = (await a.updateSession('s', {
      roles: ['editor'],
      grant: [{ resourceType: 'widget', resourceId: 'w', permissions: ['write'] }],
    }))!;
    expect(updated.version).toBe(2);
    await waitFor(() => b.cacheStats.invalidations > invalidations, {
      timeoutMs: 1000,
      description: 'the update message on worker b',
    });

    // No polling: the very next read shows the new version.
    expect(await b.getSession('s')).toEqual(updated);
    // And it is cached again.
    const hits = b.cacheStats.hits;
    expect(await b.getSession('s')).toEqual(updated);
    expect(b.cacheStats.hits).toBe(hits + 1);
  });

  it('keeps no fetch that an update overtook, and no entry older than the update', async () => {
    const { a, b } = await workers();
    await a.createSession({ sessionId: 's', userId: 'u' });
    const reads: Promise<unknown>[] = [];
    for (let index = 0; index < 20; index += 1) {
      reads.push(b.getSession('s'));
      reads.push(a.updateSession('s', { claims: [{ type: 'n', value: String(index) }] }));
    }
    await Promise.all(reads);
    const latest = (await a.getSession('s'))!;
    expect(latest.version).toBe(21);
    await eventually(b, 's', (session) => session?.version === 21, 'the last version on b');
    expect(await b.getSession('s')).toEqual(latest);
  });

  it("reads this worker's own updates and rotations at once", async () => {
    const { a } = await workers();
    await a.createSession({ sessionId: 's', userId: 'u' });
    await a.createSession({ sessionId: 't', userId: 'u' });
    await a.getSession('s');
    await a.getSession('t');

    const updated = (await a.updateSession('s', { roles: ['admin'] }))!;
    expect(await a.getSession('s')).toEqual(updated);
    const [first, second] = await a.updateUserSessions('u', { roles: ['viewer'] });
    expect(await a.getSession(first.sessionId)).toEqual(first);
    expect(await a.getSession(second.sessionId)).toEqual(second);
    const rotated = (await a.rotateSession('s'))!;
    expect(await a.getSession('s')).toBeNull();
    expect(await a.getSession(rotated.sessionId)).toEqual(rotated);
  });

  it('drops the old id of a session rotated on another worker', async () => {
    const { a, b } = await workers();
    await a.createSession({ sessionId: 's', userId: 'u', roles: ['admin'] });
    await b.getSession('s');
    expect(await b.getSession('s')).not.toBeNull();
    const invalidations = b.cacheStats.invalidations;

    const rotated = (await a.rotateSession('s'))!;
    await waitFor(() => b.cacheStats.invalidations > invalidations, {
      timeoutMs: 1000,
      description: 'the rotation on worker b',
    });
    expect(await b.getSession('s')).toBeNull();
    expect(await b.getSession(rotated.sessionId)).toEqual(rotated);
  });

  it('shows the sessions of a user updated on another worker', async () => {
    const { a, b } = await workers();
    for (const sessionId of ['u-1', 'u-2']) {
      await a.createSession({ sessionId, userId: 'u' });
      await b.getSession(sessionId);
    }
    const invalidations = b.cacheStats.invalidations;

    const updated = await a.updateUserSessions('u', {
      claims: [{ type: 'role', value: 'editor' }],
    });
    await waitFor(() => b.cacheStats.invalidations > invalidations, {
      timeoutMs: 1000,
      description: 'the update on worker b',
    });
    // One message for both.
    expect(b.cacheStats.invalidations).toBe(invalidations + 1);
    for (const session of updated) {
      expect(await b.getSession(session.sessionId)).toEqual(session);
    }
    expect(updated.map((session) => session.sessionId).sort()).toEqual(['u-1', 'u-2']);
  });

  it('the session scripts never publish a message over MAX_SESSION_CACHE_MESSAGE_BYTES', async () => {
    const prefix = `cache-${randomBytes(4).toString('hex')}`;
    const sessions = store(await worker(prefix, 'worker-a'));
    const listener = new Redis(redisClientOptions(server.url));
    closers.push(() => listener.disconnect());
    await listener.connect();
    const messages: string[] = [];
    listener.on('message', (_channel: string, message: string) => messages.push(message));
    await listener.subscribe(`${prefix}:sessions:invalidated`);
    const count = SESSION_CACHE_MESSAGE_KEYS * 2 + 10;
    for (let index = 0; index < count; index += 1) {
      await sessions.createSession({ userId: 'u' });
    }
    // Versions of several digits make the update messages as long as they get here.
    for (let round = 0; round < 3; round += 1) {
      await sessions.updateUserSessions('u', { roles: [`r${round}`] });
    }
    expect(await sessions.deleteUserSessions('u')).toBe(count);
    await waitFor(() => messages.filter((message) => message.startsWith('delete ')).length === 3, {
      description: 'the delete messages',
    });

    const updates = messages.filter((message) => message.startsWith('update '));
    const deletes = messages.filter((message) => message.startsWith('delete '));
    expect(updates).toHaveLength(9);
    expect(updates.flatMap((message) => message.split(' ').slice(1))).toHaveLength(count * 2 * 3);
    expect(deletes.flatMap((message) => message.split(' ').slice(1))).toHaveLength(count);
    for (const message of messages) {
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_SESSION_CACHE_MESSAGE_BYTES);
    }
  });

  it('stops serving while its subscriber is disconnected, and serves again after it is back', async () => {
    const { a, b } = await workers();
    await a.createSession({ sessionId: 's-1', userId: 'u' });
    await a.createSession({ sessionId: 's-2', userId: 'u' });
    await b.getSession('s-1');
    await b.getSession('s-2');
    expect(b.cacheStats.size).toBe(2);

    const killed = await admin.client('KILL', 'TYPE', 'pubsub');
    expect(Number(killed)).toBeGreaterThanOrEqual(2);
    await waitFor(() => !b.cacheStats.live, { description: 'the cache off' });
    expect(b.cacheStats.size).toBe(0);

    // The message of this delete cannot reach worker b's subscriber, yet b sees it.
    expect(await a.deleteSession('s-1')).toBe(true);
    const hits = b.cacheStats.hits;
    expect(await b.getSession('s-1')).toBeNull();
    expect(await b.getSession('s-2')).not.toBeNull();
    expect(b.cacheStats.hits).toBe(hits);

    await waitFor(() => b.cacheStats.live, {
      timeoutMs: 5000,
      description: 'the cache live again',
    });
    await b.getSession('s-2');
    await b.getSession('s-2');
    expect(b.cacheStats.hits).toBeGreaterThan(hits);
    // Invalidation works on the new subscription.
    expect(await a.deleteSession('s-2')).toBe(true);
    await eventually(b, 's-2', (session) => session === null, 'the delete after reconnect');
  });

  it('fails closed within about 2 s when Redis hangs, instead of serving the cached session', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const hanging = await RedisTestServer.start();
    servers.push(hanging);
    const { a, b } = await workers({ redisUrl: hanging.url });
    await a.createSession({ sessionId: 's', userId: 'u' });
    await b.getSession('s');
    expect(await b.getSession('s')).not.toBeNull();
    expect(b.cacheStats.hits).toBe(1);

    let failure: unknown;
    process.kill(hanging.pid!, 'SIGSTOP');
    try {
      await waitFor(
        async () => {
          try {
            await b.getSession('s');
            return false;
          } catch (error) {
            failure = error;
            return true;
          }
        },
        { timeoutMs: 2500, intervalMs: 50, description: 'getSession failing while Redis hangs' },
      );
      expect(failure).toBeInstanceOf(StateBackendUnavailableError);
      expect(b.cacheStats.live).toBe(false);
      expect(b.cacheStats.size).toBe(0);
    } finally {
      process.kill(hanging.pid!, 'SIGCONT');
    }

    await waitFor(() => b.cacheStats.live, {
      timeoutMs: 5000,
      description: 'the cache live again',
    });
    // The pool is marked up by its own probe, which may answer a moment after the subscriber.
    await waitFor(async () => (await b.getSession('s').catch(() => null)) !== null, {
      timeoutMs: 5000,
      description: 'the session readable again',
    });
  });

  it('serves an entry until the session expires', async () => {
    const { a, b } = await workers();
    const session = await a.createSession({ sessionId: 'short', userId: 'u', ttl: 0.4 });
    await b.getSession('short');
    expect(await b.getSession('short')).not.toBeNull();
    expect(b.cacheStats.hits).toBe(1);

    await sleep(Math.max(0, session.expiresAt - Date.now()) + 20);
    expect(await b.getSession('short')).toBeNull();
    expect(b.cacheStats.hits).toBe(1);
  });

  it('serves an entry for at most sessionCacheTtl, even when the change was never published', async () => {
    const { b, prefix } = await workers({ sessionCacheTtl: 0.3 });
    await b.createSession({ sessionId: 's', userId: 'u', roles: ['viewer'] });
    expect((await b.getSession('s'))!.roles).toEqual(['viewer']);

    // A change made by hand, outside Livegate's scripts: nothing is published.
    const [key] = await admin.keys(`${prefix}:session:*`);
    await admin.hset(key, 'roles', JSON.stringify(['admin']));
    expect((await b.getSession('s'))!.roles).toEqual(['viewer']);

    await sleep(350);
    expect((await b.getSession('s'))!.roles).toEqual(['admin']);
  });

  it('keeps at most sessionCacheSize entries, evicting the least recently used', async () => {
    const { b } = await workers({ sessionCacheSize: 3 });
    for (const sessionId of ['s-1', 's-2', 's-3', 's-4', 's-5']) {
      await b.createSession({ sessionId, userId: 'u' });
      await b.getSession(sessionId);
    }
    expect(b.cacheStats.size).toBe(3);
    // Held now: s-3, s-4, s-5. Touching s-3 leaves s-4 the least recently used.
    let hits = b.cacheStats.hits;
    await b.getSession('s-3');
    expect(b.cacheStats.hits).toBe(++hits);
    await b.getSession('s-1');
    expect(b.cacheStats.hits).toBe(hits);
    for (const sessionId of ['s-3', 's-5', 's-1']) {
      await b.getSession(sessionId);
      expect(b.cacheStats.hits).toBe(++hits);
    }
    await b.getSession('s-4');
    expect(b.cacheStats.hits).toBe(hits);
    expect(b.cacheStats.size).toBe(3);
  });

  it('is off with sessionCacheSize 0: every read goes to Redis, nothing subscribes', async () => {
    const prefix = `cache-${randomBytes(4).toString('hex')}`;
    const b = store(await worker(prefix, 'worker-b', { sessionCacheSize: 0 }));
    await b.createSession({ sessionId: 's', userId: 'u' });
    await sleep(100);
    expect(await admin.pubsub('NUMSUB', `${prefix}:sessions:invalidated`)).toEqual([
      `${prefix}:sessions:invalidated`,
      0,
    ]);

    await admin.config('RESETSTAT');
    for (let read = 0; read < 5; read += 1) {
      expect(await b.getSession('s')).not.toBeNull();
    }
    expect((await commandCalls()).hgetall).toBe(5);
    expect(b.cacheStats).toEqual({
      enabled: false,
      live: false,
      size: 0,
      hits: 0,
      misses: 0,
      invalidations: 0,
      oversized: 0,
    });
  });

  it('stops with the backend', async () => {
    const prefix = `cache-${randomBytes(4).toString('hex')}`;
    const state = await worker(prefix, 'worker-a');
    const sessions = store(state);
    await waitFor(() => sessions.cacheStats.live);
    await sessions.createSession({ sessionId: 's', userId: 'u' });
    await sessions.getSession('s');
    await state.close();
    expect(sessions.cacheStats).toMatchObject({ live: false, size: 0 });
    await expect(sessions.getSession('s')).rejects.toThrow(StateBackendUnavailableError);
  });

  describe('RedisSessionCache', () => {
    const channel = 'unit:sessions:invalidated';

    async function liveCache(options: { maxAgeSeconds?: number } = {}) {
      const subscriber = new Redis({
        ...redisClientOptions(server.url),
        enableOfflineQueue: true,
        commandTimeout: undefined,
      });
      const cache = new RedisSessionCache(subscriber, {
        channel,
        maxEntries: 10,
        maxAgeSeconds: options.maxAgeSeconds ?? 30,
      });
      closers.push(() => {
        cache.close();
        subscriber.disconnect();
      });
      // Not live before its subscription is confirmed: a fetch started now is never kept.
      expect(cache.begin()).toBeNull();
      await subscriber.connect();
      await waitFor(() => cache.stats.live, { description: 'the cache live' });
      return cache;
    }

    const session = (expiresAt = Date.now() + 60_000) =>
      Object.freeze({
        sessionId: 'id',
        userId: 'u',
        roles: Object.freeze([]),
        metadata: Object.freeze({}),
        createdAt: Date.now(),
        expiresAt,
        ttl: 60,
        version: 1,
      });

    it('does not keep a fetch that an invalidation overtook', async () => {
      const cache = await liveCache();
      const ticket = cache.begin();
      expect(ticket).not.toBeNull();
      // The delete is published while the fetch is in flight.
      await admin.publish(channel, 'delete key-1');
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.store('id-1', 'key-1', session(), ticket)).toBe(false);
      expect(cache.get('id-1')).toBeUndefined();

      const fresh = cache.begin();
      expect(cache.store('id-1', 'key-1', session(), fresh)).toBe(true);
      expect(cache.get('id-1')).toMatchObject({ userId: 'u' });
    });

    it('marks a session deleted when its hashed key is published, and only that one', async () => {
      const cache = await liveCache();
      expect(cache.store('id-1', 'key-1', session(), cache.begin())).toBe(true);
      expect(cache.store('id-2', 'key-2', session(), cache.begin())).toBe(true);
      await admin.publish(channel, 'delete key-1');
      await waitFor(() => cache.stats.invalidations === 1);
      // Known deleted: answered without asking Redis.
      expect(cache.get('id-1')).toBeNull();
      expect(cache.get('id-2')).toMatchObject({ userId: 'u' });
      // A message naming the session id rather than its key changes nothing.
      await admin.publish(channel, 'delete id-2');
      await waitFor(() => cache.stats.invalidations === 2);
      expect(cache.get('id-2')).toMatchObject({ userId: 'u' });
      // A session created again under the id is fetched afresh.
      await admin.publish(channel, 'create key-1');
      await waitFor(() => cache.get('id-1') === undefined, {
        description: 'the deletion mark gone',
      });
      expect(cache.stats.invalidations).toBe(2);
    });

    it('moves the expiry of a refreshed session in place, within the maximum age', async () => {
      const cache = await liveCache({ maxAgeSeconds: 60 });
      const before = session(Date.now() + 1000);
      expect(cache.store('id-1', 'key-1', before, cache.begin())).toBe(true);
      const later = Date.now() + 30_000;
      await admin.publish(channel, `refresh key-1 ${later}`);
      await waitFor(() => cache.stats.invalidations === 1);
      const after = cache.get('id-1')!;
      expect(after.expiresAt).toBe(later);
      expect(Object.isFrozen(after)).toBe(true);
      expect(before.expiresAt).toBeLessThan(later);
      // A refresh into the past ends the entry.
      await admin.publish(channel, `refresh key-1 ${Date.now() - 1}`);
      await waitFor(() => cache.stats.invalidations === 2);
      expect(cache.get('id-1')).toBeUndefined();
    });

    it('empties itself on a message it cannot read', async () => {
      const cache = await liveCache();
      expect(cache.store('id-1', 'key-1', session(), cache.begin())).toBe(true);
      expect(cache.store('id-2', 'key-2', session(), cache.begin())).toBe(true);
      await admin.publish(channel, 'refresh key-1 soon');
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.stats.size).toBe(0);
      expect(cache.get('id-2')).toBeUndefined();
    });

    it('does not keep a fetch that this process invalidated', async () => {
      const cache = await liveCache();
      const ticket = cache.begin();
      cache.invalidate(['key-1']);
      expect(cache.store('id-1', 'key-1', session(), ticket)).toBe(false);
    });

    it('serves an entry only before expiresAt and before its maximum age', async () => {
      const cache = await liveCache({ maxAgeSeconds: 0.2 });
      const store = (id: string, expiresAt?: number) =>
        cache.store(id, `key-${id}`, session(expiresAt), cache.begin());
      expect(store('expiring', Date.now() + 100)).toBe(true);
      expect(store('aging')).toBe(true);
      expect(store('expired', Date.now() - 1)).toBe(false);
      expect(cache.get('expiring')).toBeDefined();
      expect(cache.get('aging')).toBeDefined();
      await sleep(120);
      expect(cache.get('expiring')).toBeUndefined();
      expect(cache.get('aging')).toBeDefined();
      await sleep(100);
      expect(cache.get('aging')).toBeUndefined();
    });

    it('ignores messages on other channels and empty messages', async () => {
      const cache = await liveCache();
      expect(cache.store('id-1', 'key-1', session(), cache.begin())).toBe(true);
      await admin.publish('unit:channel:sessions', 'key-1');
      await admin.publish(channel, '');
      await admin.publish(channel, 'delete key-2 key-3');
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.get('id-1')).toBeDefined();
    });

    it('drops an entry older than the version an update names, and keeps a newer one', async () => {
      const cache = await liveCache();
      const at = (version: number) => Object.freeze({ ...session(), version });
      expect(cache.store('id-1', 'key-1', at(1), cache.begin())).toBe(true);
      expect(cache.store('id-2', 'key-2', at(5), cache.begin())).toBe(true);
      expect(cache.store('id-3', 'key-3', at(1), cache.begin())).toBe(true);
      await admin.publish(channel, 'update key-1 2 key-2 5');
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.get('id-1')).toBeUndefined();
      expect(cache.get('id-2')).toMatchObject({ version: 5 });
      expect(cache.get('id-3')).toMatchObject({ version: 1 });

      // A deleted session stays deleted: an update cannot bring it back.
      await admin.publish(channel, 'delete key-3');
      await admin.publish(channel, 'update key-3 9');
      await waitFor(() => cache.stats.invalidations === 3);
      expect(cache.get('id-3')).toBeNull();
    });

    it('does not keep a fetch that an update overtook', async () => {
      const cache = await liveCache();
      const ticket = cache.begin();
      await admin.publish(channel, 'update key-1 2');
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.store('id-1', 'key-1', session(), ticket)).toBe(false);
      expect(cache.get('id-1')).toBeUndefined();
    });

    it('keeps what this process changed only when no message came in between', async () => {
      const cache = await liveCache();
      const changed = Object.freeze({ ...session(), version: 2 });
      cache.settle(cache.begin(), [], [{ sessionId: 'id-1', key: 'key-1', session: changed }]);
      expect(cache.get('id-1')).toBe(changed);
      // Its own message names the same version: the entry stays.
      await admin.publish(channel, 'update key-1 2');
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.get('id-1')).toBe(changed);

      const ticket = cache.begin();
      await admin.publish(channel, 'update key-1 4');
      await waitFor(() => cache.stats.invalidations === 2);
      cache.settle(
        ticket,
        [],
        [{ sessionId: 'id-1', key: 'key-1', session: Object.freeze({ ...session(), version: 3 }) }],
      );
      expect(cache.get('id-1')).toBeUndefined();
    });

    it('empties itself on an update it cannot read', async () => {
      for (const message of [
        'update key-1',
        'update key-1 two',
        'update key-1 0',
        'update key-1 2 key-2',
      ]) {
        const cache = await liveCache();
        expect(cache.store('id-2', 'key-2', session(), cache.begin())).toBe(true);
        await admin.publish(channel, message);
        await waitFor(() => cache.stats.invalidations >= 1, { description: message });
        expect(cache.stats.size).toBe(0);
      }
    });

    it('drops and counts a message over the size cap without applying it', async () => {
      const cache = await liveCache();
      expect(cache.store('id-1', 'key-1', session(), cache.begin())).toBe(true);
      const padding = ' key-0'.repeat(Math.ceil(MAX_SESSION_CACHE_MESSAGE_BYTES / 6));
      await admin.publish(channel, `delete key-1${padding}`);
      // Over the cap in bytes though not in characters.
      await admin.publish(
        channel,
        `delete key-1 ${'é'.repeat(MAX_SESSION_CACHE_MESSAGE_BYTES / 2)}`,
      );
      await waitFor(() => cache.stats.oversized === 2, { description: 'both messages dropped' });
      expect(cache.stats.invalidations).toBe(0);
      expect(cache.get('id-1')).toMatchObject({ userId: 'u' });
      // A message at the cap is read.
      const exact = `delete key-1 ${'k'.repeat(MAX_SESSION_CACHE_MESSAGE_BYTES - 'delete key-1 '.length)}`;
      expect(Buffer.byteLength(exact)).toBe(MAX_SESSION_CACHE_MESSAGE_BYTES);
      await admin.publish(channel, exact);
      await waitFor(() => cache.stats.invalidations === 1);
      expect(cache.get('id-1')).toBeNull();
    });
  });
});
