import { RedisTestServer } from '@livegate/state/testing';
import { PostgresTestDatabase } from '@livegate/live-auth/testing';
import { BenchProcess, entryBeside } from '../support/bench-process';
import type {
  LiveServerConfig,
  MemorySnapshot,
  Receipts,
  RevokeReceipts,
  StepMarks,
  TabSpec,
  WorkerEventTiming,
} from './live-protocol';
import {
  grantSteps,
  livePercentiles,
  workerMemory,
  type GrantSample,
  type GrantSteps,
  type LivePercentiles,
  type WorkerMemory,
} from './live-summary';

const SERVER = entryBeside(__dirname, 'live-server.main');
const CLIENTS = entryBeside(__dirname, 'live-clients.main');

/** Tabs per user: two sessions, 3 + 2 and 2 + 3 over the two workers. */
const TABS_PER_USER = 10;
/** Tabs of each revoked session: 3 on worker A, 2 on worker B. */
const REVOKE_TABS = 5;
/** Longest wait for one sample's receipts before it counts as a failure. */
const SAMPLE_LIMIT_MS = 2000;

export interface LiveBenchOptions {
  /** Users, each with 10 tabs (two sessions), spread 5 and 5 over the two workers. */
  users: number;
  /** Measured grants, and as many baseline emits, interleaved; after `warmup` of each. */
  samples: number;
  warmup: number;
  /** Measured session revocations (fresh sessions of 5 tabs), after `revokeWarmup`. */
  revokeSamples: number;
  revokeWarmup: number;
}

export interface LiveFailures {
  /** Grants whose new version did not reach every tab of the user within 2 s. */
  updates: number;
  /** Updates that showed the admin region in the wrong state. */
  wrongRegions: number;
  /** Baseline emits that did not reach every tab within 2 s. */
  pings: number;
  /** Revocations whose tabs were not all disconnected within 2 s. */
  revocations: number;
  /** Tabs disconnected by a revocation without an `auth:navigate` first. */
  navigates: number;
  /** Tabs that could not connect (or got no first update). */
  opens: number;
  /** Measured tabs that lost their connection during the run. */
  droppedTabs: number;
}

export interface LiveBenchResult {
  users: number;
  tabsPerUser: number;
  /** Sockets on worker A and worker B once every measured tab was open. */
  sockets: { a: number; b: number };
  /** Seconds to open every measured tab (each with its first update). */
  connectSeconds: number;
  /** Where the tabs run: a client process of its own, not the driver. */
  clients: 'child process';
  /** `grant`/`revokeClaim` on worker A → the last of the user's 10 tabs has the new version. */
  grant: LivePercentiles;
  /** A bare emit to `user:<id>` through the Redis adapter on worker A → the last of the 10 tabs. */
  baseline: LivePercentiles;
  /** The grant's percentile minus the baseline's. */
  overhead: { p50: number; p99: number };
  grantSteps: GrantSteps;
  /** `revokeUserSession` on worker A → the last of the session's 5 tabs disconnected. */
  revoke: LivePercentiles;
  /** The same to the last `auth:navigate`. */
  revokeNavigate: LivePercentiles;
  /** Worker A's call: `findById` (PostgreSQL), `deleteSession`, the publish. */
  revokeSteps: {
    readRow: LivePercentiles;
    deleteSession: LivePercentiles;
    publish: LivePercentiles;
  };
  /**
   * PostgreSQL alone from worker A with a plain client, p50 / p99 ms: a round trip, and a
   * one-row update transaction committed with and without waiting for the WAL flush; beside
   * them the user store's `findById` (one query), and a Redis PING on state's
   * connection, on the same worker while nothing else runs.
   */
  probe: Record<
    'select' | 'commit' | 'asyncCommit' | 'findById' | 'redisPing',
    { p50: number; p99: number }
  >;
  memory: WorkerMemory[];
  failures: LiveFailures;
  /** The largest difference between the processes' clocks (see `clockOffset`), ms. */
  clockSkewMs: number;
  /** Every measured sample, ms. */
  raw: { grant: GrantSample[]; baseline: number[]; revoke: number[] };
}

