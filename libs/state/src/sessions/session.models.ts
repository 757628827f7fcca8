import type { ResourceType } from './roles';

/** One statement about a session's user, kept in `metadata.claims`: `{ type: 'tier', value: 'beta' }`. */
export interface SessionClaim {
  readonly type: string;
  readonly value: string;
}

/**
 * A session as the stores return it: a deeply frozen, read-only snapshot. A change goes through
 * the store (`updateSession`, `refreshSession`, `rotateSession`, `deleteSession`), never through
 * this object.
 *
 * Its roles are `roles` together with the values of its `role` claims in `metadata.claims`: a role
 * granted either way is the same role to `checkPermission`, the principal and every guard.
 */
export interface UserSession {
  readonly sessionId: string;
  readonly userId: string;
  readonly roles: readonly string[];
  /**
   * JSON metadata. `metadata.permissions` holds resource grants (`"widget:id" → ["write"]`) and
   * `metadata.claims` the session's claims (`[{ type, value }]`).
   */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The TTL in seconds the session was created with; `refreshSession` extends by it by default. */
  readonly ttl: number;
  /**
   * Starts at 1 and grows by one with every change of the session's roles, claims or grants (and
   * rotation): of two snapshots of one session, the higher version is the newer.
   */
  readonly version: number;
}

export interface CreateSessionInput {
  /** Defaults to 256 random bits, base64url. */
  sessionId?: string;
  userId: string;
  roles?: Iterable<string>;
  /** Seconds; defaults to the store's session TTL; at most the store's session max lifetime. */
  ttl?: number;
  /**
   * JSON metadata; `metadata.permissions` holds resource grants (`"widget:id" → ["write"]`),
   * `metadata.claims` claims (`[{ type, value }]`).
   */
  metadata?: Record<string, unknown>;
}

/** Permissions on one resource, for `SessionChange.grant` and `SessionChange.revoke`. */
export interface ResourcePermissions {
  resourceType: ResourceType;
  resourceId: string;
  /**
   * Permission names, at most `MAX_CHANGE_PERMISSIONS`. For `grant`: added (at least one). For
   * `revoke`: removed; left out, every permission on the resource goes.
   */
  permissions?: Iterable<string>;
}

/**
 * A change to a live session's roles, claims or resource grants, applied atomically by
 * `SessionStore.updateSession` / `updateUserSessions`: `roles`, then `claims`, then `grant`, then
 * `revoke`. At least one part must be given, and nothing else; `grant` and `revoke` name at least
 * one and at most `MAX_CHANGE_RESOURCES` resources. Metadata other than `permissions` and
 * `claims` is never touched.
 */
export interface SessionChange {
  /** Replaces the session's roles (names, at most `MAX_SESSION_ROLES`). */
  roles?: Iterable<string>;
  /**
   * Replaces `metadata.claims`: at most `MAX_SESSION_CLAIMS` claims; a `role` claim's value must
   * be a role name (it is a role of the session).
   */
  claims?: readonly SessionClaim[];
  /**
   * Adds permissions on resources to `metadata.permissions` (existing ones are kept, first). The
   * grants a session holds stay within `MAX_GRANT_BYTES`.
   */
  grant?: readonly ResourcePermissions[];
  /** Removes permissions on resources from `metadata.permissions`; a resource left empty goes. */
  revoke?: readonly ResourcePermissions[];
}
