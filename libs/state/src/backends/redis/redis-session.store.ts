import type { CreateSessionInput, UserSession } from '../../sessions/session.models';
import {
  assertPermissionQuery,
  DEFAULT_ROLE_PERMISSIONS,
  sessionAllows,
  type ResourceType,
} from '../../sessions/roles';
import { assertRefreshTtl, freezeSession, prepareSession } from '../../sessions/session.validation';
import { StateConflictError, StateValidationError } from '../../state.errors';
import { SessionStore } from '../../sessions/session-store';
import { assertId, assertName, assertTtl, normalizeNames, ttlToMs } from '../../common/validation';
import type { RedisConnection } from './redis-connection';
import { fieldsToRecord, isPresent } from './redis-fields';
import { sessionKeyOf, type RedisKeys } from './redis-keys';
import { RedisSessionCache, type SessionCacheStats } from './redis-session.cache';

/**
 * A role's stored permissions; a built-in role missing from the table (a fresh or flushed
 * database) falls back to its seeded permissions.
 */
function rolePermissionsOf(role: string, stored: string | null | undefined): string[] {
  if (stored !== null && stored !== undefined) {
    return JSON.parse(stored) as string[];
  }
  return [...(DEFAULT_ROLE_PERMISSIONS[role] ?? [])];
}

function toSession(fields: Record<string, string>): UserSession {
  return freezeSession({
    sessionId: fields.id,
    userId: fields.user,
    roles: JSON.parse(fields.roles) as string[],
    metadata: JSON.parse(fields.metadata) as Record<string, unknown>,
    createdAt: Number(fields.createdAt),
    expiresAt: Number(fields.expiresAt),
    ttl: Number(fields.ttl),
    version: fields.version === undefined ? 1 : Number(fields.version),
  });
}

const DISABLED_CACHE_STATS: SessionCacheStats = Object.freeze({
  enabled: false,
  live: false,
  size: 0,
  hits: 0,
  misses: 0,
  invalidations: 0,
});

export interface RedisSessionStoreOptions {
  sessionTtl: number;
  /** Most sessions in the in-process cache; 0 turns it off. */
  sessionCacheSize: number;
  /** Seconds a session stays in the in-process cache at most. */
  sessionCacheTtl: number;
}

/**
 * Sessions in Redis, each under the SHA-256 of its id, with a pruned index per user and the role
 * table in one hash. `getSession` is served from an in-process cache (`RedisSessionCache`) while
 * that cache's invalidation channel is up, else it is one round trip, like `checkPermission`.
 */
