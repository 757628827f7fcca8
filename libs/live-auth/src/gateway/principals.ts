import { ClaimsPrincipal, type Claim } from '@livegate/auth';
import type { UserSession } from '@livegate/state';

/** The claims a session snapshot holds in `metadata.claims` (the user row's, at its last write). */
export function claimsOfSnapshot(session: UserSession): Claim[] {
  const claims = session.metadata?.claims;
  return Array.isArray(claims)
    ? claims.filter(
        (claim): claim is Claim =>
          typeof claim === 'object' &&
          claim !== null &&
          typeof (claim as Claim).type === 'string' &&
          typeof (claim as Claim).value === 'string',
      )
    : [];
}

/** Whether two claim lists hold the same claims, in any order. */
export function sameClaims(a: readonly Claim[], b: readonly Claim[]): boolean {
  const key = (claim: Claim) => `${claim.type}\u0000${claim.value}`;
  const left = new Set(a.map(key));
  const right = new Set(b.map(key));
  return left.size === right.size && [...left].every((entry) => right.has(entry));
}

/**
 * A snapshot with the user's new claims in place of its own, and its principal: what the next
 * request will read once the store has the same change, built without a round trip.
 */
export function principalWithClaims(
  session: UserSession,
  claims: readonly Claim[],
): { snapshot: UserSession; principal: ClaimsPrincipal } {
  const snapshot: UserSession = {
    ...session,
    metadata: { ...session.metadata, claims: claims.map(({ type, value }) => ({ type, value })) },
  };
  return { snapshot, principal: ClaimsPrincipal.fromSession(snapshot) };
}
