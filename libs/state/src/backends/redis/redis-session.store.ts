import type { CreateSessionInput, SessionChange, UserSession } from '../../sessions/session.models';
import {
  assertPermissionQuery,
  DEFAULT_ROLE_PERMISSIONS,
  defaultRolePermissionsOf,
  effectiveRoles,
  sessionAllows,
  type ResourceType,
} from '../../sessions/roles';
import { CorruptSessionLog } from '../../sessions/session-records';
import {
  grantsTooLargeError,
  MAX_GRANT_BYTES,
  normalizeClaims,
  normalizeSessionChange,
  type NormalizedSessionChange,
} from '../../sessions/session-updates';
import {
  assertRefreshTtl,
  freezeSession,
  generateSessionId,
  prepareSession,
  resolveSessionLifetimes,
  type SessionLifetimes,
} from '../../sessions/session.validation';
import {
  StateBackendUnavailableError,
  StateConflictError,
  StateValidationError,
} from '../../state.errors';
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
  return [...(defaultRolePermissionsOf(role) ?? [])];
}

const DISABLED_CACHE_STATS: SessionCacheStats = Object.freeze({
  enabled: false,
  live: false,
  size: 0,
  hits: 0,
  misses: 0,
  invalidations: 0,
  oversized: 0,
});

/** A change as the session scripts read it (see `SESSION_CHANGE` in redis-scripts.ts). */
function changeArguments(change: NormalizedSessionChange): string[] {
  const args = [
    change.roles === undefined ? '' : JSON.stringify(change.roles),
    change.claims === undefined ? '' : JSON.stringify(change.claims),
    String(change.grant.length),
  ];
  for (const { key, permissions } of change.grant) {
    args.push(key, permissions.join(' '));
  }
  args.push(String(change.revoke.length));
  for (const { key, permissions } of change.revoke) {
    args.push(key, permissions === null ? '' : permissions.join(' '));
  }
  return args;
}

/** Half of a surrogate pair alone: Lua's cjson cannot decode its JSON escape. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What a session written by an older version keeps in its metadata, as the current layout's
 * fields; `null` when the metadata is not what a reader accepts (the session is then no session).
 */
function migrationFields(metadataJson: string): { grants: string; claims: string } | null {
  let metadata: unknown;
  try {
    metadata = JSON.parse(metadataJson);
  } catch {
    return null;
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    return null;
  }
  const { permissions, claims } = metadata as Record<string, unknown>;
  let grants = '';
  if (permissions !== undefined) {
    if (permissions === null || typeof permissions !== 'object' || Array.isArray(permissions)) {
      return null;
    }
    const kept: Record<string, string[]> = {};
    for (const [key, names] of Object.entries(permissions)) {
      if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
        return null;
      }
      // Today's ids never hold one, so no check can name such a resource: it is left behind.
      if (!LONE_SURROGATE.test(key)) {
        kept[key] = names;
      }
    }
    grants = JSON.stringify(kept);
  }
  let claimsField = '';
  if (claims !== undefined) {
    try {
      const normalized = JSON.stringify(normalizeClaims('metadata.claims', claims));
      // Moved only when the field says exactly what the metadata says; otherwise the metadata
      // keeps answering until a change replaces the claims.
      claimsField = normalized === JSON.stringify(claims) ? normalized : '';
    } catch {
      claimsField = '';
    }
  }
  return { grants, claims: claimsField };
}

type UpdateReply = [number, unknown?];

export interface RedisSessionStoreOptions {
  sessionTtl: number;
  /** Absolute lifetime of a session in seconds. Default `DEFAULT_SESSION_MAX_LIFETIME`. */
  sessionMaxLifetime?: number;
  /** Most sessions in the in-process cache; 0 turns it off. */
  sessionCacheSize: number;
  /** Seconds a session stays in the in-process cache at most. */
  sessionCacheTtl: number;
}

/**
 * Sessions in Redis, each a hash under the SHA-256 of its id, with a pruned index per user and the
 * role table in one hash. `getSession` is served from an in-process cache (`RedisSessionCache`)
 * while that cache's invalidation channel is up, else it is one round trip, like
 * `checkPermission` and every change (one script each). Resource grants and claims are kept in
 * fields of their own beside the metadata as it was created (see `SESSION_CHANGE` in
 * redis-scripts.ts) and put back into `metadata` on every read.
 */
