import { createHash } from 'node:crypto';
import type { Claim } from '@livegate/auth';

/** A principal as an `update` event carries it. */
export interface AuthEventPrincipal {
  userId: string;
  name: string | null;
  claims: Claim[];
}

/**
 * What travels on the auth channel (the seed's channel semantics). Every event carries the user
 * row's `claimsVersion` when it was written: a worker or tab that has seen a newer one ignores it.
 * - `update` with `claims`: the user's claims (the row's, roles included) replace those of every
 *   open session's principal.
 * - `update` with `principal`: the principal replaces the current one as it is.
 * - `revoke`: the named sessions (by `sessionKeyOf`), or every session of the user, end: their
 *   tabs navigate to the login redirect.
 */
export type AuthEvent =
  | {
      kind: 'update';
      userId: string;
      claimsVersion: number;
      claims?: Claim[];
      principal?: AuthEventPrincipal;
    }
  | { kind: 'revoke'; userId: string; claimsVersion: number; sessionKeys?: string[] };

export type AuthEventHandler = (event: AuthEvent) => void | Promise<void>;

/**
 * The reference of a session on the channel and in socket rooms: a digest of its id, so that an
 * event or a room name never carries the bearer secret itself.
 */
export function sessionKeyOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);
}
