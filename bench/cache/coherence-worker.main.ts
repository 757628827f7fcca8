/**
 * One worker of the session-cache coherence measure: `coherence-worker.main.ts <config json>`.
 * Two of these share one Redis; one changes a session (delete, refresh or update), the other
 * watches it through its cache.
 * Times are `process.hrtime` nanoseconds: the machine's monotonic clock, shared by processes.
 */
import { setPriority } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import { SessionStore, StateModule } from '@livegate/state';
import { serveBenchRequests } from '../support/bench-process';
import { benchStateOptions, type BenchStateConfig } from '../support/bench-state';

/** Longest a watcher waits for a change before it reports it as missed. */
const OBSERVE_LIMIT_MS = 2000;

interface CacheStats {
  hits: number;
  live: boolean;
}

/** The Redis session store's cache counters (a snapshot per read). */
function cacheStatsOf(sessions: SessionStore): CacheStats {
  const stats = (sessions as unknown as { cacheStats?: CacheStats }).cacheStats;
  if (!stats) {
    throw new Error('this session store has no session cache');
  }
  return stats;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as BenchStateConfig;
  const app = await NestFactory.createApplicationContext(
    StateModule.forRoot(benchStateOptions('coherence', 'redis', config)),
    { logger: ['error', 'warn'] },
  );
  const sessions = app.get(SessionStore);

  const handlers = {
    create: async () => {
      const session = await sessions.createSession({ userId: 'coherence-user', roles: ['viewer'] });
      return {
        sessionId: session.sessionId,
        expiresAt: session.expiresAt,
        version: session.version,
      };
    },
    /** Reads the session until this worker's cache serves it. */
    warm: async (message: Record<string, unknown>) => {
      const deadline = Date.now() + OBSERVE_LIMIT_MS;
      while (Date.now() < deadline) {
        const hits = cacheStatsOf(sessions).hits;
        if (!(await sessions.getSession(String(message.sessionId)))) {
          throw new Error('the session to watch does not exist');
        }
        if (cacheStatsOf(sessions).hits > hits) {
          return true;
        }
        await nextTurn();
      }
      throw new Error(
        `the session cache did not serve the session (live: ${cacheStatsOf(sessions).live})`,
      );
    },
    /**
     * Polls the session, yielding to I/O between reads, until it is gone (`delete`), its expiry
     * moved (`refresh`) or its version moved (`update`). Answers when the change is seen, with the time it was seen and
     * how many reads the cache answered meanwhile.
     */
    observe: async (message: Record<string, unknown>) => {
      // The watcher spins; at the lowest priority it only takes what Redis and the changing
      // worker leave idle, so it does not slow down the change it measures.
      setPriority(19);
      const sessionId = String(message.sessionId);
      const hitsBefore = cacheStatsOf(sessions).hits;
      const deadline = Date.now() + OBSERVE_LIMIT_MS;
      while (Date.now() < deadline) {
        const session = await sessions.getSession(sessionId);
        const changed =
          message.change === 'delete'
            ? session === null
            : message.change === 'update'
              ? session?.version !== message.version
              : session?.expiresAt !== message.expiresAt;
        if (changed) {
          return {
            seenAt: process.hrtime.bigint().toString(),
            cacheHits: cacheStatsOf(sessions).hits - hitsBefore,
          };
        }
        await nextTurn();
      }
      return { seenAt: null, cacheHits: cacheStatsOf(sessions).hits - hitsBefore };
    },
    /** Changes the session; answers with the times just before it was sent and once it was done. */
    change: async (message: Record<string, unknown>) => {
      const sessionId = String(message.sessionId);
      const startedAt = process.hrtime.bigint();
      const done =
        message.change === 'delete'
          ? await sessions.deleteSession(sessionId)
          : message.change === 'update'
            ? (await sessions.updateSession(sessionId, {
                grant: [
                  { resourceType: 'widget', resourceId: 'coherence', permissions: ['write'] },
                ],
              })) !== null
            : await sessions.refreshSession(sessionId, 7200);
      if (!done) {
        throw new Error(`${String(message.change)} found no session`);
      }
      return {
        startedAt: startedAt.toString(),
        doneAt: process.hrtime.bigint().toString(),
      };
    },
    sync: () => true,
  };

  serveBenchRequests({}, handlers, () => app.close());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
