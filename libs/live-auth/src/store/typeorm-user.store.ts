import { randomUUID } from 'node:crypto';
import type { Claim } from '@livegate/auth';
import { StateNotFoundError, StateValidationError } from '@livegate/state';
import type { DataSource, EntityManager } from 'typeorm';
import { normalizeClaims } from '../users/claims';
import { assertUserId, displayNameOf, identityOf, passwordHashOf } from '../users/user-fields';
import type { NewUser, ProviderIdentity, UserRecord } from '../users/user-record';
import { UserStore, type UserPage } from '../users/user-store';
import { parseUsername } from '../users/username';
import { toStoreError } from './store-errors';
import {
  IDENTITIES_TABLE,
  IdentityEntity,
  USERS_TABLE,
  UserEntity,
  type IdentityRow,
  type UserRow,
} from './user-tables';

/** A user row joined with one of its identities, as the database names the columns. */
interface JoinedRow {
  id: string;
  username: string;
  username_normalized: string;
  display_name: string;
  password_hash: string | null;
  disabled: boolean | number;
  claims: string;
  claims_version: number;
  created_at: string | number;
  updated_at: string | number;
  issuer: string | null;
  subject: string | null;
}

const MAX_PAGE = 500;
/** How often a claims change is tried again when another one won the race. */
const CLAIMS_ATTEMPTS = 20;

/**
 * The user store on a TypeORM `DataSource`: an encrypted SQLite file, PostgreSQL, or the app's
 * own. Every change is one transaction; claims changes are compare-and-set on `claimsVersion`,
 * so concurrent ones (from other workers too) never overwrite each other.
 */
