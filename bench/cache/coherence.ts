import { BenchProcess, entryBeside } from '../support/bench-process';
import type { BenchStateConfig } from '../support/bench-state';
import { quantile } from '../support/stats';

const WORKER = entryBeside(__dirname, 'coherence-worker.main');

/** The kinds of change measured: a deletion, a refresh (new expiry), an update (new version). */
export const COHERENCE_CHANGES = ['delete', 'refresh', 'update'] as const;
export type CoherenceChange = (typeof COHERENCE_CHANGES)[number];

/** Milliseconds: median, 99th percentile and worst. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export interface CoherenceResult {
  change: CoherenceChange;
  samples: number;
  /** Changes the watching worker did not see within its limit. */
  missed: number;
  /**
   * From the change's call returning on worker A to worker B's first read that shows it; 0 when
   * B saw it before A's call returned (the invalidation is published inside the change).
   */
  afterChange: Percentiles;
  /** From worker A sending the change to worker B's first read that shows it. */
  fromStart: Percentiles;
  /** Worker A's own call: its round trip to Redis. */
  changeCall: Percentiles;
  /** Reads the watcher's cache answered while it waited: proof the cache was in use. */
  cacheHits: number;
}

/**
 * How long a session change made on one worker takes to reach another worker's session cache:
 * worker B reads the session in a loop (served from its cache) while worker A deletes, refreshes
 * or updates it (a grant: the version B sees moves). Times are taken from A's call returning (the figure the target applies to), from
 * A sending it, and for A's call itself.
 */
export async function measureCoherence(
  config: BenchStateConfig,
  samples: number,
): Promise<CoherenceResult[]> {
  const args = [JSON.stringify(config)];
  const [a, b] = await Promise.all([
    BenchProcess.start('coherence worker A', WORKER, args),
    BenchProcess.start('coherence worker B', WORKER, args),
  ]);
  const changer = a.process;
  const watcher = b.process;
  try {
    const results: CoherenceResult[] = [];
    for (const change of COHERENCE_CHANGES) {
      const afterChange: number[] = [];
      const fromStart: number[] = [];
      const changeCall: number[] = [];
      let missed = 0;
      let cacheHits = 0;
      for (let index = 0; index < samples; index += 1) {
        const session = await changer.request<{
          sessionId: string;
          expiresAt: number;
          version: number;
        }>('create');
        await watcher.request('warm', { sessionId: session.sessionId });
        const seen = watcher.request<{ seenAt: string | null; cacheHits: number }>('observe', {
          ...session,
          change,
        });
        // Requests are handled in order: once this answers, the watcher is polling.
        await watcher.request('sync');
        const { startedAt, doneAt } = await changer.request<{ startedAt: string; doneAt: string }>(
          'change',
          {
            sessionId: session.sessionId,
            change,
          },
        );
        const ms = (from: string, to: string) => Number(BigInt(to) - BigInt(from)) / 1e6;
        changeCall.push(ms(startedAt, doneAt));
        const outcome = await seen;
        cacheHits += outcome.cacheHits;
        if (outcome.seenAt === null) {
          missed += 1;
          continue;
        }
        fromStart.push(ms(startedAt, outcome.seenAt));
        afterChange.push(Math.max(0, ms(doneAt, outcome.seenAt)));
      }
      results.push({
        change,
        samples,
        missed,
        afterChange: percentiles(afterChange),
        fromStart: percentiles(fromStart),
        changeCall: percentiles(changeCall),
        cacheHits,
      });
    }
    return results;
  } finally {
    await Promise.all([changer.stop(), watcher.stop()]);
  }
}
