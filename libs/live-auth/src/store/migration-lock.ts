import { StateBackendUnavailableError } from '@livegate/state';
import type { DataSource } from 'typeorm';

/** The PostgreSQL advisory lock the user store's migrations run under. */
export const MIGRATION_LOCK_KEY = 'livegate:migrations';
/** How long a starting worker waits for another one's migrations, in ms. */
export const MIGRATION_LOCK_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the pending migrations once, however many workers start together. TypeORM has no lock of
 * its own: on PostgreSQL an advisory lock (held by one connection for the whole run) makes the
 * other workers wait, then find nothing left to do. SQLite takes its write lock per migration.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map(
      (migration) => migration.name,
    );
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
    for (;;) {
      const [row] = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        MIGRATION_LOCK_KEY,
      ])) as { locked: boolean }[];
      if (row?.locked) {
        break;
      }
      if (Date.now() > deadline) {
        throw new StateBackendUnavailableError(
          `Another process held the user store's migration lock for ${MIGRATION_LOCK_WAIT_MS / 1000} s`,
        );
      }
      await sleep(100);
    }
    try {
      return (await dataSource.runMigrations({ transaction: 'all' })).map(
        (migration) => migration.name,
      );
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
