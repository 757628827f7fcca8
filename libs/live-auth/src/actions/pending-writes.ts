import { Logger } from '@nestjs/common';
import { StateBackendUnavailableError } from '@livegate/state';

/** How often writes that failed while the state backend was away are tried again. */
export const PENDING_RETRY_MS = 250;
/** Most writes kept waiting; past it the oldest is dropped (and logged). */
export const MAX_PENDING_WRITES = 10_000;

interface PendingWrite {
  readonly label: string;
  readonly run: () => Promise<void>;
  readonly until: number;
}

/**
 * Session and channel writes of `AuthActions` that failed because the state backend was away:
 * they are tried again, in order, until they succeed or their deadline (the longest a session can
 * live) passes. The user row already holds the change; this makes the snapshots and the event
 * follow as soon as the backend is back, and the gateways' reconciliation covers the rest.
 */
export class PendingWrites {
  private readonly logger = new Logger('AuthActions');
  private readonly queue: PendingWrite[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining = false;

  get size(): number {
    return this.queue.length;
  }

  /**
   * Runs `write`; when the state backend is unavailable, keeps it for later and resolves `false`.
   * Other errors propagate.
   */
  async attempt(label: string, write: () => Promise<void>, keepForMs: number): Promise<boolean> {
    if (this.queue.length > 0) {
      // Later writes wait behind earlier ones, so an update never overtakes a revocation.
      this.keep(label, write, keepForMs);
      void this.drain();
      return false;
    }
    try {
      await write();
      return true;
    } catch (error) {
      if (!(error instanceof StateBackendUnavailableError)) {
        throw error;
      }
      this.keep(label, write, keepForMs);
      return false;
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private keep(label: string, run: () => Promise<void>, keepForMs: number): void {
    if (this.queue.length >= MAX_PENDING_WRITES) {
      const dropped = this.queue.shift()!;
      this.logger.error(`Too many writes waiting for the state backend: dropped ${dropped.label}`);
    }
    this.queue.push({ label, run, until: Date.now() + keepForMs });
    this.logger.warn(`The state backend is unavailable: ${label} will be retried`);
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer && this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain();
      }, PENDING_RETRY_MS);
      this.timer.unref();
    }
  }

  private async drain(): Promise<void> {
    if (this.draining) {
      return;
    }
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (next.until < Date.now()) {
          this.queue.shift();
          this.logger.error(`Gave up on ${next.label}: the state backend stayed unavailable`);
          continue;
        }
        try {
          await next.run();
        } catch (error) {
          if (error instanceof StateBackendUnavailableError) {
            break;
          }
          this.logger.error(`${next.label} failed: ${String(error)}`);
        }
        this.queue.shift();
      }
    } finally {
      this.draining = false;
      this.schedule();
    }
  }
}