export class TypeOrmUserStore extends UserStore {
  private sqliteWrites: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly dataSource: DataSource,
    private readonly owned: boolean,
  ) {
    super();
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    const username = parseUsername(user.username);
    const displayName =
      user.displayName === undefined ? username.display : displayNameOf(user.displayName);
    const passwordHash = passwordHashOf(user.passwordHash);
    const claims = normalizeClaims(user.claims ?? []);
    const identity = user.identity === undefined ? undefined : identityOf(user.identity);
    const now = Date.now();
    const row: UserRow = {
      id: randomUUID(),
      username: username.display,
      usernameNormalized: username.normalized,
      displayName,
      passwordHash,
      disabled: false,
      claims: JSON.stringify(claims),
      claimsVersion: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.transaction(async (manager) => {
        await manager.insert(UserEntity, row);
        if (identity) {
          await manager.insert(IdentityEntity, { ...identity, userId: row.id });
        }
      });
    } catch (error) {
      throw toStoreError(
        error,
        identity ? 'The username or the identity is taken' : 'The username is taken',
      );
    }
    return (await this.findById(row.id))!;
  }

  async findById(id: string): Promise<UserRecord | null> {
    assertUserId('userId', id);
    return this.selectOne('u.id', id);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const { normalized } = parseUsername(username);
    // Every sign-in starts here: one plain query (the row and its identities), not two built ones.
    return this.selectOne('u.username_normalized', normalized);
  }

  async findByIdentity(identity: ProviderIdentity): Promise<UserRecord | null> {
    const { issuer, subject } = identityOf(identity);
    return this.read(async (manager) => {
      const link = await manager.findOneBy(IdentityEntity, { issuer, subject });
      return link ? this.load(manager, { id: link.userId }) : null;
    });
  }

  async linkIdentity(userId: string, identity: ProviderIdentity): Promise<UserRecord> {
    assertUserId('userId', userId);
    const link = identityOf(identity);
    try {
      await this.transaction(async (manager) => {
        await this.required(manager, userId);
        const existing = await manager.findOneBy(IdentityEntity, link);
        if (existing?.userId === userId) {
          return;
        }
        await manager.insert(IdentityEntity, { ...link, userId });
        await manager.update(UserEntity, { id: userId }, { updatedAt: Date.now() });
      });
    } catch (error) {
      throw toStoreError(error, 'The identity belongs to another user');
    }
    return (await this.findById(userId))!;
  }

  async setPasswordHash(userId: string, passwordHash: string | null): Promise<UserRecord> {
    return this.change(userId, { passwordHash: passwordHashOf(passwordHash) });
  }

  async setDisabled(userId: string, disabled: boolean): Promise<UserRecord> {
    if (typeof disabled !== 'boolean') {
      throw new StateValidationError('disabled', 'must be true or false');
    }
    return this.change(userId, { disabled });
  }

  async setDisplayName(userId: string, displayName: string): Promise<UserRecord> {
    return this.change(userId, { displayName: displayNameOf(displayName) });
  }

  async updateClaims(
    userId: string,
    change: (claims: readonly Claim[]) => readonly Claim[],
  ): Promise<UserRecord> {
    assertUserId('userId', userId);
    for (let attempt = 0; attempt < CLAIMS_ATTEMPTS; attempt += 1) {
      const current = await this.findById(userId);
      if (!current) {
        throw new StateNotFoundError('No such user');
      }
      const claims = normalizeClaims(change(current.claims));
      const updatedAt = Date.now();
      // One compare-and-set statement, atomic by itself: no transaction around it, and no read
      // afterwards (a claims change touches nothing else of the row).
      const changed = await this.compareAndSetClaims(
        userId,
        current.claimsVersion,
        JSON.stringify(claims),
        updatedAt,
      );
      if (changed) {
        return {
          ...current,
          claims,
          claimsVersion: current.claimsVersion + 1,
          updatedAt: new Date(updatedAt),
        };
      }
    }
    throw toStoreError(new Error('claims contention'), 'Too many concurrent claims changes');
  }

  async listUsers(options: { limit?: number; after?: string } = {}): Promise<UserPage> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new StateValidationError('limit', `must be an integer from 1 to ${MAX_PAGE}`);
    }
    if (options.after !== undefined) {
      assertUserId('after', options.after);
    }
    return this.read(async (manager) => {
      const query = manager
        .createQueryBuilder(UserEntity, 'user')
        .orderBy('user.id', 'ASC')
        .take(limit + 1);
      if (options.after !== undefined) {
        query.where('user.id > :after', { after: options.after });
      }
      const rows = await query.getMany();
      const page = rows.slice(0, limit);
      const identities = await this.identitiesOf(
        manager,
        page.map((row) => row.id),
      );
      return {
        users: page.map((row) => this.record(row, identities.get(row.id) ?? [])),
        next: rows.length > limit ? page[page.length - 1].id : null,
      };
    });
  }

  async deleteUser(userId: string): Promise<boolean> {
    assertUserId('userId', userId);
    const result = await this.write(async (manager) => {
      await manager.delete(IdentityEntity, { userId });
      return manager.delete(UserEntity, { id: userId });
    });
    return result.affected === 1;
  }

  async close(): Promise<void> {
    if (this.owned && this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }

  private async change(userId: string, values: Partial<UserRow>): Promise<UserRecord> {
    assertUserId('userId', userId);
    const result = await this.write((manager) =>
      manager.update(UserEntity, { id: userId }, { ...values, updatedAt: Date.now() }),
    );
    if (result.affected !== 1) {
      throw new StateNotFoundError('No such user');
    }
    return (await this.findById(userId))!;
  }

  private async required(manager: EntityManager, userId: string): Promise<void> {
    if (!(await manager.existsBy(UserEntity, { id: userId }))) {
      throw new StateNotFoundError('No such user');
    }
  }

  private async load(
    manager: EntityManager,
    where: { id: string } | { usernameNormalized: string },
  ): Promise<UserRecord | null> {
    const row = await manager.findOneBy(UserEntity, where);
    if (!row) {
      return null;
    }
    const identities = await this.identitiesOf(manager, [row.id]);
    return this.record(row, identities.get(row.id) ?? []);
  }

  private async identitiesOf(
    manager: EntityManager,
    userIds: string[],
  ): Promise<Map<string, ProviderIdentity[]>> {
    const byUser = new Map<string, ProviderIdentity[]>();
    if (userIds.length === 0) {
      return byUser;
    }
    const rows: IdentityRow[] = await manager
      .createQueryBuilder(IdentityEntity, 'identity')
      .where('identity.user_id IN (:...userIds)', { userIds })
      .orderBy('identity.issuer', 'ASC')
      .addOrderBy('identity.subject', 'ASC')
      .getMany();
    for (const row of rows) {
      const list = byUser.get(row.userId) ?? [];
      list.push({ issuer: row.issuer, subject: row.subject });
      byUser.set(row.userId, list);
    }
    return byUser;
  }

  private record(row: UserRow, identities: ProviderIdentity[]): UserRecord {
    return {
      id: row.id,
      username: row.username,
      displayName: row.displayName,
      passwordHash: row.passwordHash,
      disabled: Boolean(row.disabled),
      claims: JSON.parse(row.claims) as Claim[],
      claimsVersion: Number(row.claimsVersion),
      identities,
      createdAt: new Date(Number(row.createdAt)),
      updatedAt: new Date(Number(row.updatedAt)),
    };
  }

  private async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await work(this.dataSource.manager);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** A user by one column, with its identities, in one plain query. */
  private async selectOne(column: string, value: string): Promise<UserRecord | null> {
    const placeholder = this.dataSource.options.type === 'postgres' ? '$1' : '?';
    const rows = await this.read(
      (manager) =>
        manager.query(
          `SELECT u.id, u.username, u.username_normalized, u.display_name, u.password_hash,
                  u.disabled, u.claims, u.claims_version, u.created_at, u.updated_at,
                  i.issuer, i.subject
             FROM ${USERS_TABLE} u LEFT JOIN ${IDENTITIES_TABLE} i ON i.user_id = u.id
            WHERE ${column} = ${placeholder}
            ORDER BY i.issuer, i.subject`,
          [value],
        ) as Promise<JoinedRow[]>,
    );
    if (rows.length === 0) {
      return null;
    }
    const [first] = rows;
    return this.record(
      {
        id: first.id,
        username: first.username,
        usernameNormalized: first.username_normalized,
        displayName: first.display_name,
        passwordHash: first.password_hash,
        disabled: Boolean(first.disabled),
        claims: first.claims,
        claimsVersion: first.claims_version,
        createdAt: first.created_at,
        updatedAt: first.updated_at,
      },
      rows
        .filter((row) => row.issuer !== null && row.subject !== null)
        .map((row) => ({ issuer: row.issuer!, subject: row.subject! })),
    );
  }

  /**
   * Sets the claims when the row still has `version`: on PostgreSQL one plain statement (no
   * BEGIN and COMMIT round trips, no query building); on SQLite queued with the other writes of
   * its one connection.
   */
  private async compareAndSetClaims(
    userId: string,
    version: number,
    claims: string,
    updatedAt: number,
  ): Promise<boolean> {
    if (this.dataSource.options.type === 'postgres') {
      const [, count] = (await this.read((manager) =>
        manager.query(
          `UPDATE ${USERS_TABLE} SET claims = $1, claims_version = $2, updated_at = $3
            WHERE id = $4 AND claims_version = $5`,
          [claims, version + 1, updatedAt, userId, version],
        ),
      )) as [unknown, number];
      return count === 1;
    }
    const result = await this.write((manager) =>
      manager
        .createQueryBuilder()
        .update(UserEntity)
        .set({ claims, claimsVersion: version + 1, updatedAt })
        .where('id = :id AND claims_version = :version', { id: userId, version })
        .execute(),
    );
    return result.affected === 1;
  }

  private async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.transaction(work);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * One transaction. SQLite has one connection, on which transactions cannot interleave: they
   * run one after the other (other processes wait for SQLite's own write lock).
   */
  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'better-sqlite3') {
      return this.dataSource.transaction(work);
    }
    const run = this.sqliteWrites.then(() => this.dataSource.transaction(work));
    this.sqliteWrites = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
