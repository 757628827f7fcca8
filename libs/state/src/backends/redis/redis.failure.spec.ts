import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  StateBackendUnavailableError,
  StateConfigurationError,
  StateStorageFullError,
} from '../../state.errors';
import { stateErrorResponse } from '../../state-exception.filter';
import { RedisTestServer } from '../../testing/redis-server';
import { sleep, waitFor } from '../../testing/wait';
import type { StateBackend } from '../state-backend';
import {
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_HEALTH_TIMEOUT_MS,
  REDIS_PROBE_INTERVAL_MS,
  REDIS_STALL_MS,
} from './redis-connection';
import { createRedisBackend, type RedisBackendOptions } from './redis.backend';

const TTLS = { widgetTtl: 60, connectionTtl: 60, sessionTtl: 60 };
const backends: StateBackend[] = [];
const servers: RedisTestServer[] = [];

async function server(options?: Parameters<typeof RedisTestServer.start>[0]) {
  const started = await RedisTestServer.start(options);
  servers.push(started);
  return started;
}

async function backend(options: Partial<RedisBackendOptions> & { redisUrl: string }) {
  const created = await createRedisBackend({
    ...TTLS,
    redisPrefix: `fail-${randomBytes(4).toString('hex')}`,
    redisPoolSize: 1,
    workerId: 'worker-a',
    ...options,
  });
  backends.push(created);
  return created;
}

/** How long a rejected call took, and what it rejected with. */
async function failure(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
  throw new Error('Expected the call to fail');
}

beforeEach(() => {
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(backends.splice(0).map((created) => created.close()));
  await Promise.all(servers.splice(0).map((started) => started.dispose()));
});

