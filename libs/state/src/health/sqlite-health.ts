import type { SqliteDatabase } from '../backends/sqlite/sqlite-database';
import type { StateBackendHealth } from '../backends/state-backend-health';
import { StateError } from '../state.errors';

/**
 * The readiness of a SQLite state database: a trivial read through the backend's own connection,
 * so a closed connection, a lock that does not clear or a failing file reports down.
 */
export function sqliteDatabaseHealth(database: SqliteDatabase): StateBackendHealth {
  try {
    database.read(() => database.connection.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get());
    return { status: 'up' };
  } catch (error) {
    return {
      status: 'down',
      // State errors say what happened without the driver's words; anything else is a bug.
      message: error instanceof StateError ? error.message : 'The SQLite state database failed',
    };
  }
}
