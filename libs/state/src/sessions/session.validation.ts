import { randomBytes } from 'node:crypto';
import type { CreateSessionInput, UserSession } from './session.models';
import { assertResourceGrants } from './roles';
import { StateValidationError } from '../state.errors';
import {
  assertId,
  assertTtl,
  normalizeMetadata,
  normalizeNames,
  ttlToMs,
} from '../common/validation';

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
