import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { assertTtl, ttlToMs } from '../../common/validation';
import { TransientStore } from '../../transient/transient-store';
import {
  COUNT,
  assertTransientEntry,
  assertTransientKey,
  notACount,
} from '../../transient/transient.validation';
import type { SqliteDatabase } from './sqlite-database';

/**
 * Transient values in the `transient` table. Each call is one statement or one immediate
 * transaction, so `add`, `take` and `increment` hold across the processes sharing the file.
 */
export class SqliteTransientStore extends TransientStore {
  private readonly statements: {
    upsert: Statement;
    insertIfFree: Statement;
    get: Statement;
    takeReturning: Statement;
    remove: Statement;
    sweep: Statement;
  };

  constructor(private readonly database: SqliteDatabase) {
    super();
    const db = database.connection;
    this.statements = {
      upsert: db.prepare(
        `INSERT INTO transient (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      // Takes the key only when what it holds has expired.
      insertIfFree: db.prepare(
        `INSERT INTO transient (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE transient.expires_at <= ?`,
      ),
      get: db.prepare('SELECT value, expires_at FROM transient WHERE key = ? AND expires_at > ?'),
      takeReturning: db.prepare('DELETE FROM transient WHERE key = ? RETURNING value, expires_at'),
      remove: db.prepare('DELETE FROM transient WHERE key = ? RETURNING expires_at'),
      sweep: db.prepare('DELETE FROM transient WHERE expires_at <= ?'),
    };
  }

  async set(key: string, value: string, ttl: number): Promise<void> {
    assertTransientEntry(key, value, ttl);
    this.database.write(() => this.statements.upsert.run(key, value, Date.now() + ttlToMs(ttl)));
  }

  async add(key: string, value: string, ttl: number): Promise<boolean> {
    assertTransientEntry(key, value, ttl);
    const now = Date.now();
    return this.database.write(
      () => this.statements.insertIfFree.run(key, value, now + ttlToMs(ttl), now).changes === 1,
    );
  }

  async get(key: string): Promise<string | null> {
    assertTransientKey(key);
    const row = this.database.read(
      () => this.statements.get.get(key, Date.now()) as { value: string } | undefined,
    );
    return row?.value ?? null;
  }

  async take(key: string): Promise<string | null> {
    assertTransientKey(key);
    const now = Date.now();
    const row = this.database.write(
      () =>
        this.statements.takeReturning.get(key) as { value: string; expires_at: number } | undefined,
    );
    return row && row.expires_at > now ? row.value : null;
  }

  async delete(key: string): Promise<boolean> {
    assertTransientKey(key);
    const now = Date.now();
    const row = this.database.write(
      () => this.statements.remove.get(key) as { expires_at: number } | undefined,
    );
    return row !== undefined && row.expires_at > now;
  }

  async increment(key: string, ttl: number): Promise<number> {
    assertTransientKey(key);
    assertTtl('ttl', ttl);
    return this.database.write(() => {
      const now = Date.now();
      const row = this.statements.get.get(key, now) as
        { value: string; expires_at: number } | undefined;
      if (row && !COUNT.test(row.value)) {
        throw notACount();
      }
      const count = row ? Number(row.value) + 1 : 1;
      this.statements.upsert.run(key, String(count), row?.expires_at ?? now + ttlToMs(ttl));
      return count;
    });
  }

  sweep(now = Date.now()): void {
    this.statements.sweep.run(now);
  }
}
