import type { CreateSessionInput, SessionChange, UserSession } from '../../sessions/session.models';
import {
  assertPermissionQuery,
  DEFAULT_ROLE_PERMISSIONS,
  sessionAllows,
  type ResourceType,
} from '../../sessions/roles';
import { applySessionChange, normalizeSessionChange } from '../../sessions/session-updates';
import {
  assertRefreshTtl,
  freezeSession,
  generateSessionId,
  prepareSession,
  refreshedExpiry,
  resolveSessionLifetimes,
  type SessionLifetimes,
} from '../../sessions/session.validation';
import { StateConflictError } from '../../state.errors';
import { SessionStore } from '../../sessions/session-store';
import { assertId, assertName, normalizeNames } from '../../common/validation';
import { ExpiringMap } from './expiring-map';

export interface MemorySessionStoreOptions {
  /** Seconds a session lives when created without a TTL. */
  sessionTtl: number;
  /** Absolute lifetime of a session in seconds. Default `DEFAULT_SESSION_MAX_LIFETIME`. */
  sessionMaxLifetime?: number;
}

/** Sessions and the role table in process memory. */
export class MemorySessionStore extends SessionStore {
  private readonly sessions: ExpiringMap<UserSession>;
  private readonly userSessions = new Map<string, Set<string>>();
  private readonly roles = new Map<string, ReadonlySet<string>>(
    Object.entries(DEFAULT_ROLE_PERMISSIONS).map(([role, permissions]) => [
      role,
      new Set(permissions),
    ]),
  );
  private readonly lifetimes: SessionLifetimes;

  constructor(options: number | MemorySessionStoreOptions) {
    super();
    this.lifetimes = resolveSessionLifetimes(
      typeof options === 'number' ? { sessionTtl: options } : options,
    );
    this.sessions = new ExpiringMap((sessionId, session) =>
      this.forgetUserSession(session.userId, sessionId),
    );
  }

  async createSession(input: CreateSessionInput): Promise<UserSession> {
    const session = freezeSession(prepareSession(input, this.lifetimes));
    if (this.sessions.has(session.sessionId)) {
      throw new StateConflictError('A live session with this id already exists');
    }
    this.put(session);
    return session;
  }

  async getSession(sessionId: string): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    // Stored sessions are frozen snapshots: handed out as they are, never copied.
    return this.sessions.get(sessionId) ?? null;
  }

  async validateSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    return this.sessions.has(sessionId);
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    return this.sessions.delete(sessionId);
  }

  async refreshSession(sessionId: string, extendTtl?: number): Promise<boolean> {
    assertId('sessionId', sessionId);
    assertRefreshTtl(extendTtl);
    const now = Date.now();
    const session = this.sessions.get(sessionId, now);
    if (!session) {
      return false;
    }
    const expiresAt = refreshedExpiry(session, extendTtl, this.lifetimes.sessionMaxLifetime, now);
    if (expiresAt <= now) {
      this.sessions.delete(sessionId, now);
      return false;
    }
    this.sessions.set(sessionId, freezeSession({ ...session, expiresAt }));
    return true;
  }

  async updateSession(sessionId: string, change: SessionChange): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    const normalized = normalizeSessionChange(change);
    const session = this.sessions.get(sessionId);
    if (!session) {
      return null;
    }
    const updated = freezeSession(applySessionChange(session, normalized));
    this.sessions.set(sessionId, updated);
    return updated;
  }

  async updateUserSessions(userId: string, change: SessionChange): Promise<UserSession[]> {
    assertId('userId', userId);
    const normalized = normalizeSessionChange(change);
    // Every new snapshot is computed before any is stored: a change refused for one session is
    // applied to none.
    const updated = this.liveSessionsOf(userId).map((session) =>
      freezeSession(applySessionChange(session, normalized)),
    );
    for (const session of updated) {
      this.sessions.set(session.sessionId, session);
    }
    return updated;
  }

  async rotateSession(sessionId: string): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    const now = Date.now();
    const session = this.sessions.get(sessionId, now);
    if (!session) {
      return null;
    }
    const rotatedId = generateSessionId();
    if (this.sessions.has(rotatedId, now)) {
      throw new StateConflictError('A live session with the new id already exists');
    }
    const rotated = freezeSession({
      ...session,
      sessionId: rotatedId,
      version: session.version + 1,
    });
    this.sessions.delete(sessionId, now);
    this.put(rotated);
    return rotated;
  }

  async listUserSessions(userId: string): Promise<UserSession[]> {
    assertId('userId', userId);
    return this.liveSessionsOf(userId);
  }

  async deleteUserSessions(userId: string): Promise<number> {
    assertId('userId', userId);
    let deleted = 0;
    for (const sessionId of [...(this.userSessions.get(userId) ?? [])]) {
      if (this.sessions.delete(sessionId)) {
        deleted += 1;
      }
    }
    this.userSessions.delete(userId);
    return deleted;
  }

  async setRolePermissions(role: string, permissions: Iterable<string>): Promise<void> {
    assertName('role', role);
    this.roles.set(role, new Set(normalizeNames('permissions', permissions)));
  }

  async getRolePermissions(role: string): Promise<string[]> {
    assertName('role', role);
    return [...(this.roles.get(role) ?? [])].sort();
  }

  async checkPermission(
    sessionId: string,
    resourceType: ResourceType,
    resourceId: string,
    permission: string,
  ): Promise<boolean> {
    assertPermissionQuery(sessionId, resourceType, resourceId, permission);
    const session = this.sessions.get(sessionId);
    if (!session) {
      return false;
    }
    return sessionAllows(
      session,
      (role) => this.roles.get(role),
      resourceType,
      resourceId,
      permission,
    );
  }

  /** Frees expired sessions. */
  sweep(now = Date.now()): number {
    return this.sessions.sweep(now);
  }

  private forgetUserSession(userId: string, sessionId: string): void {
    const ids = this.userSessions.get(userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) {
      this.userSessions.delete(userId);
    }
  }

  private put(session: UserSession): void {
    this.sessions.set(session.sessionId, session);
    let ids = this.userSessions.get(session.userId);
    if (!ids) {
      ids = new Set();
      this.userSessions.set(session.userId, ids);
    }
    ids.add(session.sessionId);
  }

  /** The user's live sessions, oldest first. */
  private liveSessionsOf(userId: string): UserSession[] {
    const now = Date.now();
    const sessions: UserSession[] = [];
    for (const sessionId of [...(this.userSessions.get(userId) ?? [])]) {
      const session = this.sessions.get(sessionId, now);
      if (session) {
        sessions.push(session);
      }
    }
    return sessions.sort((a, b) => a.createdAt - b.createdAt);
  }
}
