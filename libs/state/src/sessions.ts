import { randomBytes } from 'node:crypto';
import type { CreateSessionInput, UserSession } from './models';
import { assertResourceGrants } from './roles';
import { StateValidationError } from './state.errors';
import { assertId, assertTtl, normalizeMetadata, normalizeNames, ttlToMs } from './validation';

/** A new session id: 256 random bits, base64url (43 characters). */
export function generateSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Validates `createSession` input and builds the session every backend stores. Nothing is written
 * by the caller when this throws.
 */
export function prepareSession(
  input: CreateSessionInput,
  defaultTtl: number,
  now = Date.now(),
): UserSession {
  if (input === null || typeof input !== 'object') {
    throw new StateValidationError('input', 'must be an object');
  }
  const sessionId = input.sessionId ?? generateSessionId();
  assertId('sessionId', sessionId);
  assertId('userId', input.userId);
  const roles = normalizeNames('roles', input.roles ?? []);
  const ttl = input.ttl ?? defaultTtl;
  assertTtl('ttl', ttl);
  const metadata = normalizeMetadata('metadata', input.metadata);
  assertResourceGrants('metadata.permissions', metadata.permissions);
  return {
    sessionId,
    userId: input.userId,
    roles,
    metadata,
    createdAt: now,
    expiresAt: now + ttlToMs(ttl),
    ttl,
  };
}

/** Validates the optional TTL of `refreshSession`. */
export function assertRefreshTtl(extendTtl: number | undefined): void {
  if (extendTtl !== undefined) {
    assertTtl('extendTtl', extendTtl);
  }
}
