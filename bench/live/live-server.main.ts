/**
 * One worker of the live-auth bench: `live-server.main.ts <config json>`, forked with
 * `--expose-gc`. A Nest app on Express with state on the bench's private Redis, auth on, and live
 * auth with the PostgreSQL user store: the policy `AdminOnly` (claim role=admin), the region
 * `admin-panel` it gates and the page `live` showing it, as the live-auth test app has them.
 *
 * Requests: `createUsers`, `createSession` (a login session carrying the row's claims, and its
 * cookie), `grant` (a grant or a revocation of role=admin through `AuthActions`), `ping` (a bare
 * emit to the user's room through the Redis adapter), `revokeSession`, `memory` (after gc),
 * `events` (when this worker received and handled each auth event), `clock`.
 *
 * Times are `performance.timeOrigin + performance.now()` in ms, the clock the clients stamp
 * receipts with. The grant and revocation paths are timed step by step by wrapping the methods
 * `AuthActions` calls on the stores and the channel (the same instances): the row write
 * (PostgreSQL), the session snapshots (one Redis script), the publish.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule, LoginSessions, PolicyEngine } from '@livegate/auth';
import {
  AuthActions,
  AuthChannel,
  AuthRegions,
  LiveAuthGateway,
  LiveAuthModule,
  LivePages,
  UserStore,
  type AuthEvent,
} from '@livegate/live-auth';
import { SessionStore, StateModule, StateRedisConnection } from '@livegate/state';
import { serveBenchRequests } from '../support/bench-process';
import {
  BENCH_PING_EVENT,
  LIVE_BENCH_PAGE,
  LIVE_BENCH_REGION,
  clockOffset,
  now,
  type LiveServerConfig,
  type MemorySnapshot,
  type StepMarks,
  type WorkerEventTiming,
} from './live-protocol';

@Injectable()
class LiveBenchDefinitions implements OnModuleInit {
  constructor(
    private readonly policies: PolicyEngine,
    private readonly regions: AuthRegions,
    private readonly pages: LivePages,
  ) {}

  onModuleInit(): void {
    this.policies.addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] });
    this.regions.define(LIVE_BENCH_REGION, {
      policy: 'AdminOnly',
      allowed: '<p>Admin content visible.</p>',
      denied: '<p>Admin content hidden.</p>',
    });
    this.pages.define(LIVE_BENCH_PAGE, { regions: [LIVE_BENCH_REGION] });
  }
}

/**
 * Wraps `target[name]` so that each call is timed into the current marks, if any: the first call
 * under `steps[0]`, the second under `steps[1]`, and so on; calls beyond them are not recorded.
 */
function timeMethod<T extends object>(
  target: T,
  name: keyof T & string,
  steps: readonly string[],
  marks: () => StepMarks | undefined,
): void {
  const original = (target[name] as (...args: unknown[]) => Promise<unknown>).bind(target);
  (target as Record<string, unknown>)[name] = async (...args: unknown[]) => {
    const current = marks();
    // Claimed at the call, so that nested and overlapping calls keep their order.
    const step = current ? steps.find((candidate) => current[candidate] === undefined) : undefined;
    if (current && step) {
      current[step] = [now(), Number.NaN];
    }
    try {
      return await original(...args);
    } finally {
      if (current && step) {
        current[step][1] = now();
      }
    }
  };
}

/** Nearest-rank p50 and p99 of `count` timed runs of `work`, ms. */
async function timeRuns(count: number, work: () => Promise<unknown>) {
  const times: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = now();
    await work();
    times.push(now() - started);
  }
  times.sort((x, y) => x - y);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * PostgreSQL on its own, with a plain `pg` client on the same database: a round trip, and a
 * one-row update in a transaction (BEGIN, UPDATE, COMMIT) with the commit waiting for the WAL
 * flush (the server's default) and without (`synchronous_commit off`).
 */
/** The user store's table, as its shipped migrations name it. */
const USERS_TABLE = 'livegate_users';

async function probePostgres(databaseUrl: string, userId: string, count: number) {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const update = async (synchronous: boolean) => {
      await client.query('BEGIN');
      if (!synchronous) {
        await client.query('SET LOCAL synchronous_commit TO OFF');
      }
      await client.query(`UPDATE ${USERS_TABLE} SET updated_at = updated_at WHERE id = $1`, [
        userId,
      ]);
      await client.query('COMMIT');
    };
    await timeRuns(10, () => update(true));
    return {
      select: await timeRuns(count, () => client.query('SELECT 1')),
      commit: await timeRuns(count, () => update(true)),
      asyncCommit: await timeRuns(count, () => update(false)),
    };
  } finally {
    await client.end();
  }
}

