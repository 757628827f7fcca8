import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import {
  createSqliteBackend,
  type SqliteBackendOptions,
  type SqliteStateBackend,
} from './sqlite.backend';

/** A raw 256-bit SQLCipher key in SQLCipher's notation (no key derivation: fast to open). */
export function randomRawKey(): string {
  return `x'${randomBytes(32).toString('hex')}'`;
}

/** SHA-256 of a file's bytes, or `null` when there is no such file. */
export function fileHash(path: string): string | null {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : null;
}

/** The database file and its WAL companions. */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/** Keeps the backend's one-line boot message out of the test output. */
export function quietBootLog(): void {
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
}

/**
 * A fresh temporary directory for each test of the enclosing `describe`, removed afterwards with
 * every backend opened through `open` (closed first).
 */
export function useSqliteSandbox(): {
  directory: () => string;
  path: (name?: string) => string;
  open: (options?: Partial<SqliteBackendOptions>) => Promise<SqliteStateBackend>;
} {
  let directory: string | undefined;
  const opened: SqliteStateBackend[] = [];
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'livegate-sqlite-'));
    quietBootLog();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((backend) => backend.close()));
    if (directory) {
      rmSync(directory, { recursive: true, force: true });
    }
    directory = undefined;
  });
  const current = () => {
    if (!directory) {
      throw new Error('The SQLite sandbox is only available inside a test');
    }
    return directory;
  };
  const path = (name = 'state.db') => join(current(), name);
  return {
    directory: current,
    path,
    open: async (options = {}) => {
      const backend = await createSqliteBackend({
        sqlitePath: path(),
        keyring: null,
        widgetTtl: 120,
        connectionTtl: 90,
        sessionTtl: 600,
        workerId: 'sqlite-test',
        sweepInterval: 60,
        ...options,
      });
      opened.push(backend);
      return backend;
    },
  };
}
