import { EntitySchema } from 'typeorm';

/** A user row as the database holds it. */
export interface UserRow {
  id: string;
  username: string;
  usernameNormalized: string;
  displayName: string;
  passwordHash: string | null;
  disabled: boolean;
  /** JSON of the claims list. */
  claims: string;
  claimsVersion: number;
  /** Epoch milliseconds (a string from PostgreSQL's bigint). */
  createdAt: string | number;
  updatedAt: string | number;
}

export interface IdentityRow {
  issuer: string;
  subject: string;
  userId: string;
}

export const USERS_TABLE = 'livegate_users';
export const IDENTITIES_TABLE = 'livegate_user_identities';
/** The migrations table of the user store, apart from the app's own. */
export const USER_MIGRATIONS_TABLE = 'livegate_migrations';

export const UserEntity = new EntitySchema<UserRow>({
  name: 'LivegateUser',
  tableName: USERS_TABLE,
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    username: { type: 'varchar', length: 256 },
    usernameNormalized: { name: 'username_normalized', type: 'varchar', length: 256, unique: true },
    displayName: { name: 'display_name', type: 'varchar', length: 512 },
    passwordHash: { name: 'password_hash', type: 'varchar', length: 512, nullable: true },
    disabled: { type: 'boolean', default: false },
    claims: { type: 'text' },
    claimsVersion: { name: 'claims_version', type: 'integer', default: 0 },
    createdAt: { name: 'created_at', type: 'bigint' },
    updatedAt: { name: 'updated_at', type: 'bigint' },
  },
});

export const IdentityEntity = new EntitySchema<IdentityRow>({
  name: 'LivegateUserIdentity',
  tableName: IDENTITIES_TABLE,
  columns: {
    issuer: { type: 'varchar', length: 512, primary: true },
    subject: { type: 'varchar', length: 256, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
  },
  indices: [{ name: 'livegate_user_identities_user', columns: ['userId'] }],
});

/** The entities of the user store: add them to an app's own `DataSource`. */
export const USER_STORE_ENTITIES = [UserEntity, IdentityEntity];
