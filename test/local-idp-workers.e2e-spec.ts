import { PostgresTestDatabase } from '@livegate/live-auth/testing';
import { RedisTestServer } from '@livegate/state/testing';
import { WorkerProcess } from './support/worker-process';

// The local identity provider on two worker processes sharing one Redis (sessions, rate limits)
// and one PostgreSQL (users), configured only by the environment.

const PASSWORD = 'correct horse battery staple';

describe('the local identity provider across two worker processes', () => {
  let redis: RedisTestServer;
  let database: PostgresTestDatabase;
  let first: WorkerProcess;
  let second: WorkerProcess;

  beforeAll(async () => {
    [redis, database] = await Promise.all([RedisTestServer.start(), PostgresTestDatabase.create()]);
    const env = {
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
      LIVEGATE_DEPLOY__AUTH_ENABLED: 'true',
      LIVEGATE_DEPLOY__TOKEN_SECRET: 'idp-workers-secret-of-at-least-32-chars',
      LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES: 'false',
      LIVEGATE_LIVE_AUTH__USER_STORE: 'postgres',
      LIVEGATE_LIVE_AUTH__DATABASE_URL: database.url,
      PER_ACCOUNT: '5',
    };
    [first, second] = await Promise.all([
      WorkerProcess.start('idp-a', env, { script: 'live-auth-worker.main.ts' }),
      WorkerProcess.start('idp-b', env, { script: 'live-auth-worker.main.ts' }),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
    await database?.drop();
  });

  const post = (worker: WorkerProcess, path: string, body: unknown) =>
    fetch(`${worker.url}/auth/local/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: worker.url },
      body: JSON.stringify(body),
    });

  it('registers on one worker and signs in on the other', async () => {
    expect((await post(first, 'register', { username: 'alice', password: PASSWORD })).status).toBe(
      201,
    );
    const login = await post(second, 'login', { username: 'Alice', password: PASSWORD });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const me = await fetch(`${first.url}/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ name: 'alice', worker: 'idp-a' });
  });

  it('counts sign-in attempts on both workers together', async () => {
    expect((await post(first, 'register', { username: 'bob', password: PASSWORD })).status).toBe(
      201,
    );
    const wrong = { username: 'bob', password: 'not the password at all' };
    const statuses: number[] = [];
    for (const worker of [first, second, first, second, first]) {
      statuses.push((await post(worker, 'login', wrong)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    for (const worker of [second, first]) {
      const throttled = await post(worker, 'login', { username: 'bob', password: PASSWORD });
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it('revokes a token on one worker and the other refuses it at once', async () => {
    expect((await post(first, 'register', { username: 'carol', password: PASSWORD })).status).toBe(
      201,
    );
    const issued = (await (
      await post(first, 'token', { username: 'carol', password: PASSWORD })
    ).json()) as {
      access_token: string;
    };
    const bearer = { authorization: `Bearer ${issued.access_token}` };
    expect((await fetch(`${second.url}/me`, { headers: bearer })).status).toBe(200);
    expect((await post(first, 'revoke', { token: issued.access_token })).status).toBe(200);
    expect((await fetch(`${second.url}/me`, { headers: bearer })).status).toBe(401);
    expect((await post(second, 'verify-token', { token: issued.access_token })).status).toBe(401);
  });
});
