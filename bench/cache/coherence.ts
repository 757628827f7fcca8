import { BenchProcess, entryBeside } from '../support/bench-process';
import type { BenchStateConfig } from '../support/bench-state';
import { quantile } from '../support/stats';

const WORKER = entryBeside(__dirname, 'coherence-worker.main');

export type SessionChange = 'delete' | 'refresh';

export interface CoherenceResult {
  change: SessionChange;
  samples: number;
  /** Changes the watching worker did not see within its limit. */
  missed: number;
  /** Milliseconds from the change being sent on one worker to the other worker seeing it. */
  p50: number;
  p99: number;
  max: number;
  /** Reads the watcher's cache answered while it waited: proof the cache was in use. */
  cacheHits: number;
}

/**
 * How long a session change made on one worker takes to reach another worker's session cache:
 * worker B reads the session in a loop (served from its cache) while worker A deletes or
 * refreshes it; the time is from A sending the change to B's first read that shows it.
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
    for (const change of ['delete', 'refresh'] as const) {
      const latencies: number[] = [];
      let missed = 0;
      let cacheHits = 0;
      for (let index = 0; index < samples; index += 1) {
        const session = await changer.request<{ sessionId: string; expiresAt: number }>('create');
        await watcher.request('warm', { sessionId: session.sessionId });
        const seen = watcher.request<{ seenAt: string | null; cacheHits: number }>('observe', {
          ...session,
          change,
        });
        // Requests are handled in order: once this answers, the watcher is polling.
        await watcher.request('sync');
        const { startedAt } = await changer.request<{ startedAt: string }>('change', {
          sessionId: session.sessionId,
          change,
        });
        const outcome = await seen;
        cacheHits += outcome.cacheHits;
        if (outcome.seenAt === null) {
          missed += 1;
          continue;
        }
        latencies.push(Number(BigInt(outcome.seenAt) - BigInt(startedAt)) / 1e6);
      }
      latencies.sort((x, y) => x - y);
      results.push({
        change,
        samples,
        missed,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        max: latencies[latencies.length - 1] ?? Number.NaN,
        cacheHits,
      });
    }
    return results;
  } finally {
    await Promise.all([changer.stop(), watcher.stop()]);
  }
}
