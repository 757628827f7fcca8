import type { CreateSessionInput, SessionChange, UserSession } from './session.models';
import type { ResourceType } from './roles';

/**
 * User sessions, the role table and permission checks. Sessions expire after their TTL; a refresh
 * never brings back a deleted or expired session. Every session returned is a deeply frozen,
 * read-only snapshot (the same object may be handed to several readers); changes go through the
 * store.
 */
export abstract class SessionStore {
  /** Creates a session; an id that names a live session is a `StateConflictError`. */
  abstract createSession(input: CreateSessionInput): Promise<UserSession>;
  abstract getSession(sessionId: string): Promise<UserSession | null>;
  abstract validateSession(sessionId: string): Promise<boolean>;
  abstract deleteSession(sessionId: string): Promise<boolean>;
  /**
   * Extends a live session to `extendTtl` seconds from now (default: its own TTL), never past its
   * absolute lifetime (`sessionMaxLifetime` after its creation). `false` when there is no live
   * session, and when the session has reached its absolute lifetime (it is then over). The
   * version does not change: a refresh changes no role, claim or grant.
   */
  abstract refreshSession(sessionId: string, extendTtl?: number): Promise<boolean>;
  /**
   * Applies a change to a live session's roles, claims or grants atomically and returns the new
   * snapshot (its `version` exactly one higher, its creation time, expiry and TTL unchanged);
   * `null` when there is no live session (a deleted or expired session is never brought back).
   * Concurrent changes are all kept. The change is validated first (`StateValidationError`,
   * nothing written), and so is its result: resource grants stay within `MAX_GRANT_BYTES`.
   */
  abstract updateSession(sessionId: string, change: SessionChange): Promise<UserSession | null>;
  /**
   * Applies the change to every live session of the user in one atomic step (all or none);
   * returns the new snapshots, oldest session first. Expired and deleted sessions are neither
   * changed nor returned.
   */
  abstract updateUserSessions(userId: string, change: SessionChange): Promise<UserSession[]>;
  /**
   * Moves a live session to a new random id (`generateSessionId`) in one atomic step: the old id
   * stops working at once (on every worker's cache too), the user, roles, metadata, creation
   * time, expiry and TTL stay, and the version is one higher. For a privilege change. `null` when
   * there is no live session.
   */
  abstract rotateSession(sessionId: string): Promise<UserSession | null>;
  /** The user's live sessions, oldest first. */
  abstract listUserSessions(userId: string): Promise<UserSession[]>;
  /** Deletes every session of the user; returns how many live sessions were deleted. */
  abstract deleteUserSessions(userId: string): Promise<number>;
  /** Defines or replaces a role's permissions. */
  abstract setRolePermissions(role: string, permissions: Iterable<string>): Promise<void>;
  /** A role's permissions, sorted; an unknown role has none. */
  abstract getRolePermissions(role: string): Promise<string[]>;
  /**
   * Whether the session may do `permission` on the resource: through any of its roles, or through
   * a grant in `metadata.permissions["type:id"]` naming exactly this resource.
   */
  abstract checkPermission(
    sessionId: string,
    resourceType: ResourceType,
    resourceId: string,
    permission: string,
  ): Promise<boolean>;
}
