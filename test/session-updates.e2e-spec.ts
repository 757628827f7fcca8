import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3-multiple-ciphers';
import {
  createMemoryBackend,
  createRedisBackend,
  createSqliteBackend,
  SessionStore,
  type SqliteStateBackend,
  type StateBackend,
  type StateModuleOptions,
  type UserSession,
} from '@livegate/state';
import { RedisTestServer, waitFor } from '@livegate/state/testing';
import { authTestModule } from './support/auth-app';
import { startApp } from './support/platform';
import { WorkerProcess } from './support/worker-process';

const GRANTS = 50;

interface CacheStats {
  live: boolean;
  hits: number;
  invalidations: number;
}

/** The hex SHA-256 of a session id: the key both Redis and SQLite keep a session under. */
const hashOf = (sessionId: string) => createHash('sha256').update(sessionId, 'utf8').digest();

/** 50 grants on distinct resources, sent at once, half through each worker. */
async function grantFromBoth(
  workers: [WorkerProcess, WorkerProcess],
  sessionId: string,
): Promise<number[]> {
  const replies = await Promise.all(
    Array.from({ length: GRANTS }, (_, index) =>
      workers[index % 2].request<UserSession>('POST', `/sessions/${sessionId}/update`, {
        grant: [{ resourceType: 'widget', resourceId: `w-${index}`, permissions: ['write'] }],
      }),
    ),
  );
  for (const reply of replies) {
    expect(reply.status).toBe(201);
  }
  return replies.map((reply) => reply.body.version);
}

async function expectAllGrants(
  workers: [WorkerProcess, WorkerProcess],
  sessionId: string,
): Promise<void> {
  const wanted = Array.from({ length: GRANTS }, (_, index) => `widget:w-${index}`).sort();
  for (const worker of workers) {
    const { status, body } = await worker.request<UserSession>('GET', `/sessions/${sessionId}`);
    expect(status).toBe(200);
    expect(body.version).toBe(GRANTS + 1);
    expect(Object.keys(body.metadata.permissions as object).sort()).toEqual(wanted);
  }
}

