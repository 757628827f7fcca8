import { Logger } from '@nestjs/common';
import { sqliteDatabaseHealth } from '../../health/sqlite-health';
import type { ResolvedStateOptions } from '../../state.options';
import { MemoryConnectionRouter } from '../memory/memory-connection.router';
import { MemoryEventBus } from '../memory/memory-event.bus';
import type { StateBackend } from '../state-backend';
import { SqliteChatStore } from './sqlite-chat.store';
import { SqliteTransientStore } from './sqlite-transient.store';
import { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite-database';
import { createOsKeyring, type SqliteKeyring } from './sqlite-key';
import { SqliteSessionStore } from './sqlite-session.store';
import { SqliteWidgetStore } from './sqlite-widget.store';

export type SqliteBackendOptions = Pick<
  ResolvedStateOptions,
  'sqlitePath' | 'widgetTtl' | 'connectionTtl' | 'sessionTtl' | 'workerId' | 'sweepInterval'
> &
  Partial<Pick<ResolvedStateOptions, 'sqliteKey' | 'sqliteEncrypted' | 'sessionMaxLifetime'>> & {
    /** Where a generated key may be kept besides the key file. Default: the OS keyring. */
    keyring?: SqliteKeyring | null;
    /** Milliseconds to wait for another process's lock. Default 200. */
    busyTimeoutMs?: number;
  };

/** The SQLite backend, with the database its stores share. */
export interface SqliteStateBackend extends StateBackend {
  readonly database: SqliteDatabase;
}

const KEY_SOURCES = {
  option: 'the configured key',
  'key-file': 'the key file',
  keyring: 'the OS keyring',
  'new-key-file': 'a new key, saved in the key file',
  'new-keyring': 'a new key, saved in the OS keyring',
} as const;

/**
 * Widgets, sessions and chats in one SQLite file, encrypted with SQLCipher; events and connection
 * routing stay in this process (SQLite serves one machine). A periodic sweep deletes expired rows.
 */
export async function createSqliteBackend(
  options: SqliteBackendOptions,
): Promise<SqliteStateBackend> {
  const logger = new Logger('SqliteState');
  const databaseOptions: SqliteDatabaseOptions = {
    path: options.sqlitePath,
    encrypted: options.sqliteEncrypted ?? true,
    key: options.sqliteKey,
    keyring: options.keyring === undefined ? createOsKeyring() : options.keyring,
    busyTimeoutMs: options.busyTimeoutMs,
  };
  const database = SqliteDatabase.open(databaseOptions);
  if (database.encrypted) {
    logger.log(
      `SQLite state database ${database.path} (SQLCipher, key from ${KEY_SOURCES[database.keySource!]})`,
    );
  } else {
    logger.warn(
      `SQLite state database ${database.path} is NOT encrypted ` +
        `(LIVEGATE_DEPLOY__SQLITE_ENCRYPTED=false)`,
    );
  }

  let widgets: SqliteWidgetStore;
  let sessions: SqliteSessionStore;
  let chats: SqliteChatStore;
  let transient: SqliteTransientStore;
  try {
    widgets = new SqliteWidgetStore(database, options.widgetTtl);
    sessions = new SqliteSessionStore(database, {
      sessionTtl: options.sessionTtl,
      sessionMaxLifetime: options.sessionMaxLifetime,
    });
    chats = new SqliteChatStore(database);
    transient = new SqliteTransientStore(database);
  } catch (error) {
    database.close();
    throw error;
  }
  const connections = new MemoryConnectionRouter(options.connectionTtl);
  const events = new MemoryEventBus(options.workerId);

  // Reads already hide expired rows; the sweep only gives their space back.
  const sweeper = setInterval(() => {
    const now = Date.now();
    connections.sweep(now);
    try {
      widgets.sweep(now);
      sessions.sweep(now);
      transient.sweep(now);
    } catch (error) {
      // A busy or full database is retried at the next sweep.
      logger.warn(`Sweeping expired rows failed: ${(error as Error).message}`);
    }
  }, options.sweepInterval * 1000);
  sweeper.unref();

  return {
    name: 'sqlite',
    database,
    widgets,
    events,
    connections,
    sessions,
    chats,
    transient,
    health: async () => sqliteDatabaseHealth(database),
    async close() {
      clearInterval(sweeper);
      events.clear();
      database.close();
    },
  };
}
