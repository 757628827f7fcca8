import type { ClaimsPrincipal, Claim } from '@livegate/auth';
import type { Unsubscribe } from '@livegate/state';
import type { AuthEventHandler } from './auth-event';

/** What `updatePrincipal` sends: a whole principal, or the claims to overlay, with their version. */
export type PrincipalUpdate =
  | { principal: ClaimsPrincipal; claimsVersion: number }
  | { claims: readonly Claim[]; claimsVersion: number };

/**
 * Fans auth changes out to every open connection of a user (the seeds' AuthChannel), on state's
 * `EventBus`: in-process on the memory backend, across workers on Redis. Delivery is at most once:
 * an event sent while Redis is away is lost, so the live gateway also reconciles its sockets
 * against the stores; the channel is a "refresh now" trigger, never the source of truth.
 */
export abstract class AuthChannel {
  /** Calls `handler` with every event of the user until the returned function is called. */
  abstract subscribe(userId: string, handler: AuthEventHandler): Promise<Unsubscribe>;
  /** Sends an `update` event to every subscriber of the user, on every worker. */
  abstract updatePrincipal(userId: string, update: PrincipalUpdate): Promise<void>;
  /**
   * Sends a `revoke` event: the sessions named by `sessionIds` (raw ids; only their digests
   * travel), or, without them, every session of the user.
   */
  abstract revoke(
    userId: string,
    options?: { sessionIds?: readonly string[]; claimsVersion?: number },
  ): Promise<void>;
}
