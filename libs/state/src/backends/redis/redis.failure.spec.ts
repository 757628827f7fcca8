import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { StateBackendUnavailableError, StateConfigurationError } from '../../state.errors';
import { RedisTestServer } from '../../testing/redis-server';
import { waitFor } from '../../testing/wait';
import type { StateBackend } from '../state-backend';
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
