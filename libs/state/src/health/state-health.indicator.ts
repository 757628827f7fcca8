import { Inject, Injectable } from '@nestjs/common';
import type { StateBackend } from '../backends/state-backend';
import { STATE_BACKEND } from '../state.constants';

/** Longest a readiness check waits for the backend, whatever the backend does. */
export const STATE_HEALTH_TIMEOUT_MS = 1000;

/** The readiness of the state backend. */
export interface StateHealth {
  /** `up` when the stores can be used right now. */
  readonly status: 'up' | 'down';
  /** The backend's name: `memory`, `sqlite`, `redis` or a custom backend's. */
  readonly backend: string;
  /** Why it is down, fit for a client (no driver text). */
  readonly message?: string;
  /** Milliseconds the check took. */
  readonly responseTime: number;
}

/**
 * `{ [key]: { status: 'up' | 'down', backend, ... } }`: the result shape of a `@nestjs/terminus`
 * health indicator, so the check drops into `HealthCheckService.check([...])` as it is.
 */
export type StateHealthIndicatorResult<Key extends string = 'state'> = Record<Key, StateHealth>;

/**
 * The readiness check of the state backend, for an app's health route. `isHealthy(key)` answers
 * in the shape `@nestjs/terminus` expects of a health indicator (a down result fails the terminus
 * check with 503); `check()` gives the plain report for apps without terminus. Answers within
 * `STATE_HEALTH_TIMEOUT_MS` and never throws.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * health() { return this.health.check([() => this.state.isHealthy('state')]); }
 * ```
 */
@Injectable()
export class StateHealthIndicator {
  constructor(@Inject(STATE_BACKEND) private readonly backend: StateBackend) {}

  async check(): Promise<StateHealth> {
    const started = performance.now();
    const health = await this.backendHealth();
    return {
      status: health.status === 'up' ? 'up' : 'down',
      backend: this.backend.name,
      ...(health.status !== 'up' && health.message ? { message: health.message } : {}),
      responseTime: Math.round(performance.now() - started),
    };
  }

  /** The report under `key` (default `state`), as a terminus health indicator returns it. */
  async isHealthy<const Key extends string = 'state'>(
    key?: Key,
  ): Promise<StateHealthIndicatorResult<Key>> {
    const report = await this.check();
    return { [key ?? 'state']: report } as StateHealthIndicatorResult<Key>;
  }

  private async backendHealth(): Promise<{ status: string; message?: string }> {
    if (!this.backend.health) {
      // A custom backend without a check of its own is up for as long as the app runs.
      return { status: 'up' };
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ status: string; message: string }>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'down',
            message: `The state backend did not answer within ${STATE_HEALTH_TIMEOUT_MS} ms`,
          }),
        STATE_HEALTH_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.backend.health(), deadline]);
    } catch {
      return { status: 'down', message: 'The state backend health check failed' };
    } finally {
      clearTimeout(timer);
    }
  }
}
