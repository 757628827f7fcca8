import {
  createOsKeyring,
  SqliteDatabase,
  StateConfigurationError,
  type SqliteKeyring,
  type SqliteNames,
} from '@livegate/state';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { LIVE_AUTH_ENV_PREFIX, type LiveAuthSettings } from '../live-auth.config';
import type { UserStore } from '../users/user-store';
import { USER_STORE_MIGRATIONS } from './migrations';
import { runMigrationsLocked } from './migration-lock';
import { toStoreError } from './store-errors';
import { TypeOrmUserStore } from './typeorm-user.store';
import { USER_MIGRATIONS_TABLE, USER_STORE_ENTITIES, USERS_TABLE } from './user-tables';

/** How the user store's SQLite errors name it and its settings. */
export const USER_STORE_SQLITE_NAMES: SqliteNames = {
  database: 'SQLite user store',
  path: `${LIVE_AUTH_ENV_PREFIX}SQLITE_PATH (the sqlitePath option)`,
  key: `${LIVE_AUTH_ENV_PREFIX}SQLITE_KEY`,
  encrypted: `${LIVE_AUTH_ENV_PREFIX}SQLITE_ENCRYPTED`,
};

export interface UserStoreOptions extends Pick<
  LiveAuthSettings,
  'userStore' | 'sqlitePath' | 'sqliteKey' | 'sqliteEncrypted' | 'databaseUrl'
> {
  /**
   * The app's own `DataSource`, with `USER_STORE_ENTITIES` and `USER_STORE_MIGRATIONS` added and
   * its migrations run by the app. The store checks its tables and never closes it.
   */
  dataSource?: DataSource;
  /** Where a generated SQLite key may be kept besides the key file. Default: the OS keyring. */
  keyring?: SqliteKeyring | null;
}

const DATA_SOURCE_NAME = 'livegate-users';

/**
 * Opens the user store the settings name and brings its schema up to date: an encrypted SQLite
 * file (opened by the state backend's rules: a wrong or missing key stops the boot and leaves the
 * file unchanged, a new key only for a new file), PostgreSQL from a URL (migrations under an
 * advisory lock, so several workers may start together), or the app's `DataSource`.
 */
export async function createUserStore(options: UserStoreOptions): Promise<UserStore> {
  if (options.dataSource) {
    return adoptDataSource(options.dataSource);
  }
  const common = {
    name: DATA_SOURCE_NAME,
    entities: USER_STORE_ENTITIES,
    migrations: USER_STORE_MIGRATIONS,
    migrationsTableName: USER_MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  } as const;
  let dataSourceOptions: DataSourceOptions;
  if (options.userStore === 'postgres') {
    if (!options.databaseUrl) {
      throw new StateConfigurationError(
        `${LIVE_AUTH_ENV_PREFIX}DATABASE_URL is required with ${LIVE_AUTH_ENV_PREFIX}USER_STORE=postgres`,
      );
    }
    dataSourceOptions = {
      ...common,
      type: 'postgres',
      url: options.databaseUrl,
      connectTimeoutMS: 5000,
      extra: { max: 10, connectionTimeoutMillis: 5000, query_timeout: 10_000 },
    };
  } else {
    const database = SqliteDatabase.open({
      path: options.sqlitePath,
      key: options.sqliteKey,
      encrypted: options.sqliteEncrypted,
      keyring: options.keyring === undefined ? createOsKeyring() : options.keyring,
      names: USER_STORE_SQLITE_NAMES,
      migrate: null,
    });
    // TypeORM takes the connection opened (and keyed, and checked) above instead of its own.
    function OpenedConnection() {
      return database.connection;
    }
    dataSourceOptions = {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      driver: OpenedConnection,
    };
  }
  const dataSource = new DataSource(dataSourceOptions);
  try {
    await dataSource.initialize();
    await runMigrationsLocked(dataSource);
  } catch (error) {
    if (dataSource.isInitialized) {
      await dataSource.destroy().catch(() => undefined);
    }
    throw error instanceof StateConfigurationError
      ? error
      : new StateConfigurationError(
          `The ${options.userStore} user store cannot be opened: ${toStoreError(error).message}`,
          { cause: error },
        );
  }
  return new TypeOrmUserStore(options.userStore, dataSource, true);
}

async function adoptDataSource(dataSource: DataSource): Promise<UserStore> {
  if (!dataSource.isInitialized) {
    await dataSource.initialize();
  }
  const missing = USER_STORE_ENTITIES.filter((entity) => !dataSource.hasMetadata(entity));
  if (missing.length > 0) {
    throw new StateConfigurationError(
      'The DataSource given to the user store lacks its entities: add USER_STORE_ENTITIES (and USER_STORE_MIGRATIONS) to it',
    );
  }
  try {
    await dataSource.query(`SELECT count(*) FROM ${USERS_TABLE} WHERE 1 = 0`);
  } catch (error) {
    throw new StateConfigurationError(
      `The user store's tables are missing from the DataSource given to it: run USER_STORE_MIGRATIONS (${toStoreError(error).message})`,
      { cause: error },
    );
  }
  return new TypeOrmUserStore(String(dataSource.options.type), dataSource, false);
}
