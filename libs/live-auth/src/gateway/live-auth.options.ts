import { safeReturnPath } from '@livegate/oauth';

/** Options of live auth (`LiveAuthModule.forRoot({ live })`). */
export interface LiveAuthOptions {
  /** Where a tab goes when its session ends or its page's guard fails. Default `/login`. */
  loginRedirect?: string;
  /**
   * How often every worker re-checks its open sockets against the stores, in ms (delivery over
   * pub/sub is at most once). Default 30 000; also after Redis comes back and on reconnects.
   */
  reconcileIntervalMs?: number;
  /**
   * How often a worker on Redis pings it to notice an outage and its end (then reconciles), in
   * ms. Default 500.
   */
  heartbeatMs?: number;
  /** Sessions re-checked at once by a reconciliation pass. Default 64. */
  reconcileBatchSize?: number;
  /**
   * Install `@socket.io/redis-adapter` on state's Redis connection when the state backend is
   * Redis, so rooms and broadcasts span workers. Default `true`; `false` when the app installs
   * an adapter of its own.
   */
  redisAdapter?: boolean;
  /** How long a region's async policy may take before the page shows its authorizing branch. */
  regionTimeoutMs?: number;
}

export const LIVE_AUTH_LIVE_OPTIONS = Symbol('livegate:live-auth-live-options');

export const DEFAULT_LIVE_OPTIONS = {
  loginRedirect: '/login',
  reconcileIntervalMs: 30_000,
  heartbeatMs: 500,
  reconcileBatchSize: 64,
  redisAdapter: true,
  regionTimeoutMs: 100,
} as const satisfies Required<LiveAuthOptions>;

export type ResolvedLiveAuthOptions = Required<LiveAuthOptions>;

/** Options with their defaults, checked: a bad value stops the boot with its name. */
export function resolveLiveOptions(options: LiveAuthOptions = {}): ResolvedLiveAuthOptions {
  const resolved = { ...DEFAULT_LIVE_OPTIONS, ...options };
  if (
    typeof resolved.loginRedirect !== 'string' ||
    safeReturnPath(resolved.loginRedirect) !== resolved.loginRedirect
  ) {
    throw new TypeError('live.loginRedirect must be a path on this site, starting with one /');
  }
  for (const name of [
    'reconcileIntervalMs',
    'heartbeatMs',
    'reconcileBatchSize',
    'regionTimeoutMs',
  ] as const) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`live.${name} must be a whole number above 0`);
    }
  }
  return resolved;
}