export function totalLiveFailures(failures: LiveFailures): number {
  return Object.values(failures).reduce((sum, count) => sum + count, 0);
}

interface GrantReply {
  t0: number;
  done: number;
  version: number;
  sessions: number;
  pending: boolean;
  steps: StepMarks;
}

interface RevokeReply {
  t0: number;
  done: number;
  sessions: number;
  pending: boolean;
  steps: StepMarks;
}

interface Session {
  sessionId: string;
  cookie: string;
}

/** Runs `work` with every cleanup registered meanwhile run afterwards, last first, each once. */
async function withCleanups<T>(
  work: (defer: (cleanup: () => Promise<void>) => void) => Promise<T>,
): Promise<T> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    return await work((cleanup) => cleanups.push(cleanup));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) =>
        process.stderr.write(`  live bench cleanup failed: ${String(error)}\n`),
      );
    }
  }
}

const span = (marks: StepMarks, step: string) =>
  marks[step] ? marks[step][1] - marks[step][0] : Number.NaN;

/**
 * Live auth under 1,000 open tabs (issue 15, item 7): two worker processes (Express, state on a
 * private Redis, users on a PostgreSQL database of the run's own, live auth with the Redis
 * adapter), `users` × 10 tabs in a client process, each user's tabs 5 and 5 over the workers.
 *
 * - A grant, or the revocation of the same claim (so every sample changes something), made on
 *   worker A, until the last of the user's 10 tabs has the new version; beside it, on the same
 *   sockets and interleaved, a bare emit to the user's room through the Redis adapter (the
 *   transport baseline of research §7.3). One sample at a time, cycling through the users.
 * - `revokeSession` of a fresh session with 5 tabs (3 on A, 2 on B) until the last is
 *   disconnected, each having got `auth:navigate` first.
 * - Each worker's memory after gc, before the tabs connect and after, per tab.
 */