describe('session updates across worker processes', () => {
  const workers: WorkerProcess[] = [];
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'livegate-session-updates-'));
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  async function twoWorkers(env: Record<string, string>): Promise<[WorkerProcess, WorkerProcess]> {
    const started = await Promise.all([
      WorkerProcess.start('worker-a', env),
      WorkerProcess.start('worker-b', env),
    ]);
    workers.push(...started);
    return [started[0], started[1]];
  }

  describe('on one Redis', () => {
    let redis: RedisTestServer;
    let env: Record<string, string>;

    beforeAll(async () => {
      redis = await RedisTestServer.start();
    });

    beforeEach(() => {
      env = {
        LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
        LIVEGATE_DEPLOY__REDIS_URL: redis.url,
        LIVEGATE_DEPLOY__REDIS_PREFIX: `updates-${randomBytes(4).toString('hex')}`,
      };
    });

    afterAll(async () => {
      await redis?.dispose();
    });

    it('keeps all of 50 grants on distinct resources sent at once from two workers', async () => {
      const pair = await twoWorkers(env);
      const { body: session } = await pair[0].request<UserSession>('POST', '/sessions', {
        userId: 'u-1',
      });

      const versions = await grantFromBoth(pair, session.sessionId);

      expect(versions.sort((a, b) => a - b)).toEqual(
        Array.from({ length: GRANTS }, (_, index) => index + 2),
      );
      await expectAllGrants(pair, session.sessionId);
    });

    it("shows an update made on one worker in another worker's session cache", async () => {
      const [a, b] = await twoWorkers(env);
      const cacheOf = async (worker: WorkerProcess) =>
        (await worker.request<{ stats: CacheStats }>('GET', '/session-cache')).body.stats;
      await waitFor(async () => (await cacheOf(b)).live, {
        timeoutMs: 5000,
        description: "worker b's session cache live",
      });
      const { body: created } = await a.request<UserSession>('POST', '/sessions', {
        userId: 'u-2',
        roles: ['viewer'],
      });
      // Worker b holds the session in its cache.
      await b.request('GET', `/sessions/${created.sessionId}`);
      const hits = (await cacheOf(b)).hits;
      expect((await b.request<UserSession>('GET', `/sessions/${created.sessionId}`)).body).toEqual(
        created,
      );
      expect((await cacheOf(b)).hits).toBe(hits + 1);
      const invalidations = (await cacheOf(b)).invalidations;

      const { body: updated } = await a.request<UserSession>(
        'POST',
        `/sessions/${created.sessionId}/update`,
        { roles: ['editor'], claims: [{ type: 'tier', value: 'beta' }] },
      );
      expect(updated.version).toBe(2);

      await waitFor(async () => (await cacheOf(b)).invalidations > invalidations, {
        timeoutMs: 2000,
        description: 'the update message on worker b',
      });
      expect((await b.request<UserSession>('GET', `/sessions/${created.sessionId}`)).body).toEqual(
        updated,
      );

      // A rotation on a drops the old id from b's cache too.
      const { body: rotated } = await a.request<UserSession>(
        'POST',
        `/sessions/${created.sessionId}/rotate`,
      );
      await waitFor(
        async () => (await b.request('GET', `/sessions/${created.sessionId}`)).status === 404,
        { timeoutMs: 2000, description: 'the old id gone on worker b' },
      );
      expect((await b.request<UserSession>('GET', `/sessions/${rotated.sessionId}`)).body).toEqual(
        rotated,
      );

      // And a change of every session of the user.
      const { body: all } = await b.request<{ sessions: UserSession[] }>(
        'POST',
        '/users/u-2/sessions/update',
        { grant: [{ resourceType: 'widget', resourceId: 'w', permissions: ['write'] }] },
      );
      expect(all.sessions.map((session) => session.version)).toEqual([4]);
      await waitFor(
        async () =>
          (await a.request<UserSession>('GET', `/sessions/${rotated.sessionId}`)).body.version ===
          4,
        { timeoutMs: 2000, description: 'the user-wide update on worker a' },
      );
    });

    it('answers a bad change with 400 on every worker, changing nothing', async () => {
      const [a, b] = await twoWorkers(env);
      const { body: session } = await a.request<UserSession>('POST', '/sessions', {
        userId: 'u-3',
      });
      for (const change of [{}, { roles: 'admin' }, { grant: [{ resourceType: 'file' }] }]) {
        const reply = await b.request('POST', `/sessions/${session.sessionId}/update`, change);
        expect(reply).toEqual({
          status: 400,
          body: { error: 'invalid_input', message: expect.any(String) },
        });
      }
      expect((await a.request('GET', `/sessions/${session.sessionId}`)).body).toEqual(session);
    });
  });

  describe('on one SQLite file', () => {
    it('keeps all of 50 grants on distinct resources sent at once from two processes', async () => {
      const pair = await twoWorkers({
        LIVEGATE_DEPLOY__STATE_BACKEND: 'sqlite',
        LIVEGATE_DEPLOY__SQLITE_PATH: join(directory, 'shared.db'),
        LIVEGATE_DEPLOY__SQLITE_KEY: `x'${randomBytes(32).toString('hex')}'`,
      });
      const { body: session } = await pair[0].request<UserSession>('POST', '/sessions', {
        userId: 'u-1',
      });

      const versions = await grantFromBoth(pair, session.sessionId);

      expect(new Set(versions).size).toBe(GRANTS);
      await expectAllGrants(pair, session.sessionId);
    });
  });
});