export class RedisSessionStore extends SessionStore {
  private readonly lifetimes: SessionLifetimes;
  private readonly cache: RedisSessionCache | undefined;
  private readonly corruption = new CorruptSessionLog('RedisSessionStore');

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
    options: RedisSessionStoreOptions,
  ) {
    super();
    this.lifetimes = resolveSessionLifetimes(options);
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
    const session = prepareSession(input, this.lifetimes);
    const key = sessionKeyOf(session.sessionId);
    const ttlMs = session.expiresAt - session.createdAt;
    const { permissions, claims } = session.metadata;
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
          permissions === undefined ? '' : JSON.stringify(permissions),
          claims === undefined ? '' : JSON.stringify(claims),
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
    const session = this.toSession(key, fields);
    if (session) {
      this.cache?.store(sessionId, key, session, ticket);
    }
    return session;
  }

  async validateSession(sessionId: string): Promise<boolean> {
    assertId('sessionId', sessionId);
    // Always asks Redis (never the cache), and a record that is not a session is no session.
    const key = sessionKeyOf(sessionId);
    const fields = await this.redis.run((client) => client.hgetall(this.keys.session(key)));
    return isPresent(fields) && this.toSession(key, fields) !== null;
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
          ttlToMs(this.lifetimes.sessionMaxLifetime),
        ),
      );
      return Number(refreshed) === 1;
    } finally {
      this.cache?.invalidate([key]);
    }
  }

  async updateSession(sessionId: string, change: SessionChange): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    const normalized = normalizeSessionChange(change);
    const key = sessionKeyOf(sessionId);
    const args = changeArguments(normalized);
    let settled = false;
    try {
      // A session written by an older version is migrated once, then changed: two tries at most.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const ticket = this.cache?.begin() ?? null;
        const [status, payload] = (await this.redis.run((client) =>
          client.livegateSessionUpdate(
            this.keys.session(key),
            key,
            this.keys.sessionInvalidations,
            MAX_GRANT_BYTES,
            ...args,
          ),
        )) as UpdateReply;
        if (status === 1) {
          const session = this.toSession(key, fieldsToRecord(payload));
          settled = true;
          this.cache?.settle(
            ticket,
            session ? [] : [key],
            session ? [{ sessionId, key, session }] : [],
          );
          return session;
        }
        if (status === -3) {
          throw grantsTooLargeError();
        }
        if (status === -1) {
          this.corruption.report(key, 'its fields cannot be changed');
        }
        if (status !== -2) {
          return null;
        }
        if (!(await this.migrate(key, payload))) {
          return null;
        }
      }
      throw new StateBackendUnavailableError(
        'A session written by an older version could not be moved to the current layout',
      );
    } finally {
      if (!settled) {
        this.cache?.invalidate([key]);
      }
    }
  }

  async updateUserSessions(userId: string, change: SessionChange): Promise<UserSession[]> {
    assertId('userId', userId);
    const normalized = normalizeSessionChange(change);
    const args = changeArguments(normalized);
    let settled = false;
    try {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const ticket = this.cache?.begin() ?? null;
        const [status, payload] = (await this.redis.run((client) =>
          client.livegateSessionUpdateUser(
            this.keys.userSessions(userId),
            this.keys.session(''),
            this.keys.sessionInvalidations,
            MAX_GRANT_BYTES,
            ...args,
          ),
        )) as UpdateReply;
        if (status === 1) {
          const updated = this.readList(payload);
          settled = true;
          this.cache?.settle(ticket, [], updated);
          return updated.map((entry) => entry.session);
        }
        if (status === -3) {
          throw grantsTooLargeError();
        }
        const legacy = (payload as unknown[]).map(String);
        for (let index = 0; index + 1 < legacy.length; index += 2) {
          await this.migrate(legacy[index], legacy[index + 1]);
        }
      }
      throw new StateBackendUnavailableError(
        'Sessions written by an older version could not be moved to the current layout',
      );
    } finally {
      if (!settled) {
        // The changed keys are unknown: forget every cached session of the user.
        this.cache?.invalidateUser(userId);
      }
    }
  }

  async rotateSession(sessionId: string): Promise<UserSession | null> {
    assertId('sessionId', sessionId);
    const key = sessionKeyOf(sessionId);
    const rotatedId = generateSessionId();
    const rotatedKey = sessionKeyOf(rotatedId);
    const ticket = this.cache?.begin() ?? null;
    let rotated: UserSession | null = null;
    try {
      const reply = await this.redis.run((client) =>
        client.livegateSessionRotate(
          this.keys.session(key),
          this.keys.session(rotatedKey),
          key,
          rotatedKey,
          rotatedId,
          this.keys.prefix,
          this.keys.sessionInvalidations,
        ),
      );
      if (reply === -1) {
        throw new StateConflictError('A live session with the new id already exists');
      }
      if (reply === -2) {
        this.corruption.report(key, 'its fields cannot be changed');
        return null;
      }
      if (!Array.isArray(reply)) {
        return null;
      }
      rotated = this.toSession(rotatedKey, fieldsToRecord(reply));
      return rotated;
    } finally {
      // Also when the call failed: it may have reached Redis.
      this.cache?.settle(
        ticket,
        [key],
        rotated ? [{ sessionId: rotatedId, key: rotatedKey, session: rotated }] : [],
      );
    }
  }

  async listUserSessions(userId: string): Promise<UserSession[]> {
    assertId('userId', userId);
    const reply = await this.redis.run((client) =>
      client.livegateSessionList(this.keys.userSessions(userId), this.keys.session('')),
    );
    return this.readList(reply).map((entry) => entry.session);
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
    const key = sessionKeyOf(sessionId);
    const reply = (await this.redis.run((client) =>
      client.livegateSessionPermissions(this.keys.session(key), this.keys.rolePermissions),
    )) as [unknown[], string[], (string | null)[]] | null;
    if (!reply) {
      return false;
    }
    const session = this.toSession(key, fieldsToRecord(reply[0]));
    if (!session) {
      return false;
    }
    const stored = new Map<string, string | null>(
      reply[1].map((role, index) => [String(role), reply[2][index] ?? null]),
    );
    // Roles the script could not see (role claims of a session written by an older version,
    // kept in metadata it does not decode) are read in a second round trip.
    const unseen = effectiveRoles(session).filter((role) => !stored.has(role));
    if (unseen.length > 0) {
      const values = await this.redis.run((client) =>
        client.hmget(this.keys.rolePermissions, ...unseen),
      );
      unseen.forEach((role, index) => stored.set(role, values[index]));
    }
    return sessionAllows(
      session,
      (role) => (stored.has(role) ? rolePermissionsOf(role, stored.get(role)) : []),
      resourceType,
      resourceId,
      permission,
    );
  }

  /**
   * The session of a hash's fields, with `metadata.permissions` and `metadata.claims` put back
   * from their own fields; `null` (reported once) for a record that is not a session.
   */
  private toSession(key: string, fields: Record<string, string>): UserSession | null {
    return this.corruption.read(key, {
      sessionId: fields.id,
      userId: fields.user,
      roles: fields.roles,
      metadata: fields.metadata,
      createdAt: fields.createdAt,
      expiresAt: fields.expiresAt,
      ttl: fields.ttl,
      version: fields.version,
      permissions: fields.grants,
      claims: fields.claims,
    });
  }

  /** `[[key, fields], ...]` from a script, as readable sessions, oldest first. */
  private readList(reply: unknown): { sessionId: string; key: string; session: UserSession }[] {
    const entries: { sessionId: string; key: string; session: UserSession }[] = [];
    for (const item of Array.isArray(reply) ? (reply as unknown[][]) : []) {
      const key = String(item[0]);
      const session = this.toSession(key, fieldsToRecord(item[1]));
      if (session) {
        entries.push({ sessionId: session.sessionId, key, session });
      }
    }
    return entries.sort((a, b) => a.session.createdAt - b.session.createdAt);
  }

  /**
   * Moves a session written by an older version (grants and claims in its metadata only) to the
   * current layout; `false` when its metadata cannot be read (reported: it is no session, and is
   * moved all the same, so that later changes of its user's sessions pass it by).
   */
  private async migrate(key: string, metadataJson: unknown): Promise<boolean> {
    const fields = migrationFields(String(metadataJson));
    if (!fields) {
      this.corruption.report(key, 'metadata is not a JSON object of grants and claims');
    }
    await this.redis.run((client) =>
      client.livegateSessionMigrate(
        this.keys.session(key),
        fields?.grants ?? '',
        fields?.claims ?? '',
      ),
    );
    return fields !== null;
  }
}
