import { join } from 'node:path';
import type { StateBackendName, StateModuleOptions } from '@livegate/state';

/** Where benchmark processes keep their state: one Redis for all, a SQLite file each. */
export interface BenchStateConfig {
  redisUrl: string;
  sqliteDirectory: string;
}

/** A raw SQLCipher key: the benchmark measures the store, not key derivation at open. */
const SQLITE_KEY = `x'${'5a'.repeat(32)}'`;

/**
 * State options of one benchmark process. `name` keeps processes apart: its own Redis prefix
 * and its own SQLite file.
 */
export function benchStateOptions(
  name: string,
  backend: StateBackendName,
  config: BenchStateConfig,
  noSessionCache = false,
): StateModuleOptions {
  return {
    backend,
    redisUrl: config.redisUrl,
    redisPrefix: `bench-${name}`,
    sqlitePath: join(config.sqliteDirectory, `${name}.db`),
    sqliteKey: SQLITE_KEY,
    ...(noSessionCache ? { sessionCacheSize: 0 } : {}),
  };
}
