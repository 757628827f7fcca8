import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { CreateSessionInput, SessionChange, UserSession } from '../../sessions/session.models';
import {
  assertPermissionQuery,
  effectiveRoles,
  sessionAllows,
  type ResourceType,
} from '../../sessions/roles';
import { CorruptSessionLog } from '../../sessions/session-records';
import {
  applySessionChange,
  normalizeSessionChange,
  type NormalizedSessionChange,
} from '../../sessions/session-updates';
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
import type { SqliteDatabase } from './sqlite-database';

interface SessionRow {
  id_hash: Buffer;
  session_id: string;
  user_id: string;
  roles: string;
  metadata: string;
  ttl: number;
  created_at: number;
  expires_at: number;
  version: number;
}

const SESSION_COLUMNS =
  'id_hash, session_id, user_id, roles, metadata, ttl, created_at, expires_at, version';

/** The key a session is stored under: the SHA-256 of its id, never the id itself. */
export function sessionKey(sessionId: string): Buffer {
  return createHash('sha256').update(sessionId, 'utf8').digest();
}

export interface SqliteSessionStoreOptions {
  /** Seconds a session lives when created without a TTL. */
  sessionTtl: number;
  /** Absolute lifetime of a session in seconds. Default `DEFAULT_SESSION_MAX_LIFETIME`. */
  sessionMaxLifetime?: number;
}

/**
 * Sessions and the role table in the SQLite database. Every change is one write transaction
 * (`BEGIN IMMEDIATE`), so a read-modify-write of a session cannot interleave with another
 * process's on the same file.
 */
export class SqliteSessionStore extends SessionStore {
  private readonly statements: {
    expiry: Statement<[Buffer], { expires_at: number }>;
    remove: Statement<[Buffer]>;
    insert: Statement<[Buffer, string, string, string, string, number, number, number]>;
    get: Statement<[Buffer, number], SessionRow>;
    exists: Statement<[Buffer, number], { found: 1 }>;
    removeReturning: Statement<[Buffer], { expires_at: number }>;
    setExpiry: Statement<[number, Buffer]>;
    update: Statement<[string, string, number, Buffer]>;
    rotate: Statement<[Buffer, string, number, Buffer]>;
    listUser: Statement<[string, number], SessionRow>;
    removeUser: Statement<[string], { expires_at: number }>;
    setRole: Statement<[string, string]>;
    getRole: Statement<[string], { permissions: string }>;
    rolesOf: Statement<[string], { role: string; permissions: string }>;
    sweep: Statement<[number]>;
  };
  private readonly lifetimes: SessionLifetimes;
  private readonly corruption = new CorruptSessionLog('SqliteSessionStore');

