import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createMemoryBackend } from '../backends/memory/memory.backend';
import { StateRedisConnection } from '../backends/redis/redis-connection';
import { randomRawKey, useSqliteSandbox } from '../backends/sqlite/sqlite-test.helpers';
import type { StateBackend } from '../backends/state-backend';
import type { StateBackendFactory } from '../state.options';
import { STATE_BACKEND } from '../state.constants';
import { StateModule } from '../state.module';
import { RedisTestServer } from '../testing/redis-server';
import { waitFor } from '../testing/wait';
import { STATE_HEALTH_TIMEOUT_MS, StateHealthIndicator } from './state-health.indicator';

const OPTIONS = {
  widgetTtl: 60,
  connectionTtl: 60,
  sessionTtl: 60,
  workerId: 'w',
  sweepInterval: 60,
};

/** The health indicator of an app on `backend`, and a way to close the app. */
async function indicatorOn(backend: Parameters<typeof StateModule.forRoot>[0]): Promise<{
  health: StateHealthIndicator;
  close: () => Promise<void>;
  get: <T>(token: unknown) => T;
}> {
  const moduleRef = await Test.createTestingModule({
    imports: [StateModule.forRoot({ workerId: 'w', ...backend })],
  }).compile();
  await moduleRef.init();
  return {
    health: moduleRef.get(StateHealthIndicator),
    get: <T>(token: unknown) => moduleRef.get(token as never) as T,
    close: () => moduleRef.close(),
  };
}

/** A custom backend: the memory stores with the given health check. */
function customBackend(health?: StateBackend['health']): StateBackendFactory {
  return async () => {
    const memory = await createMemoryBackend(OPTIONS);
    return { ...memory, name: 'custom', health };
  };
}

beforeEach(() => {
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('StateHealthIndicator', () => {
  it('reports the memory backend up, in the plain shape and in the terminus shape', async () => {
    const app = await indicatorOn({ backend: 'memory' });
    try {
      expect(await app.health.check()).toEqual({
        status: 'up',
        backend: 'memory',
        responseTime: expect.any(Number),
      });
      expect(await app.health.isHealthy()).toEqual({
        state: { status: 'up', backend: 'memory', responseTime: expect.any(Number) },
      });
      const named = await app.health.isHealthy('sessions');
      expect(Object.keys(named)).toEqual(['sessions']);
      expect(named.sessions.status).toBe('up');
      // Not Redis: the shared connection is absent, for libraries to fall back by themselves.
      expect(app.get(StateRedisConnection)).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  describe('on SQLite', () => {
    const sandbox = useSqliteSandbox();

    it('reads the database: up while it opens, down once its connection is closed', async () => {
      const app = await indicatorOn({
        backend: 'sqlite',
        sqlitePath: sandbox.path(),
        sqliteKey: randomRawKey(),
      });
      try {
        expect(await app.health.check()).toMatchObject({ status: 'up', backend: 'sqlite' });
        await app.get<StateBackend>(STATE_BACKEND).close();
        expect(await app.health.check()).toEqual({
          status: 'down',
          backend: 'sqlite',
          message: 'The SQLite state database is closed',
          responseTime: expect.any(Number),
        });
      } finally {
        await app.close();
      }
    });
  });

  it('reports a custom backend without a check of its own up, and its own check otherwise', async () => {
    const plain = await indicatorOn({ backend: customBackend() });
    try {
      expect(await plain.health.check()).toMatchObject({ status: 'up', backend: 'custom' });
    } finally {
      await plain.close();
    }
    const down = await indicatorOn({
      backend: customBackend(async () => ({ status: 'down', message: 'maintenance' })),
    });
    try {
      expect(await down.health.isHealthy('store')).toEqual({
        store: {
          status: 'down',
          backend: 'custom',
          message: 'maintenance',
          responseTime: expect.any(Number),
        },
      });
    } finally {
      await down.close();
    }
  });

  it('never waits past its deadline nor throws, whatever the backend does', async () => {
    const hanging = await indicatorOn({
      backend: customBackend(() => new Promise(() => undefined)),
    });
    try {
      const started = Date.now();
      expect(await hanging.health.check()).toMatchObject({
        status: 'down',
        message: `The state backend did not answer within ${STATE_HEALTH_TIMEOUT_MS} ms`,
      });
      expect(Date.now() - started).toBeLessThan(STATE_HEALTH_TIMEOUT_MS + 500);
    } finally {
      await hanging.close();
    }
    const throwing = await indicatorOn({
      backend: customBackend(async () => {
        throw new Error('driver text that must not leak');
      }),
    });
    try {
      const report = await throwing.health.check();
      expect(report).toMatchObject({ status: 'down', backend: 'custom' });
      expect(JSON.stringify(report)).not.toContain('driver text');
    } finally {
      await throwing.close();
    }
  });

  describe('on Redis', () => {
    let redis: RedisTestServer;

    beforeAll(async () => {
      redis = await RedisTestServer.start();
    });

    afterAll(async () => {
      await redis?.dispose();
    });

    it('is down while Redis is stopped, within the deadline, and up again once it is back', async () => {
      const app = await indicatorOn({ backend: 'redis', redisUrl: redis.url });
      try {
        expect(await app.health.check()).toMatchObject({ status: 'up', backend: 'redis' });
        const connection = app.get<StateRedisConnection>(StateRedisConnection);
        expect(connection).toBeInstanceOf(StateRedisConnection);
        expect(connection.available).toBe(true);

        await redis.stop();
        await waitFor(async () => (await app.health.check()).status === 'down', {
          description: 'health down',
        });
        const started = Date.now();
        const report = await app.health.check();
        expect(Date.now() - started).toBeLessThan(STATE_HEALTH_TIMEOUT_MS);
        expect(report).toEqual({
          status: 'down',
          backend: 'redis',
          message: expect.any(String),
          responseTime: expect.any(Number),
        });
        expect(report.message).not.toMatch(/Stream|enableOfflineQueue|ENOENT|ECONNREFUSED/);

        await redis.restart();
        await waitFor(async () => (await app.health.check()).status === 'up', {
          timeoutMs: 5000,
          intervalMs: 50,
          description: 'health up again',
        });
      } finally {
        await app.close();
      }
    });
  });
});