export async function benchmarkLive(
  options: LiveBenchOptions,
  progress: (message: string) => void,
): Promise<LiveBenchResult> {
  return withCleanups(async (defer) => {
    const redis = await RedisTestServer.start();
    defer(() => redis.dispose());
    const database = await PostgresTestDatabase.create('livegate_bench');
    defer(() => database.drop());

    const started = await Promise.allSettled(
      ['live-a', 'live-b'].map((workerId) =>
        BenchProcess.start<{ base: string }>(
          `live worker ${workerId}`,
          SERVER,
          [
            JSON.stringify({
              workerId,
              redisUrl: redis.url,
              databaseUrl: database.url,
            } satisfies LiveServerConfig),
          ],
          { execArgv: ['--expose-gc'] },
        ),
      ),
    );
    for (const outcome of started) {
      if (outcome.status === 'fulfilled') {
        defer(() => outcome.value.process.stop());
      }
    }
    const failedStart = started.find((outcome) => outcome.status === 'rejected');
    if (failedStart) {
      throw failedStart.reason;
    }
    const [a, b] = started.map(
      (outcome) =>
        (outcome as PromiseFulfilledResult<{ process: BenchProcess; ready: { base: string } }>)
          .value,
    );
    const { process: clients } = await BenchProcess.start('live clients', CLIENTS, []);
    defer(() => clients.stop());
    const failures: LiveFailures = {
      updates: 0,
      wrongRegions: 0,
      pings: 0,
      revocations: 0,
      navigates: 0,
      opens: 0,
      droppedTabs: 0,
    };
    // A run that keeps failing (a worker gone, Redis away) stops instead of waiting out every
    // sample's limit: its figures would mean nothing.
    const failureLimit = Math.max(10, Math.ceil(options.samples / 20));
    const checkFailures = () => {
      if (totalLiveFailures(failures) > failureLimit) {
        throw new Error(
          `live bench: more than ${failureLimit} failures ${JSON.stringify(failures)}`,
        );
      }
    };
    let openErrors: string[] = [];
    const open = async (tabs: TabSpec[], concurrency = 50) => {
      const { opened, errors } = await clients.request<{ opened: number; errors: string[] }>(
        'open',
        { tabs, concurrency },
      );
      failures.opens += tabs.length - opened;
      openErrors = errors;
      return opened === tabs.length;
    };

    // Users, and two sessions each.
    const users = await a.process.request<string[]>('createUsers', {
      count: options.users + 1,
      prefix: 'live-bench-',
    });
    const warmUser = users.pop()!;
    const sessionOf = (userId: string) => a.process.request<Session>('createSession', { userId });

    // A few tabs connect and leave first, so that the memory before counts what a worker holds
    // for tabs, not code loaded and compiled by the first connection.
    const warmSession = await sessionOf(warmUser);
    await open(
      [a, a, b, b].map((worker) => ({
        user: warmUser,
        group: 'warm',
        base: worker.ready.base,
        cookie: warmSession.cookie,
      })),
    );
    await clients.request('close', { group: 'warm' });
    const settled = async () => {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const counts = await Promise.all([a, b].map((w) => w.process.request<number>('sockets')));
        if (counts.every((count) => count === 0)) {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('the warm-up tabs did not leave the workers within 2 s');
    };
    await settled();
    const before = await Promise.all(
      [a, b].map((w) => w.process.request<MemorySnapshot>('memory')),
    );

    progress(`  ${options.users} users × ${TABS_PER_USER} tabs connecting`);
    const specs: TabSpec[] = [];
    for (const [index, user] of users.entries()) {
      const first = await sessionOf(user);
      const second = await sessionOf(user);
      // Alternate which session has 3 tabs on A, so neither worker always gets the first.
      const layout = index % 2 === 0 ? [3, 2, 2, 3] : [2, 3, 3, 2];
      const tabsOf = (session: Session, onA: number, onB: number) =>
        [
          ...Array.from({ length: onA }, () => a.ready.base),
          ...Array.from({ length: onB }, () => b.ready.base),
        ].map((base) => ({ user, group: 'main', base, cookie: session.cookie }));
      specs.push(...tabsOf(first, layout[0], layout[1]), ...tabsOf(second, layout[2], layout[3]));
    }
    const connectStarted = performance.now();
    if (!(await open(specs))) {
      throw new Error(
        `${failures.opens} of ${specs.length} tabs could not connect: ${openErrors.join('; ')}`,
      );
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const after = await Promise.all([a, b].map((w) => w.process.request<MemorySnapshot>('memory')));
    const memory = [workerMemory('A', before[0], after[0]), workerMemory('B', before[1], after[1])];
    progress(
      `  ${specs.length} tabs open in ${connectSeconds.toFixed(1)} s ` +
        `(${after[0].sockets} on A, ${after[1].sockets} on B)`,
    );

    // Grants beside bare emits, interleaved, one at a time.
    const admin = new Map<string, boolean>();
    const grantSamples: GrantSample[] = [];
    const baseline: number[] = [];
    let seq = 0;
    const ping = async (user: string, measured: boolean) => {
      seq += 1;
      const { t0 } = await a.process.request<{ t0: number }>('ping', { userId: user, seq });
      const receipts = await clients.request<Receipts>('collectPing', {
        user,
        seq,
        timeoutMs: SAMPLE_LIMIT_MS,
      });
      if (receipts.missing > 0) {
        failures.pings += 1;
        checkFailures();
      } else if (measured) {
        baseline.push(Math.max(...receipts.times) - t0);
      }
    };
    const grant = async (user: string, measured: boolean) => {
      const next = !admin.get(user);
      const reply = await a.process.request<GrantReply>('grant', { userId: user, admin: next });
      admin.set(user, next);
      const receipts = await clients.request<Receipts>('collectUpdate', {
        user,
        version: reply.version,
        state: next ? 'allowed' : 'denied',
        timeoutMs: SAMPLE_LIMIT_MS,
      });
      failures.wrongRegions += receipts.wrong;
      checkFailures();
      if (receipts.missing > 0 || reply.pending) {
        failures.updates += 1;
        checkFailures();
      } else if (measured) {
        grantSamples.push({
          user,
          version: reply.version,
          t0: reply.t0,
          done: reply.done,
          steps: reply.steps,
          lastTab: Math.max(...receipts.times),
        });
      }
    };
    progress(`  ${options.samples} grants and baseline emits (after ${options.warmup} warm-up)`);
    for (let index = 0; index < options.warmup + options.samples; index += 1) {
      const user = users[index % users.length];
      const measured = index >= options.warmup;
      // Each goes first every other sample, so neither always follows the other.
      if (index % 2 === 0) {
        await ping(user, measured);
        await grant(user, measured);
      } else {
        await grant(user, measured);
        await ping(user, measured);
      }
    }
    const [eventsA, eventsB] = await Promise.all(
      [a, b].map((w) => w.process.request<WorkerEventTiming[]>('events')),
    );

    // Revocations of fresh sessions, 3 tabs on A and 2 on B each.
    progress(`  ${options.revokeSamples} session revocations (after ${options.revokeWarmup})`);
    const revoke: number[] = [];
    const revokeNavigate: number[] = [];
    const revokeMarks: StepMarks[] = [];
    for (let index = 0; index < options.revokeWarmup + options.revokeSamples; index += 1) {
      const user = users[index % users.length];
      const measured = index >= options.revokeWarmup;
      const session = await sessionOf(user);
      const group = `revoke-${index}`;
      const bases = [a, a, a, b, b].slice(0, REVOKE_TABS).map((w) => w.ready.base);
      if (
        !(await open(
          bases.map((base) => ({ user, group, base, cookie: session.cookie })),
          REVOKE_TABS,
        ))
      ) {
        await clients.request('close', { group });
        continue;
      }
      const reply = await a.process.request<RevokeReply>('revokeSession', {
        userId: user,
        sessionId: session.sessionId,
      });
      const receipts = await clients.request<RevokeReceipts>('collectRevoke', {
        group,
        timeoutMs: SAMPLE_LIMIT_MS,
      });
      failures.navigates += receipts.missingNavigate;
      if (receipts.missing > 0 || reply.pending || reply.sessions !== 1) {
        failures.revocations += 1;
        checkFailures();
      } else if (measured) {
        revoke.push(Math.max(...receipts.disconnected) - reply.t0);
        if (receipts.navigated.length > 0) {
          revokeNavigate.push(Math.max(...receipts.navigated) - reply.t0);
        }
        revokeMarks.push(reply.steps);
      }
    }

    const probe = await a.process.request<LiveBenchResult['probe']>('probe', {
      userId: users[0],
      count: Math.max(20, Math.min(200, options.samples)),
    });
    const status = await clients.request<{ dropped: number }>('status');
    failures.droppedTabs = status.dropped;
    const offsets = await Promise.all(
      [a.process, b.process, clients].map((child) => child.request<number>('clock')),
    );
    const grantTimes = grantSamples.map((sample) => sample.lastTab - sample.t0);
    const grantSummary = livePercentiles(grantTimes);
    const baselineSummary = livePercentiles(baseline);
    const marksSummary = (step: string) =>
      livePercentiles(
        revokeMarks.map((marks) => span(marks, step)).filter((value) => Number.isFinite(value)),
      );
    return {
      users: options.users,
      tabsPerUser: TABS_PER_USER,
      sockets: { a: after[0].sockets, b: after[1].sockets },
      connectSeconds,
      clients: 'child process',
      grant: grantSummary,
      baseline: baselineSummary,
      overhead: {
        p50: grantSummary.p50 - baselineSummary.p50,
        p99: grantSummary.p99 - baselineSummary.p99,
      },
      grantSteps: grantSteps(grantSamples, eventsA, eventsB),
      revoke: livePercentiles(revoke),
      revokeNavigate: livePercentiles(revokeNavigate),
      revokeSteps: {
        readRow: marksSummary('readRow'),
        deleteSession: marksSummary('deleteSession'),
        publish: marksSummary('publish'),
      },
      probe,
      memory,
      failures,
      clockSkewMs: Math.max(...offsets) - Math.min(...offsets),
      raw: { grant: grantSamples, baseline, revoke },
    };
  });
}