describe('Redis backend failures', () => {
  it('boots while Redis is down, fails calls fast, then recovers by itself', async () => {
    const redis = await server();
    await redis.stop();

    const booted = Date.now();
    const state = await backend({ redisUrl: redis.url });
    expect(Date.now() - booted).toBeLessThan(3000);

    const { ms, error } = await failure(() => state.sessions.getSession('any'));
    expect(error).toBeInstanceOf(StateBackendUnavailableError);
    expect(ms).toBeLessThan(1000);

    // A subscription made while Redis is away is sent when it comes back.
    const received: string[] = [];
    await state.events.subscribe('news', (event) => {
      received.push(event.eventType);
    });

    await redis.restart();
    await waitFor(
      async () => {
        try {
          await state.widgets.register('after', 'x');
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 8000, intervalMs: 100, description: 'Redis store calls working again' },
    );
    expect(await state.widgets.getHtml('after')).toBe('x');
    // The role table is seeded on reconnect.
    expect(await state.sessions.getRolePermissions('editor')).toEqual(['read', 'write']);
    await waitFor(
      async () => {
        await state.events.publish('news', { eventType: 'back' });
        return received.includes('back');
      },
      { timeoutMs: 5000, intervalMs: 200, description: 'the subscription delivering' },
    );
  });

  it('fails within 1 s when Redis dies mid-run, and resubscribes when it returns', async () => {
    const redis = await server();
    const state = await backend({ redisUrl: redis.url });
    const received: string[] = [];
    await state.events.subscribe('news', (event) => {
      received.push(event.eventType);
    });
    await state.sessions.createSession({ sessionId: 's', userId: 'u' });

    await redis.stop();
    for (const call of [
      () => state.sessions.getSession('s'),
      () => state.sessions.createSession({ userId: 'u' }),
      () => state.widgets.register('w', 'x'),
      () => state.events.publish('news', { eventType: 'lost' }),
    ]) {
      const { ms, error } = await failure(call);
      expect(error).toBeInstanceOf(StateBackendUnavailableError);
      expect((error as StateBackendUnavailableError).status).toBe(503);
      expect(ms).toBeLessThan(1000);
    }

    await redis.restart();
    await waitFor(
      async () => {
        try {
          await state.events.publish('news', { eventType: 'back' });
          return received.includes('back');
        } catch {
          return false;
        }
      },
      { timeoutMs: 8000, intervalMs: 200, description: 'publish and delivery after restart' },
    );
    expect(received).not.toContain('lost');
  });

  it('times a command out within 1 s when Redis hangs', async () => {
    const redis = await server();
    const state = await backend({ redisUrl: redis.url });
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      const { ms, error } = await failure(() => state.sessions.getSession('any'));
      expect(error).toBeInstanceOf(StateBackendUnavailableError);
      expect(ms).toBeLessThan(1000);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    await waitFor(
      async () => {
        try {
          return (await state.sessions.getSession('any')) === null;
        } catch {
          return false;
        }
      },
      { timeoutMs: 5000, intervalMs: 100, description: 'calls working after the hang' },
    );
  });

  it('refuses to start with a wrong password, saying so', async () => {
    const redis = await server({ password: 'right-password' });
    await expect(backend({ redisUrl: `${redis.url}?password=wrong` })).rejects.toThrow(
      StateConfigurationError,
    );
    await expect(backend({ redisUrl: `${redis.url}?password=wrong` })).rejects.toThrow(
      /credentials/,
    );
    const state = await backend({ redisUrl: `${redis.url}?password=right-password` });
    expect(await state.widgets.count()).toBe(0);
  });

  it('refuses to start when the Redis user lacks a permission it needs', async () => {
    const redis = await server();
    const reply = await redis.command(
      'ACL',
      'SETUSER',
      'reader',
      'on',
      '>reader-password',
      '~*',
      '&*',
      '+@read',
      '+@connection',
    );
    expect(reply).toContain('OK');
    await expect(
      backend({ redisUrl: `${redis.url}?username=reader&password=reader-password` }),
    ).rejects.toThrow(/lacks a permission/);
  });

  it('warns at startup when Redis may evict sessions', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const evicting = await server({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    await backend({ redisUrl: evicting.url });
    expect(warn.mock.calls.map(([message]) => String(message)).join('\n')).toMatch(
      /maxmemory-policy is 'allkeys-lru'/,
    );

    warn.mockClear();
    const safe = await server({ args: ['--maxmemory-policy', 'noeviction'] });
    await backend({ redisUrl: safe.url });
    expect(warn.mock.calls.map(([message]) => String(message)).join('\n')).not.toMatch(
      /maxmemory-policy/,
    );
  });
});

/** Whether a store call succeeds right now. */
async function works(state: StateBackend): Promise<boolean> {
  try {
    await state.widgets.count();
    return true;
  } catch {
    return false;
  }
}

/** The messages a Logger method was called with. */
function messagesOf(spy: jest.SpyInstance): string[] {
  return spy.mock.calls.map(([message]) => String(message));
}

describe('Redis backend failing fast', () => {
  it('fails every call at once while Redis hangs, and recovers within a second of it answering', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const redis = await server();
    const state = await backend({ redisUrl: redis.url, sessionCacheSize: 0 });
    await state.widgets.register('w', 'x');

    process.kill(redis.pid!, 'SIGSTOP');
    try {
      // Calls in flight when Redis stops answering all fail once the first one stalls, well
      // before their own command timeout.
      const inFlight = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          failure(() => state.widgets.getHtml(index % 2 ? 'w' : 'other')),
        ),
      );
      for (const { ms, error } of inFlight) {
        expect(error).toBeInstanceOf(StateBackendUnavailableError);
        expect(ms).toBeLessThan(REDIS_STALL_MS + 4 * REDIS_PROBE_INTERVAL_MS);
        expect(ms).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS);
      }
      // Known to be away: later calls are refused without a round trip.
      for (let call = 0; call < 20; call += 1) {
        const { ms, error } = await failure(() => state.sessions.getSession('s'));
        expect(error).toBeInstanceOf(StateBackendUnavailableError);
        expect((error as Error).message).toBe('The Redis state backend is unavailable');
        expect(ms).toBeLessThan(100);
      }
      expect(await state.health!()).toEqual({ status: 'down', message: expect.any(String) });
      // The probes keep failing while it hangs; the state stays "unavailable" without new logs.
      await sleep(REDIS_COMMAND_TIMEOUT_MS * 2);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    const resumed = Date.now();
    await waitFor(() => works(state), {
      timeoutMs: 5000,
      intervalMs: 10,
      description: 'calls working after the hang',
    });
    expect(Date.now() - resumed).toBeLessThan(1000);
    expect(await state.widgets.getHtml('w')).toBe('x');
    expect(await state.health!()).toEqual({ status: 'up' });
    expect(messagesOf(warn).filter((message) => /Redis is unavailable/.test(message))).toEqual([
      expect.stringMatching(`no answer within ${REDIS_STALL_MS} ms`),
    ]);
    expect(messagesOf(log).filter((message) => /Redis is available/.test(message))).toHaveLength(1);
  });

  it('logs losing and regaining Redis once each, however many reconnects fail in between', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const redis = await server();
    const state = await backend({ redisUrl: redis.url });

    await redis.stop();
    // The reconnect attempts back off up to 1 s apart: this outage spans several of them.
    for (let call = 0; call < 12; call += 1) {
      const { ms, error } = await failure(() => state.widgets.register('w', 'x'));
      expect(error).toBeInstanceOf(StateBackendUnavailableError);
      expect(ms).toBeLessThan(100);
      await sleep(250);
    }
    await redis.restart();
    await waitFor(() => works(state), { timeoutMs: 5000, intervalMs: 20 });
    await sleep(500);

    expect(messagesOf(warn).filter((message) => /Redis is unavailable/.test(message))).toHaveLength(
      1,
    );
    expect(messagesOf(log).filter((message) => /Redis is available/.test(message))).toHaveLength(1);
  });

  it('gives clients a stable message and keeps the driver error as the cause', async () => {
    const redis = await server();
    const prefix = `driver-${randomBytes(4).toString('hex')}`;
    const state = await backend({ redisUrl: redis.url, redisPrefix: prefix });
    // A key of the wrong type makes Redis answer with an error of its own.
    expect(await redis.command('SET', `${prefix}:widgets:active`, 'not-a-sorted-set')).toContain(
      'OK',
    );

    const { error } = await failure(() => state.widgets.count());
    expect(error).toBeInstanceOf(StateBackendUnavailableError);
    expect((error as Error).message).toBe('The Redis state backend is unavailable');
    expect(String((error as Error).cause)).toMatch(/WRONGTYPE/);
    const { body } = stateErrorResponse(error as StateBackendUnavailableError);
    expect(JSON.stringify(body)).not.toMatch(/WRONGTYPE|Stream|enableOfflineQueue/);
    // Redis answered: it is there, and other calls go on working.
    expect(await state.widgets.exists('w')).toBe(false);

    await redis.stop();
    const stopped = await failure(() => state.widgets.register('w', 'x'));
    expect((stopped.error as Error).message).toBe('The Redis state backend is unavailable');
    expect(
      JSON.stringify(stateErrorResponse(stopped.error as StateBackendUnavailableError)),
    ).not.toMatch(/Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ENOENT/);
  });

  it('reports Redis out of memory as storage full, and goes on serving reads', async () => {
    const redis = await server({ args: ['--maxmemory-policy', 'noeviction'] });
    const state = await backend({ redisUrl: redis.url });
    await state.widgets.register('w', 'x');
    expect(await redis.command('CONFIG', 'SET', 'maxmemory', '1')).toContain('OK');

    const { error } = await failure(() => state.widgets.register('other', 'y'));
    expect(error).toBeInstanceOf(StateStorageFullError);
    expect((error as StateStorageFullError).status).toBe(507);
    expect(stateErrorResponse(error as StateStorageFullError)).toMatchObject({
      status: 507,
      body: { error: 'storage_full' },
      retryAfterSeconds: expect.any(Number),
    });
    expect(await state.widgets.getHtml('w')).toBe('x');

    expect(await redis.command('CONFIG', 'SET', 'maxmemory', '0')).toContain('OK');
    await state.widgets.register('other', 'y');
    expect(await state.widgets.getHtml('other')).toBe('y');
  });

  it('reports its health: up, down at once when stopped, down within the deadline when hung', async () => {
    const redis = await server();
    const state = await backend({ redisUrl: redis.url });
    expect(await state.health!()).toEqual({ status: 'up' });

    process.kill(redis.pid!, 'SIGSTOP');
    try {
      const started = Date.now();
      expect(await state.health!()).toEqual({
        status: 'down',
        message: `Redis did not answer within ${REDIS_HEALTH_TIMEOUT_MS} ms`,
      });
      expect(Date.now() - started).toBeLessThan(REDIS_HEALTH_TIMEOUT_MS + 300);
      // The connection learnt from it: store calls now fail at once too.
      expect((await failure(() => state.widgets.count())).ms).toBeLessThan(100);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    await waitFor(async () => (await state.health!()).status === 'up', {
      timeoutMs: 3000,
      intervalMs: 20,
      description: 'health up after the hang',
    });

    await redis.stop();
    const started = Date.now();
    await waitFor(async () => (await state.health!()).status === 'down', {
      timeoutMs: 1000,
      description: 'health down once Redis stopped',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await redis.restart();
    await waitFor(async () => (await state.health!()).status === 'up', {
      timeoutMs: 5000,
      intervalMs: 20,
      description: 'health up after the restart',
    });
  });
});

describe('the shared Redis connection', () => {
  it('runs commands through the fail-fast circuit and says whether Redis is available', async () => {
    const redis = await server();
    const prefix = `shared-${randomBytes(4).toString('hex')}`;
    const state = await backend({ redisUrl: redis.url, redisPrefix: prefix });
    const connection = state.redis!;
    expect(connection.prefix).toBe(prefix);
    expect(connection.available).toBe(true);
    await connection.run((client) => client.set(`${prefix}:token`, 'v'));
    expect(await connection.run((client) => client.get(`${prefix}:token`))).toBe('v');

    await redis.stop();
    await waitFor(() => !connection.available, { description: 'unavailable after the stop' });
    const { ms, error } = await failure(() => connection.run((client) => client.get('x')));
    expect(error).toBeInstanceOf(StateBackendUnavailableError);
    expect(ms).toBeLessThan(100);
    await redis.restart();
    await waitFor(() => connection.available, { timeoutMs: 5000, intervalMs: 20 });
  });

  it('makes duplicates for pub/sub with an error listener, and closes them with the backend', async () => {
    const redis = await server();
    const state = await backend({ redisUrl: redis.url });
    const connection = state.redis!;
    const publisher = connection.duplicate();
    const subscriber = connection.duplicate({ subscriber: true });
    for (const client of [publisher, subscriber]) {
      expect(client.listenerCount('error')).toBeGreaterThan(0);
    }
    // A subscriber may subscribe before it is connected: the command waits in its queue.
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe('shared-channel');
    await waitFor(() => publisher.status === 'ready', { description: 'publisher connected' });
    await waitFor(
      async () => {
        await publisher.publish('shared-channel', 'hello');
        return received.includes('hello');
      },
      { timeoutMs: 3000, intervalMs: 50, description: 'a message through the duplicates' },
    );

    // The publisher keeps the command settings: no offline queue, so it fails at once when the
    // server is gone instead of queueing.
    await redis.stop();
    await waitFor(() => publisher.status !== 'ready', { description: 'publisher disconnected' });
    const started = Date.now();
    await expect(publisher.publish('shared-channel', 'lost')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(100);

    // Closing the backend closes the duplicates too: none reconnects when the server is back.
    await state.close();
    await redis.restart();
    await sleep(1500);
    expect([publisher, subscriber].map((client: Redis) => client.status)).not.toContain('ready');
    expect((await redis.command('CLIENT', 'LIST')).match(/^id=/gm)).toHaveLength(1);
    expect(() => connection.duplicate()).toThrow(StateBackendUnavailableError);
  });
});