export class RedisSessionStore extends SessionStore {
  private readonly sessionTtl: number;
  private readonly cache: RedisSessionCache | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
    options: RedisSessionStoreOptions,
  ) {
    super();
    assertTtl('sessionTtl', options.sessionTtl);
    this.sessionTtl = options.sessionTtl;
    if (!(Number.isInteger(options.sessionCacheSize) && options.sessionCacheSize >= 0)) {
      throw new StateValidationError('sessionCacheSize', 'must be a whole number of at least 0');
    }
    if (options.sessionCacheSize > 0) {
      assertTtl('sessionCacheTtl', options.sessionCacheTtl);
      this.cache = new RedisSessionCache(redis.subscriber, {
        channel: keys.sessionInvalidations,
        maxEntries: options.sessionCacheSize,
        maxAgeSeconds: options.sessionCacheTtl,
      });
    }
  }

  /** Counters of the in-process session cache. */
  get cacheStats(): SessionCacheStats {
    return this.cache?.stats ?? DISABLED_CACHE_STATS;
  }

  /** Stops the session cache's timer and listeners; the backend's `close` calls it. */
  close(): void {
    this.cache?.close();
  }

  /** Writes the built-in roles that the table does not have yet; custom changes are kept. */
  async seedRoles(): Promise<void> {
    await this.redis.run(async (client) => {
      const pipeline = client.multi();
      for (const [role, permissions] of Object.entries(DEFAULT_ROLE_PERMISSIONS)) {
        pipeline.hsetnx(this.keys.rolePermissions, role, JSON.stringify([...permissions].sort()));
      }
      await pipeline.exec();
    });
  }

  async createSession(input: CreateSessionInput): Promise<UserSession> {
    const session = prepareSession(input, this.sessionTtl);
    const key = sessionKeyOf(session.sessionId);
    const ttlMs = session.expiresAt - session.createdAt;
    const createdAt = Number(
      await this.redis.run((client) =>
        client.livegateSessionCreate(
          this.keys.session(key),
          this.keys.userSessions(session.userId),
          key,
          session.sessionId,
          session.userId,
          JSON.stringify(session.roles),
          JSON.stringify(session.metadata),
          String(session.ttl),
          ttlMs,
          this.keys.sessionInvalidations,
        ),
      ),
    );
    // A session of this id deleted earlier is no longer known-deleted here either.
    this.cache?.forget(key);
    if (createdAt < 0) {
      throw new StateConflictError('A live session with this id already exists');
    }
    return freezeSession({ ...session, createdAt, expiresAt: createdAt + ttlMs });
  }

  async getSession(sessionId: string): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    // Looked up by id, so a hit costs no hashing; sessions are frozen, so a hit is shared as is.
    // `null`: a cached session that was deleted since (answered without a round trip).
    const cached = this.cache?.get(sessionId);
    if (cached !== undefined) {
      return cached;
    }
    const key = sessionKeyOf(sessionId);
    const ticket = this.cache?.begin() ?? null;
    const fields = await this.redis.run((client) => client.hgetall(this.keys.session(key)));
    if (!isPresent(fields)) {
      return null;
    }
    const session = toSession(fields);
    this.cache?.store(sessionId, key, session, ticket);
    return session;
  }

  async validateSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    const exists = await this.redis.run((client) =>
      client.exists(this.keys.session(sessionKeyOf(sessionId))),
    );
    return exists === 1;
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    const key = sessionKeyOf(sessionId);
    try {
      const deleted = await this.redis.run((client) =>
        client.livegateSessionDelete(
          this.keys.session(key),
          key,
          this.keys.prefix,
          this.keys.sessionInvalidations,
        ),
      );
      return Number(deleted) === 1;
    } finally {
      // Also when the call failed: it may have reached Redis.
      this.cache?.invalidate([key]);
    }
  }

  async refreshSession(sessionId: string, extendTtl?: number): Promise<boolean> {
    assertId('sessionId', sessionId);
    assertRefreshTtl(extendTtl);
    const key = sessionKeyOf(sessionId);
    try {
      const refreshed = await this.redis.run((client) =>
        client.livegateSessionRefresh(
          this.keys.session(key),
          key,
          extendTtl === undefined ? '' : ttlToMs(extendTtl),
          this.keys.prefix,
          this.keys.sessionInvalidations,
        ),
      );
      return Number(refreshed) === 1;
    } finally {
      this.cache?.invalidate([key]);
    }
  }

  async listUserSessions(userId: string): Promise<UserSession[]> {
    assertId('userId', userId);
    const reply = (await this.redis.run((client) =>
      client.livegateSessionList(this.keys.userSessions(userId), this.keys.session('')),
    )) as unknown[];
    return reply
      .map((fields) => toSession(fieldsToRecord(fields)))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteUserSessions(userId: string): Promise<number> {
    assertId('userId', userId);
    let deleted: string[] | undefined;
    try {
      deleted = (
        (await this.redis.run((client) =>
          client.livegateSessionDeleteUser(
            this.keys.userSessions(userId),
            this.keys.session(''),
            this.keys.sessionInvalidations,
          ),
        )) as unknown[]
      ).map(String);
      return deleted.length;
    } finally {
      if (deleted) {
        this.cache?.invalidate(deleted);
      } else {
        // No reply, so the deleted keys are unknown: forget every cached session of the user.
        this.cache?.invalidateUser(userId);
      }
    }
  }

  async setRolePermissions(role: string, permissions: Iterable<string>): Promise<void> {
    assertName('role', role);
    const names = normalizeNames('permissions', permissions).sort();
    await this.redis.run((client) =>
      client.hset(this.keys.rolePermissions, role, JSON.stringify(names)),
    );
  }

  async getRolePermissions(role: string): Promise<string[]> {
    assertName('role', role);
    const stored = await this.redis.run((client) => client.hget(this.keys.rolePermissions, role));
    return rolePermissionsOf(role, stored).sort();
  }

  async checkPermission(
    sessionId: string,
    resourceType: ResourceType,
    resourceId: string,
    permission: string,
  ): Promise<boolean> {
    assertPermissionQuery(sessionId, resourceType, resourceId, permission);
    const reply = (await this.redis.run((client) =>
      client.livegateSessionPermissions(
        this.keys.session(sessionKeyOf(sessionId)),
        this.keys.rolePermissions,
      ),
    )) as [string, string, (string | null)[]] | null;
    if (!reply) {
      return false;
    }
    const roles = JSON.parse(reply[0]) as string[];
    const permissionsByRole = new Map(
      roles.map((role, index) => [role, rolePermissionsOf(role, reply[2][index])]),
    );
    return sessionAllows(
      { roles, metadata: JSON.parse(reply[1]) as Record<string, unknown> },
      (role) => permissionsByRole.get(role),
      resourceType,
      resourceId,
      permission,
    );
  }
}
