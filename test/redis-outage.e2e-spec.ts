import { ConsoleLogger, Logger, type INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import { SessionStore, type StateModuleOptions } from '@livegate/state';
import { commandCallsOf, RedisTestServer, sleep, waitFor } from '@livegate/state/testing';
import { authTestModule } from './support/auth-app';
import { startApp } from './support/platform';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
/** Requests in flight at once, and the pause each sender takes between two of its requests. */
const CONCURRENCY = 8;
const PAUSE_MS = 40;

interface Sample {
  startedAt: number;
  ms: number;
  status: number;
}

/** The value below which `fraction` of the sorted values fall (nearest rank). */
function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/** A steady stream of authenticated requests to `/me`, until `stop()` is called. */
function steadyStream(base: string, sessionIds: string[]) {
  const samples: Sample[] = [];
  let running = true;
  const senders = Array.from({ length: CONCURRENCY }, async (_, sender) => {
    for (let request = 0; running; request += 1) {
      const sessionId = sessionIds[(sender + request * CONCURRENCY) % sessionIds.length];
      const startedAt = Date.now();
      let status = 0;
      try {
        const response = await fetch(`${base}/me`, {
          headers: { authorization: `Bearer ${sessionId}` },
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        // 0: no answer within 5 s, counted as a failure below.
      }
      samples.push({ startedAt, ms: Date.now() - startedAt, status });
      await sleep(PAUSE_MS);
    }
  });
  return {
    samples,
    async stop(): Promise<Sample[]> {
      running = false;
      await Promise.all(senders);
      return samples;
    },
  };
}

/** Latency figures of the samples started in [from, to). */
function figures(samples: Sample[], from: number, to: number) {
  const window = samples.filter((sample) => sample.startedAt >= from && sample.startedAt < to);
  const sorted = window.map((sample) => sample.ms).sort((a, b) => a - b);
  return {
    count: window.length,
    statuses: [...new Set(window.map((sample) => sample.status))].sort(),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}

describe('an app with AuthModule on Redis, while Redis is away', () => {
  // A logger of its own: the apps under test turn Nest's shared logger off.
  const logger = new ConsoleLogger('RedisOutage');
  let redis: RedisTestServer;
  let app: INestApplication;
  let base: string;
  let sessionIds: string[];

  /** Boots the app on the private server (session cache off unless told otherwise). */
  async function boot(state: Partial<StateModuleOptions> = {}): Promise<void> {
    ({ app, base } = await startApp(
      [
        authTestModule(
          { enabled: true, tokenSecret: SECRET, secureCookies: false },
          {
            backend: 'redis',
            redisUrl: redis.url,
            redisPrefix: `outage-${Date.now()}`,
            sessionCacheSize: 0,
            ...state,
          },
        ),
      ],
      'express',
    ));
    const sessions = app.get(SessionStore);
    sessionIds = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const session = await sessions.createSession({
          userId: `user-${index}`,
          roles: ['viewer'],
        });
        return session.sessionId;
      }),
    );
  }

  async function answersOk(): Promise<boolean> {
    try {
      const response = await fetch(`${base}/me`, {
        headers: { authorization: `Bearer ${sessionIds[0]}` },
        signal: AbortSignal.timeout(2000),
      });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    redis = await RedisTestServer.start({ appendOnly: true });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await redis?.dispose();
  });

  it('answers 503 within 1 s at p99 while Redis hangs (SIGSTOP), and 200 again after SIGCONT', async () => {
    await boot();
    const stream = steadyStream(base, sessionIds);
    await sleep(1000);
    const stoppedAt = Date.now();
    process.kill(redis.pid!, 'SIGSTOP');
    let resumedAt: number;
    try {
      await sleep(3000);
    } finally {
      resumedAt = Date.now();
      process.kill(redis.pid!, 'SIGCONT');
    }
    await waitFor(answersOk, {
      timeoutMs: 5000,
      intervalMs: 20,
      description: 'the app answering 200 after SIGCONT',
    });
    const recoveredMs = Date.now() - resumedAt;
    const samples = await stream.stop();

    // Before the stop: the requests answered before it. One still in flight at the SIGSTOP may
    // rightly be a 503.
    const before = figures(
      samples.filter((sample) => sample.startedAt + sample.ms < stoppedAt),
      0,
      stoppedAt,
    );
    const during = figures(samples, stoppedAt, resumedAt);
    logger.log(
      `hung Redis: ${during.count} requests, p50 ${during.p50} ms, p99 ${during.p99} ms, ` +
        `max ${during.max} ms; ${before.count} before the stop; 200 again ${recoveredMs} ms after SIGCONT`,
    );
    expect(before.statuses).toEqual([200]);
    expect(during.count).toBeGreaterThan(200);
    for (const sample of samples.filter(
      (s) => s.startedAt >= stoppedAt && s.startedAt < resumedAt,
    )) {
      expect([200, 503]).toContain(sample.status);
      // A 200 only for a request Redis had already answered when it stopped.
      if (sample.status === 200) {
        expect(sample.startedAt).toBeLessThan(stoppedAt + 50);
      }
    }
    expect(during.statuses).toContain(503);
    expect(during.p99).toBeLessThan(1000);
    expect(recoveredMs).toBeLessThan(2000);
  }, 30_000);

  it('answers 503 within 1 s at p99 while Redis is stopped (connection refused), and 200 once it is back', async () => {
    await boot();
    const stream = steadyStream(base, sessionIds);
    await sleep(1000);
    const stoppedAt = Date.now();
    await redis.stop();
    await sleep(2500);
    const restartedAt = Date.now();
    await redis.restart();
    await waitFor(answersOk, {
      timeoutMs: 5000,
      intervalMs: 20,
      description: 'the app answering 200 after the restart',
    });
    const recoveredMs = Date.now() - restartedAt;
    const samples = await stream.stop();

    const during = figures(samples, stoppedAt, restartedAt);
    logger.log(
      `stopped Redis: ${during.count} requests, p50 ${during.p50} ms, p99 ${during.p99} ms, ` +
        `max ${during.max} ms; 200 again ${recoveredMs} ms after the restart began`,
    );
    // The requests answered before the stop (one in flight at it may rightly be a 503).
    expect(
      figures(
        samples.filter((sample) => sample.startedAt + sample.ms < stoppedAt),
        0,
        stoppedAt,
      ).statuses,
    ).toEqual([200]);
    expect(during.count).toBeGreaterThan(100);
    expect(during.statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(during.statuses).toContain(503);
    expect(during.p99).toBeLessThan(1000);
  }, 30_000);

  it('adds no round trip to a healthy request: 1 Redis command cold, 0 on a warm session cache', async () => {
    await boot({ sessionCacheSize: 1000 });
    const admin = new Redis({ path: redis.socketPath, lazyConnect: true });
    await admin.connect();
    try {
      const commands = async () => {
        const calls = commandCallsOf(await admin.info('commandstats'));
        // The admin's own commands, and the session cache's liveness PINGs on the subscriber.
        for (const name of ['info', 'config|resetstat', 'ping']) {
          delete calls[name];
        }
        return Object.values(calls).reduce((sum, count) => sum + count, 0);
      };
      const request = async (sessionId: string) => {
        const response = await fetch(`${base}/me`, {
          headers: { authorization: `Bearer ${sessionId}` },
        });
        expect(response.status).toBe(200);
      };
      await waitFor(answersOk, { description: 'the app answering' });
      // The session answersOk read is warm now; the others have not been read yet.
      const cold = sessionIds.slice(1);
      await admin.config('RESETSTAT');
      for (const sessionId of cold) {
        await request(sessionId);
      }
      expect(await commands()).toBe(cold.length);

      await admin.config('RESETSTAT');
      for (const sessionId of cold) {
        await request(sessionId);
      }
      expect(await commands()).toBe(0);
    } finally {
      admin.disconnect();
    }
  });

  it('sends no probe while Redis answers: without a session cache, not a single PING', async () => {
    await boot();
    const admin = new Redis({ path: redis.socketPath, lazyConnect: true });
    await admin.connect();
    try {
      await admin.config('RESETSTAT');
      for (let request = 0; request < 40; request += 1) {
        const response = await fetch(`${base}/me`, {
          headers: { authorization: `Bearer ${sessionIds[request % sessionIds.length]}` },
        });
        expect(response.status).toBe(200);
      }
      await sleep(500);
      const calls = commandCallsOf(await admin.info('commandstats'));
      expect(calls.ping).toBeUndefined();
      delete calls.info;
      delete calls['config|resetstat'];
      expect(Object.values(calls).reduce((sum, count) => sum + count, 0)).toBe(40);
    } finally {
      admin.disconnect();
    }
  });
});
