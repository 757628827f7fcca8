import { createHash } from 'node:crypto';
import { TransientStore } from '@livegate/state';

export interface LoginLimits {
  /** Attempts one account may take per window. */
  perAccount: number;
  /** Attempts one client address may take per window. */
  perAddress: number;
  /** The window, in seconds. */
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccount: 10,
  perAddress: 50,
  windowSeconds: 300,
};

/** A throttled attempt: when the caller may try again. */
export interface Throttled {
  retryAfterSeconds: number;
}

const digest = (value: string) =>
  createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 32);

/**
 * Counts sign-in attempts per account and per client address in fixed windows on the state
 * backend's transient store, so every worker shares the counts. An attempt past either limit is
 * throttled before any password is hashed. Accounts and addresses are kept as hashes.
 */
export class LoginThrottle {
  constructor(
    private readonly transient: TransientStore,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Counts one attempt; `Throttled` when it is over a limit (the attempt must not go on). */
  async attempt(account: string, address: string): Promise<Throttled | null> {
    const window = this.limits.windowSeconds * 1000;
    const now = Date.now();
    const bucket = Math.floor(now / window);
    const ttl = Math.ceil((window - (now % window)) / 1000) + 1;
    const [byAccount, byAddress] = await Promise.all([
      this.transient.increment(`local-login:account:${digest(account)}:${bucket}`, ttl),
      this.transient.increment(`local-login:address:${digest(address)}:${bucket}`, ttl),
    ]);
    if (byAccount > this.limits.perAccount || byAddress > this.limits.perAddress) {
      return { retryAfterSeconds: Math.max(1, Math.ceil(((bucket + 1) * window - now) / 1000)) };
    }
    return null;
  }
}