async function gcAndMeasure(sockets: number): Promise<MemorySnapshot> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    throw new Error('the live bench worker needs --expose-gc');
  }
  for (let round = 0; round < 4; round += 1) {
    gc();
    // Lets finalizers and pending I/O callbacks run between collections.
    await nextTurn();
  }
  const usage = process.memoryUsage();
  return {
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    rss: usage.rss,
    sockets,
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as LiveServerConfig;

  @Module({
    imports: [
      StateModule.forRoot({
        backend: 'redis',
        redisUrl: config.redisUrl,
        redisPrefix: 'bench-live',
        workerId: config.workerId,
      }),
      AuthModule.forRoot({
        enabled: true,
        tokenSecret: 'bench-live-secret-of-at-least-32-characters',
        secureCookies: false,
      }),
      LiveAuthModule.forRoot({
        userStore: 'postgres',
        databaseUrl: config.databaseUrl,
        live: true,
      }),
    ],
    providers: [LiveBenchDefinitions],
  })
  class LiveBenchModule {}

  const app = await NestFactory.create(LiveBenchModule, { logger: ['error', 'warn'] });
  const users = app.get(UserStore);
  const sessions = app.get(SessionStore);
  const channel = app.get(AuthChannel);
  const regions = app.get(AuthRegions);
  const actions = app.get(AuthActions);
  const logins = app.get(LoginSessions);
  const gateway = app.get(LiveAuthGateway);
  const redis = app.get(StateRedisConnection);

  // The steps of the action being timed: set by `grant` and `revokeSession` around the call.
  let marks: StepMarks | undefined;
  const current = () => marks;
  timeMethod(users, 'updateClaims', ['row'], current);
  // The row read (in a grant, before its compare-and-set UPDATE; in a revocation, alone).
  timeMethod(users, 'findById', ['readRow'], current);
  timeMethod(sessions, 'updateUserSessions', ['sessions'], current);
  timeMethod(sessions, 'deleteSession', ['deleteSession'], current);
  timeMethod(channel, 'updatePrincipal', ['publish'], current);
  timeMethod(channel, 'revoke', ['publish'], current);

  // When this worker got each auth event off Redis, and when its sockets had been sent theirs.
  const events: WorkerEventTiming[] = [];
  let renderMs = 0;
  const renderAll = regions.renderAll.bind(regions);
  regions.renderAll = async (...args: Parameters<AuthRegions['renderAll']>) => {
    const started = now();
    try {
      return await renderAll(...args);
    } finally {
      renderMs += now() - started;
    }
  };
  const subscribe = channel.subscribe.bind(channel);
  channel.subscribe = (userId, handler) =>
    subscribe(userId, async (event: AuthEvent) => {
      const receivedAt = now();
      renderMs = 0;
      try {
        await handler(event);
      } finally {
        events.push({
          userId: event.userId,
          kind: event.kind,
          version: event.claimsVersion,
          receivedAt,
          handledAt: now(),
          renderMs,
        });
      }
    });

  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;

  serveBenchRequests(
    { type: 'ready', port, base: `http://127.0.0.1:${port}` },
    {
      createUsers: async (message) => {
        const ids: string[] = [];
        for (let index = 0; index < Number(message.count); index += 1) {
          const user = await users.createUser({ username: `${String(message.prefix)}${index}` });
          ids.push(user.id);
        }
        return ids;
      },
      createSession: async (message) => {
        const userId = String(message.userId);
        const row = await users.findById(userId);
        if (!row) {
          throw new Error(`no user ${userId}`);
        }
        const session = await logins.create({ userId, claims: row.claims });
        return {
          sessionId: session.sessionId,
          cookie: `${logins.cookieName}=${session.sessionId}`,
        };
      },
      grant: async (message) => {
        const userId = String(message.userId);
        marks = {};
        const t0 = now();
        const change = message.admin
          ? await actions.grantUser(userId, 'role', 'admin')
          : await actions.revokeUserClaim(userId, 'role', 'admin');
        const done = now();
        const steps = marks;
        marks = undefined;
        return {
          t0,
          done,
          version: change.claimsVersion,
          sessions: change.sessions,
          pending: change.pending,
          steps,
        };
      },
      ping: (message) => {
        const t0 = now();
        gateway.namespace
          .to(`user:${String(message.userId)}`)
          .emit(BENCH_PING_EVENT, { seq: message.seq, t0 });
        return { t0 };
      },
      revokeSession: async (message) => {
        marks = {};
        const t0 = now();
        const change = await actions.revokeUserSession(
          String(message.userId),
          String(message.sessionId),
        );
        const done = now();
        const steps = marks;
        marks = undefined;
        return { t0, done, sessions: change.sessions, pending: change.pending, steps };
      },
      memory: () => gcAndMeasure(gateway.socketCount),
      sockets: () => gateway.socketCount,
      /** The recorded event timings since the last call. */
      events: () => events.splice(0, events.length),
      clock: () => clockOffset(),
      /** The stores on their own, on this worker while nothing else runs. */
      probe: async (message) => {
        const userId = String(message.userId);
        const count = Number(message.count);
        return {
          ...(await probePostgres(config.databaseUrl, userId, count)),
          // The store's own read, for comparison with the plain round trip.
          findById: await timeRuns(count, () => users.findById(userId)),
          // A Redis round trip on state's command connection, beside the session script.
          redisPing: await timeRuns(count, () => redis.client.ping()),
        };
      },
    },
    () => app.close(),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
