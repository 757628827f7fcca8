import { PostgresTestDatabase } from '@livegate/live-auth/testing';
import { RedisTestServer, sleep } from '@livegate/state/testing';
import { LiveTab, postJson, registerUser, signIn } from './support/live-clients';
import { describeLiveAuthFlows } from './support/live-flows';
import { WorkerProcess } from './support/worker-process';

// Live auth on three worker processes sharing one Redis (state, channel, socket.io adapter) and
// one PostgreSQL (users), configured only by the environment, on Express and on Fastify.

describe.each(['express', 'fastify'])('live auth across three workers on %s', (platform) => {
  let redis: RedisTestServer;
  let database: PostgresTestDatabase;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    [redis, database] = await Promise.all([
      RedisTestServer.start({ appendOnly: true }),
      PostgresTestDatabase.create(),
    ]);
    const env = {
      PLATFORM: platform,
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
      LIVEGATE_DEPLOY__AUTH_ENABLED: 'true',
      LIVEGATE_DEPLOY__TOKEN_SECRET: 'live-workers-secret-of-at-least-32-chars',
      LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES: 'false',
      LIVEGATE_DEPLOY__ADMIN_USERS: 'local:root',
      LIVEGATE_LIVE_AUTH__USER_STORE: 'postgres',
      LIVEGATE_LIVE_AUTH__DATABASE_URL: database.url,
    };
    workers = await Promise.all(
      ['live-a', 'live-b', 'live-c'].map((id) =>
        WorkerProcess.start(id, env, { script: 'live-worker.main.ts' }),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    workers = [];
    await redis?.dispose();
    await database?.drop();
  });

  describeLiveAuthFlows(() => ({ a: workers[0].url, b: workers[1].url, c: workers[2].url }));

  describe('a revocation made while Redis is stopped', () => {
    it('is applied on every worker within 2 s of Redis coming back', async () => {
      const [a, b, c] = workers.map((worker) => worker.url);
      const carolId = await registerUser(a, `carol-${platform}`);
      const daveId = await registerUser(a, `dave-${platform}`);
      const carol = await signIn(b, `carol-${platform}`);
      const dave = await signIn(b, `dave-${platform}`);
      const tabs = await Promise.all([
        LiveTab.open('carol-a', a, carol),
        LiveTab.open('carol-b', b, carol),
        LiveTab.open('dave-c', c, dave),
      ]);
      try {
        await redis.stop();
        // The row store answers; the sessions and the channel are on the stopped Redis.
        const revoked = await postJson(c, `/test/users/${carolId}/sign-out-everywhere`, {});
        expect(revoked).toMatchObject({ status: 200, body: { pending: true } });
        // The app's own broadcasts through the Redis adapter fail quietly meanwhile: a publish
        // that cannot reach Redis must not end the process.
        for (const base of [a, b, c]) {
          expect((await postJson(base, '/test/broadcast/role%3Aadmin', {})).status).toBe(200);
        }
        await sleep(1000);
        expect(tabs.every((tab) => tab.navigations.length === 0)).toBe(true);
        expect(workers.every((worker) => worker.child.exitCode === null)).toBe(true);
        await redis.resume();
        const back = Date.now();
        for (const tab of tabs.slice(0, 2)) {
          expect(await tab.waitForNavigation(2000)).toEqual({ to: '/login', reason: 'revoked' });
        }
        expect(Date.now() - back).toBeLessThan(2000);
        await sleep(300);
        expect(tabs[2].connected).toBe(true);
        expect(tabs[2].navigations).toEqual([]);
        expect((await fetch(`${a}/me`, { headers: { cookie: carol } })).status).toBe(401);
        expect((await fetch(`${a}/me`, { headers: { cookie: dave } })).status).toBe(200);
        for (const base of [a, b, c]) {
          expect((await fetch(`${base}/health`)).status).toBe(200);
        }
        expect(daveId).not.toBe(carolId);
      } finally {
        tabs.forEach((tab) => tab.close());
        await redis.resume();
      }
    }, 30_000);
  });
});
