import { Logger } from '@nestjs/common';
import type { StateRedisConnection } from '@livegate/state';
import type { UserRecord } from '../users/user-record';
import type { LiveSession } from './live-connections';

/** After a pass that could not reach the stores, the next one is tried this soon. */
const RETRY_MS = 250;

export interface ReconcilerOptions {
  sessions: () => LiveSession[];
  /**
   * Re-checks one session; `rows` is shared by the pass, so the sessions of one user read its
   * row once.
   */
  check: (entry: LiveSession, rows: Map<string, Promise<UserRecord | null>>) => Promise<void>;
  batchSize: number;
  intervalMs: number;
  heartbeatMs: number;
  redis?: StateRedisConnection;
}

/**
 * Re-checks a worker's live sessions against the stores, in bounded batches, one pass at a time
 * (a trigger during a pass runs one more pass after it): on a timer, when asked, and, on Redis,
 * as soon as a heartbeat finds Redis answering again after it did not. Events lost while Redis
 * was away (pub/sub delivers at most once) are made good this way.
 */
export class Reconciler {
  private readonly logger = new Logger('LiveAuthGateway');
  private running: Promise<void> | undefined;
  private again = false;
  private interval: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private redisDown = false;
  private beating = false;
  private stopped = false;

  constructor(private readonly options: ReconcilerOptions) {}

  start(): void {
    this.interval = setInterval(() => this.trigger('the timer'), this.options.intervalMs);
    this.interval.unref();
    if (this.options.redis) {
      this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
  }

  /** Starts a pass (or queues one after the current pass). */
  trigger(reason: string): void {
    void this.run(reason);
  }

  /** Runs a pass, or one more after the current one; resolves when it is done. */
  run(reason: string): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass(reason).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.trigger('a trigger during the last pass');
      }
    });
    return this.running;
  }

  private async pass(reason: string): Promise<void> {
    const sessions = this.options.sessions();
    const rows = new Map<string, Promise<UserRecord | null>>();
    let failed = 0;
    for (let start = 0; start < sessions.length; start += this.options.batchSize) {
      const batch = sessions.slice(start, start + this.options.batchSize);
      const results = await Promise.allSettled(
        batch.filter((entry) => !entry.ended).map((entry) => this.options.check(entry, rows)),
      );
      failed += results.filter((result) => result.status === 'rejected').length;
    }
    if (failed > 0 && !this.stopped) {
      this.logger.warn(
        `Reconciliation (${reason}) could not check ${failed} of ${sessions.length} sessions: retrying`,
      );
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.trigger('a retry'), RETRY_MS);
      this.retry.unref();
    }
  }

  /** One PING: an outage, and its end, are noticed even by a worker that sends nothing else. */
  private async beat(): Promise<void> {
    const redis = this.options.redis!;
    if (this.beating) {
      return;
    }
    this.beating = true;
    try {
      await redis.run((client) => client.ping());
    } catch {
      this.redisDown = true;
      return;
    } finally {
      this.beating = false;
    }
    if (this.redisDown) {
      this.redisDown = false;
      this.trigger('Redis answers again');
    }
  }
}
