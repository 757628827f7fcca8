import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { CreateSessionInput, UserSession } from '../../sessions/session.models';
import { assertPermissionQuery, sessionAllows, type ResourceType } from '../../sessions/roles';
import { assertRefreshTtl, freezeSession, prepareSession } from '../../sessions/session.validation';
import { StateConflictError } from '../../state.errors';
import { SessionStore } from '../../sessions/session-store';
import { assertId, assertName, assertTtl, normalizeNames, ttlToMs } from '../../common/validation';
import type { SqliteDatabase } from './sqlite-database';

interface SessionRow {
  session_id: string;
  user_id: string;
  roles: string;
  metadata: string;
  ttl: number;
  created_at: number;
  expires_at: number;
}

const SESSION_COLUMNS = 'session_id, user_id, roles, metadata, ttl, created_at, expires_at';

/** The key a session is stored under: the SHA-256 of its id, never the id itself. */
export function sessionKey(sessionId: string): Buffer {
  return createHash('sha256').update(sessionId, 'utf8').digest();
}

function toSession(row: SessionRow): UserSession {
  return freezeSession({
    sessionId: row.session_id,
    userId: row.user_id,
    roles: JSON.parse(row.roles) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ttl: row.ttl,
    version: 1,
  });
}

/** Sessions and the role table in the SQLite database. */
export class SqliteSessionStore extends SessionStore {
  private readonly statements: {
    expiry: Statement<[Buffer], { expires_at: number }>;
    remove: Statement<[Buffer]>;
    insert: Statement<[Buffer, string, string, string, string, number, number, number]>;
    get: Statement<[Buffer, number], SessionRow>;
    exists: Statement<[Buffer, number], { found: 1 }>;
    removeReturning: Statement<[Buffer], { expires_at: number }>;
    ttl: Statement<[Buffer, number], { ttl: number }>;
    setExpiry: Statement<[number, Buffer]>;
    listUser: Statement<[string, number], SessionRow>;
    removeUser: Statement<[string], { expires_at: number }>;
    setRole: Statement<[string, string]>;
    getRole: Statement<[string], { permissions: string }>;
    rolesOf: Statement<[string], { role: string; permissions: string }>;
    sweep: Statement<[number]>;
  };

  constructor(
    private readonly database: SqliteDatabase,
    private readonly sessionTtl: number,
  ) {
    super();
    assertTtl('sessionTtl', sessionTtl);
    const db = database.connection;
    this.statements = {
      expiry: db.prepare('SELECT expires_at FROM sessions WHERE id_hash = ?'),
      remove: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      insert: db.prepare(
        `INSERT INTO sessions (id_hash, session_id, user_id, roles, metadata, ttl, created_at,
           expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = ? AND expires_at > ?`,
      ),
      exists: db.prepare('SELECT 1 AS found FROM sessions WHERE id_hash = ? AND expires_at > ?'),
      removeReturning: db.prepare('DELETE FROM sessions WHERE id_hash = ? RETURNING expires_at'),
      ttl: db.prepare('SELECT ttl FROM sessions WHERE id_hash = ? AND expires_at > ?'),
      setExpiry: db.prepare('UPDATE sessions SET expires_at = ? WHERE id_hash = ?'),
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
    const session = prepareSession(input, this.sessionTtl);
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
    const row = this.database.read(() =>
      this.statements.get.get(sessionKey(sessionId), Date.now()),
    );
    return row ? toSession(row) : null;
  }

  async validateSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    return this.database.read(
      () => this.statements.exists.get(sessionKey(sessionId), Date.now()) !== undefined,
    );
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
    const now = Date.now();
    return this.database.write(() => {
      const live = this.statements.ttl.get(key, now);
      if (!live) {
        return false;
      }
      this.statements.setExpiry.run(now + ttlToMs(extendTtl ?? live.ttl), key);
      return true;
    });
  }

  async listUserSessions(userId: string): Promise<UserSession[]> {
    assertId('userId', userId);
    return this.database.read(() =>
      this.statements.listUser.all(userId, Date.now()).map(toSession),
    );
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
      const row = this.statements.get.get(sessionKey(sessionId), Date.now());
      if (!row) {
        return false;
      }
      const session = toSession(row);
      const roles = new Map(
        this.statements.rolesOf
          .all(row.roles)
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
}