describe('a connection heartbeat never extends a session', () => {
  const backends: StateBackend[] = [];
  let redis: RedisTestServer;
  let directory: string;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    directory = mkdtempSync(join(tmpdir(), 'livegate-heartbeat-'));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    await Promise.all(backends.map((backend) => backend.close()));
    await redis?.dispose();
    rmSync(directory, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  const ttls = { widgetTtl: 60, connectionTtl: 60, sessionTtl: 0.6, sessionMaxLifetime: 0.8 };
  const factories: [string, () => Promise<StateBackend>][] = [
    ['memory', () => createMemoryBackend({ ...ttls, workerId: 'w', sweepInterval: 60 })],
    [
      'sqlite',
      (): Promise<SqliteStateBackend> =>
        createSqliteBackend({
          ...ttls,
          sqlitePath: join(directory, 'heartbeat.db'),
          sqliteKey: `x'${randomBytes(32).toString('hex')}'`,
          keyring: null,
          workerId: 'w',
          sweepInterval: 60,
        }),
    ],
    [
      'redis',
      () =>
        createRedisBackend({
          ...ttls,
          redisUrl: redis.url,
          redisPrefix: 'heartbeat',
          redisPoolSize: 1,
          workerId: 'w',
        }),
    ],
  ];

  it.each(factories)('on %s', async (_name, open) => {
    const backend = await open();
    backends.push(backend);
    const session = await backend.sessions.createSession({ userId: 'u' });
    await backend.connections.registerConnection('widget-1', 'w', {
      userId: 'u',
      sessionId: session.sessionId,
    });

    await waitFor(
      async () => {
        await backend.connections.refreshHeartbeat('widget-1');
        return !(await backend.sessions.validateSession(session.sessionId));
      },
      { timeoutMs: 3000, intervalMs: 50, description: 'the session to expire' },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(session.expiresAt);
    expect(await backend.connections.refreshHeartbeat('widget-1')).toBe(true);
    expect(await backend.sessions.getSession(session.sessionId)).toBeNull();
    // Nor does a refresh, past the absolute lifetime.
    expect(await backend.sessions.refreshSession(session.sessionId, 60)).toBe(false);
  });
});

describe('damaged session records through an app', () => {
  let redis: RedisTestServer;
  let directory: string;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    directory = mkdtempSync(join(tmpdir(), 'livegate-damaged-'));
  });

  afterAll(async () => {
    await redis?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  const sqliteKey = `x'${randomBytes(32).toString('hex')}'`;
  const backends: [string, () => StateModuleOptions, (sessionId: string) => Promise<void>][] = [
    [
      'redis',
      () => ({ backend: 'redis', redisUrl: redis.url, redisPrefix: 'damaged' }),
      async (sessionId) => {
        const key = hashOf(sessionId).toString('hex');
        // An existing field overwritten: the reply counts no new field.
        expect(await redis.command('HSET', `damaged:session:${key}`, 'roles', '{not-json')).toMatch(
          /^:0\r\n/,
        );
      },
    ],
    [
      'sqlite',
      () => ({ backend: 'sqlite', sqlitePath: join(directory, 'damaged.db'), sqliteKey }),
      async (sessionId) => {
        // A connection of its own, as another program writing to the file would have.
        const connection = new Database(join(directory, 'damaged.db'));
        try {
          connection.pragma(`cipher = 'sqlcipher'`);
          connection.key(Buffer.from(sqliteKey, 'utf8'));
          connection
            .prepare(`UPDATE sessions SET metadata = '[broken' WHERE id_hash = ?`)
            .run(hashOf(sessionId));
        } finally {
          connection.close();
        }
      },
    ],
  ];

  it.each(backends)(
    'on %s: 401 on protected routes, public routes answer, logged once',
    async (_name, state, damage) => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { app, base } = await startApp(
        [
          authTestModule(
            {
              enabled: true,
              tokenSecret: 'damaged-secret-0123456789-abcdefghij',
              secureCookies: false,
            },
            state(),
          ),
        ],
        'express',
      );
      try {
        const sessions = app.get(SessionStore);
        const intact = await sessions.createSession({ userId: 'u', roles: ['admin'] });
        const session = await sessions.createSession({ userId: 'u', roles: ['admin'] });
        const cookie = { cookie: `livegate_session=${session.sessionId}` };
        // Damaged before any read: a write outside Livegate publishes nothing to session caches.
        await damage(session.sessionId);
        const admin = await fetch(`${base}/admin`, {
          headers: { cookie: `livegate_session=${intact.sessionId}` },
        });
        expect(admin.status).toBe(200);
        for (let round = 0; round < 3; round += 1) {
          for (const path of ['/me', '/admin', '/widgets/w/edit', '/export']) {
            const response = await fetch(`${base}${path}`, { headers: cookie });
            expect({ path, status: response.status }).toEqual({ path, status: 401 });
            expect(await response.json()).toEqual({
              error: 'unauthorized',
              message: expect.any(String),
            });
          }
          const open = await fetch(`${base}/public`, { headers: cookie });
          expect(open.status).toBe(200);
          expect(await open.json()).toEqual({ authenticated: false });
        }
        const hashed = hashOf(session.sessionId).toString('hex').slice(0, 16);
        expect(
          warn.mock.calls.filter(([message]) => String(message).includes(hashed)),
        ).toHaveLength(1);
      } finally {
        await app.close();
        warn.mockRestore();
      }
    },
  );
});