  constructor(
    private readonly database: SqliteDatabase,
    options: number | SqliteSessionStoreOptions,
  ) {
    super();
    this.lifetimes = resolveSessionLifetimes(
      typeof options === 'number' ? { sessionTtl: options } : options,
    );
    const db = database.connection;
    this.statements = {
      expiry: db.prepare('SELECT expires_at FROM sessions WHERE id_hash = ?'),
      remove: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      insert: db.prepare(
        `INSERT INTO sessions (id_hash, session_id, user_id, roles, metadata, ttl, created_at,
           expires_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      ),
      get: db.prepare(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = ? AND expires_at > ?`,
      ),
      exists: db.prepare('SELECT 1 AS found FROM sessions WHERE id_hash = ? AND expires_at > ?'),
      removeReturning: db.prepare('DELETE FROM sessions WHERE id_hash = ? RETURNING expires_at'),
      setExpiry: db.prepare('UPDATE sessions SET expires_at = ? WHERE id_hash = ?'),
      update: db.prepare(
        'UPDATE sessions SET roles = ?, metadata = ?, version = ? WHERE id_hash = ?',
      ),
      rotate: db.prepare(
        'UPDATE sessions SET id_hash = ?, session_id = ?, version = ? WHERE id_hash = ?',
      ),
      listUser: db.prepare(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? AND expires_at > ?
         ORDER BY created_at, seq`,
      ),
      removeUser: db.prepare('DELETE FROM sessions WHERE user_id = ? RETURNING expires_at'),
      setRole: db.prepare(
        `INSERT INTO roles (role, permissions) VALUES (?, ?)
         ON CONFLICT (role) DO UPDATE SET permissions = excluded.permissions`,
      ),
      getRole: db.prepare('SELECT permissions FROM roles WHERE role = ?'),
      rolesOf: db.prepare(
        'SELECT role, permissions FROM roles WHERE role IN (SELECT value FROM json_each(?))',
      ),
      sweep: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  async createSession(input: CreateSessionInput): Promise<UserSession> {
    const session = prepareSession(input, this.lifetimes);
    const key = sessionKey(session.sessionId);
    this.database.write(() => {
      const existing = this.statements.expiry.get(key);
      if (existing && existing.expires_at > session.createdAt) {
        throw new StateConflictError('A live session with this id already exists');
      }
      if (existing) {
        this.statements.remove.run(key);
      }
      this.statements.insert.run(
        key,
        session.sessionId,
        session.userId,
        JSON.stringify(session.roles),
        JSON.stringify(session.metadata),
        session.ttl,
        session.createdAt,
        session.expiresAt,
      );
    });
    return freezeSession(session);
  }

  async getSession(sessionId: string): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    return this.database.read(() => this.liveSession(sessionKey(sessionId), Date.now()));
  }

  async validateSession(sessionId: string): Promise<boolean> {
    return (await this.getSession(sessionId)) !== null;
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    const now = Date.now();
    const removed = this.database.write(() =>
      this.statements.removeReturning.all(sessionKey(sessionId)),
    );
    return removed.some((row) => row.expires_at > now);
  }

  async refreshSession(sessionId: string, extendTtl?: number): Promise<boolean> {
    assertId('sessionId', sessionId);
    assertRefreshTtl(extendTtl);
    const key = sessionKey(sessionId);
    return this.database.write(() => {
      const now = Date.now();
      const session = this.liveSession(key, now);
      if (!session) {
        return false;
      }
      const expiresAt = refreshedExpiry(session, extendTtl, this.lifetimes.sessionMaxLifetime, now);
      if (expiresAt <= now) {
        this.statements.remove.run(key);
        return false;
      }
      this.statements.setExpiry.run(expiresAt, key);
      return true;
    });
  }

  async updateSession(sessionId: string, change: SessionChange): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    const normalized = normalizeSessionChange(change);
    const key = sessionKey(sessionId);
    return this.database.write(() => {
      const session = this.liveSession(key, Date.now());
      return session ? this.apply(session, normalized) : null;
    });
  }

  async updateUserSessions(userId: string, change: SessionChange): Promise<UserSession[]> {
    assertId('userId', userId);
    const normalized = normalizeSessionChange(change);
    return this.database.write(() =>
      this.liveSessionsOf(userId).map((session) => this.apply(session, normalized)),
    );
  }

  async rotateSession(sessionId: string): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    const key = sessionKey(sessionId);
    return this.database.write(() => {
      const now = Date.now();
      const session = this.liveSession(key, now);
      if (!session) {
        return null;
      }
      const rotatedId = generateSessionId();
      const rotatedKey = sessionKey(rotatedId);
      const taken = this.statements.expiry.get(rotatedKey);
      if (taken && taken.expires_at > now) {
        throw new StateConflictError('A live session with the new id already exists');
      }
      if (taken) {
        this.statements.remove.run(rotatedKey);
      }
      const version = session.version + 1;
      this.statements.rotate.run(rotatedKey, rotatedId, version, key);
      return freezeSession({ ...session, sessionId: rotatedId, version });
    });
  }

  async listUserSessions(userId: string): Promise<UserSession[]> {
    assertId('userId', userId);
    return this.database.read(() => this.liveSessionsOf(userId));
  }

  async deleteUserSessions(userId: string): Promise<number> {
    assertId('userId', userId);
    const now = Date.now();
    const removed = this.database.write(() => this.statements.removeUser.all(userId));
    return removed.filter((row) => row.expires_at > now).length;
  }

  async setRolePermissions(role: string, permissions: Iterable<string>): Promise<void> {
    assertName('role', role);
    const names = normalizeNames('permissions', permissions);
    this.database.write(() => this.statements.setRole.run(role, JSON.stringify(names)));
  }

  async getRolePermissions(role: string): Promise<string[]> {
    assertName('role', role);
    const row = this.database.read(() => this.statements.getRole.get(role));
    return row ? (JSON.parse(row.permissions) as string[]).sort() : [];
  }

  async checkPermission(
    sessionId: string,
    resourceType: ResourceType,
    resourceId: string,
    permission: string,
  ): Promise<boolean> {
    assertPermissionQuery(sessionId, resourceType, resourceId, permission);
    return this.database.read(() => {
      const session = this.liveSession(sessionKey(sessionId), Date.now());
      if (!session) {
        return false;
      }
      const roles = new Map(
        this.statements.rolesOf
          .all(JSON.stringify(effectiveRoles(session)))
          .map(({ role, permissions }) => [role, JSON.parse(permissions) as string[]]),
      );
      return sessionAllows(
        session,
        (role) => roles.get(role),
        resourceType,
        resourceId,
        permission,
      );
    });
  }

  /** Deletes expired sessions; returns how many. */
  sweep(now = Date.now()): number {
    return this.database.write(() => this.statements.sweep.run(now).changes);
  }

  /** The session of a row; `null` (reported once) for a row that is not a session. */
  /** The unexpired session stored under `key`, or null (also for a corrupt record). */
  private liveSession(key: Buffer, now: number): UserSession | null {
    const row = this.statements.get.get(key, now);
    return row ? this.toSession(row) : null;
  }

  private toSession(row: SessionRow): UserSession | null {
    return this.corruption.read(Buffer.from(row.id_hash).toString('hex'), {
      sessionId: row.session_id,
      userId: row.user_id,
      roles: row.roles,
      metadata: row.metadata,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      ttl: row.ttl,
      version: row.version,
    });
  }

  /** The live, readable sessions of the user, oldest first. */
  private liveSessionsOf(userId: string): UserSession[] {
    return this.statements.listUser
      .all(userId, Date.now())
      .map((row) => this.toSession(row))
      .filter((session): session is UserSession => session !== null);
  }

  /** Writes the changed session; call inside `database.write`. */
  private apply(session: UserSession, change: NormalizedSessionChange): UserSession {
    const updated = freezeSession(applySessionChange(session, change));
    this.statements.update.run(
      JSON.stringify(updated.roles),
      JSON.stringify(updated.metadata),
      updated.version,
      sessionKey(session.sessionId),
    );
    return updated;
  }
}
