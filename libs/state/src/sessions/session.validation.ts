import { randomBytes } from 'node:crypto';
import type { CreateSessionInput, UserSession } from './session.models';
import { assertResourceGrants } from './roles';
import { normalizeClaims, normalizeRoles } from './session-updates';
import { StateValidationError } from '../state.errors';
import { assertId, assertTtl, normalizeMetadata, ttlToMs } from '../common/validation';

/** Default of `sessionMaxLifetime`: seven days from a session's creation. */
export const DEFAULT_SESSION_MAX_LIFETIME = 7 * 24 * 3600;

/** A new session id: 256 random bits, base64url (43 characters). */
export function generateSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** The session lifetimes of a store, in seconds. */
export interface SessionLifetimes {
  /** The TTL of a session created without one. */
  sessionTtl: number;
  /** The absolute lifetime from creation: no TTL or refresh reaches past it. */
  sessionMaxLifetime: number;
}

/**
 * Checks a store's lifetimes: positive TTLs, the default TTL within the absolute lifetime. The
 * absolute lifetime defaults to `DEFAULT_SESSION_MAX_LIFETIME`.
 */
export function resolveSessionLifetimes(options: {
  sessionTtl: number;
  sessionMaxLifetime?: number;
}): SessionLifetimes {
  const sessionMaxLifetime = options.sessionMaxLifetime ?? DEFAULT_SESSION_MAX_LIFETIME;
  assertTtl('sessionTtl', options.sessionTtl);
  assertTtl('sessionMaxLifetime', sessionMaxLifetime);
  if (options.sessionTtl > sessionMaxLifetime) {
    throw new StateValidationError(
      'sessionTtl',
      `must not exceed sessionMaxLifetime (${sessionMaxLifetime} seconds)`,
    );
  }
  return { sessionTtl: options.sessionTtl, sessionMaxLifetime };
}

/**
 * Validates `createSession` input and builds the session every backend stores: at most
 * `MAX_SESSION_ROLES` roles, `metadata.permissions` as resource grants, `metadata.claims` as
 * claims (`normalizeClaims`), a TTL within the absolute lifetime. Nothing is written by the caller
 * when this throws.
 */
export function prepareSession(
  input: CreateSessionInput,
  lifetimes: SessionLifetimes,
  now = Date.now(),
): UserSession {
  if (input === null || typeof input !== 'object') {
    throw new StateValidationError('input', 'must be an object');
  }
  const sessionId = input.sessionId ?? generateSessionId();
  assertId('sessionId', sessionId);
  assertId('userId', input.userId);
  const roles = normalizeRoles('roles', input.roles ?? []);
  const ttl = input.ttl ?? lifetimes.sessionTtl;
  assertTtl('ttl', ttl);
  if (ttl > lifetimes.sessionMaxLifetime) {
    throw new StateValidationError(
      'ttl',
      `must not exceed the session max lifetime (${lifetimes.sessionMaxLifetime} seconds)`,
    );
  }
  const metadata = normalizeMetadata('metadata', input.metadata);
  assertResourceGrants('metadata.permissions', metadata.permissions);
  if (metadata.claims !== undefined) {
    normalizeClaims('metadata.claims', metadata.claims);
  }
  return {
    sessionId,
    userId: input.userId,
    roles,
    metadata,
    createdAt: now,
    expiresAt: now + ttlToMs(ttl),
    ttl,
    version: 1,
  };
}

function deepFreeze(value: unknown): void {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
}

/**
 * Freezes a session with its roles and metadata: every backend hands out sessions as read-only
 * snapshots, so one can be shared between readers (and its principal derived once) safely.
 */
export function freezeSession(session: UserSession): UserSession {
  deepFreeze(session);
  return session;
}

/** Validates the optional TTL of `refreshSession`. */
export function assertRefreshTtl(extendTtl: number | undefined): void {
  if (extendTtl !== undefined) {
    assertTtl('extendTtl', extendTtl);
  }
}

/**
 * The expiry a refresh gives a session: `extendTtl` (default: its own TTL) from now, never past
 * `createdAt + sessionMaxLifetime`. At or before `now` when the session has reached its absolute
 * lifetime: it is then over.
 */
export function refreshedExpiry(
  session: Pick<UserSession, 'createdAt' | 'ttl'>,
  extendTtl: number | undefined,
  sessionMaxLifetime: number,
  now = Date.now(),
): number {
  return Math.min(
    now + ttlToMs(extendTtl ?? session.ttl),
    session.createdAt + ttlToMs(sessionMaxLifetime),
  );
}
