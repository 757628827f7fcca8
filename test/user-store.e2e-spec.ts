import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { StateConfigurationError } from '@livegate/state';
import {
  LiveAuthModule,
  USER_STORE_ENTITIES,
  USER_STORE_MIGRATIONS,
  UserStore,
  createUserStore,
} from '@livegate/live-auth';
import { PostgresTestDatabase } from '@livegate/live-auth/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { TS_SCRIPT_ENV, tsScriptArgs } from './support/worker-process';

const ROOT = join(__dirname, '..');

async function migrationsIn(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>('SELECT name FROM livegate_migrations');
    return result.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('the user store on an encrypted SQLite file', () => {
  let folder: string;
  let path: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-users-'));
    path = join(folder, 'users.db');
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const open = (options: { sqliteKey?: string; sqliteEncrypted?: boolean } = {}) =>
    createUserStore({
      userStore: 'sqlite',
      sqlitePath: path,
      sqliteEncrypted: options.sqliteEncrypted ?? true,
      sqliteKey: options.sqliteKey,
      keyring: null,
    });

  it('is encrypted at rest: no username or hash in the file', async () => {
    const store = await open({ sqliteKey: 'user-store-key' });
    await store.createUser({ username: 'findable-alice', displayName: 'Findable Alice' });
    await store.close();
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000');
    expect(bytes.includes(Buffer.from('findable-alice'))).toBe(false);
  });

  it('refuses a wrong key and a missing key, naming its own variables, leaving the file unchanged', async () => {
    const store = await open({ sqliteKey: 'right-key' });
    await store.createUser({ username: 'alice' });
    await store.close();
    const before = readFileSync(path);

    await expect(open({ sqliteKey: 'wrong-key' })).rejects.toThrow(StateConfigurationError);
    await expect(open({ sqliteKey: 'wrong-key' })).rejects.toThrow(
      /The SQLite user store .* the key does not match .*LIVEGATE_LIVE_AUTH__SQLITE_KEY/,
    );
    // No key anywhere (no key file: the key was given explicitly) and a file: no new key.
    await expect(open()).rejects.toThrow(
      /exists but no key for it was found: set LIVEGATE_LIVE_AUTH__SQLITE_KEY/,
    );
    await expect(open({ sqliteEncrypted: false })).rejects.toThrow(
      /SQLite user store .* is encrypted .*LIVEGATE_LIVE_AUTH__SQLITE_ENCRYPTED=false/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);

    const again = await open({ sqliteKey: 'right-key' });
    expect(await again.findByUsername('alice')).not.toBeNull();
    await again.close();
  });

  it('makes a key file for a new file, and opens the file with it afterwards', async () => {
    const store = await open();
    await store.createUser({ username: 'alice' });
    await store.close();
    expect(readFileSync(`${path}.key`, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const again = await open();
    expect(await again.findByUsername('alice')).not.toBeNull();
    await again.close();
  });

  it('refuses a file that is not a database, leaving it as it was', async () => {
    writeFileSync(path, 'not a database at all, but a file someone put here');
    writeFileSync(`${path}.key`, `${'a'.repeat(64)}\n`, { mode: 0o600 });
    await expect(open()).rejects.toThrow(StateConfigurationError);
    expect(readFileSync(path, 'utf8')).toBe('not a database at all, but a file someone put here');
  });
});

describe('the user store on PostgreSQL', () => {
  let database: PostgresTestDatabase;

  beforeEach(async () => {
    database = await PostgresTestDatabase.create();
  });

  afterEach(async () => {
    await database?.drop();
  });

  it('comes up in every one of 4 worker processes started at once, migrations run once', async () => {
    const workers = Array.from({ length: 4 }, (_, index) =>
      spawn(process.execPath, tsScriptArgs('test/support/user-store-migrate.main.ts'), {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...TS_SCRIPT_ENV,
          DATABASE_URL: database.url,
          WORKER: String(index),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const outputs = workers.map(
      (child) =>
        new Promise<string>((resolve, reject) => {
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`a worker did not finish within 60 s: ${stderr}`));
          }, 60_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve(stdout.trim());
          });
        }),
    );
    // Every worker is loaded before any starts: then all of them migrate at once.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    for (const child of workers) {
      child.stdin.write('GO\n');
    }
    const results = (await Promise.all(outputs)).map(
      (line) => JSON.parse(line) as { ok: boolean; error?: string },
    );
    expect(results).toEqual(Array.from({ length: 4 }, () => expect.objectContaining({ ok: true })));
    expect(await migrationsIn(database.url)).toEqual(['LivegateCreateUsers1764806400000']);
  }, 90_000);

  it('migrates once when 4 stores open one new database at the same moment (the advisory lock)', async () => {
    // In one process the four are truly simultaneous; without the lock three of them fail.
    const opened = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        createUserStore({
          userStore: 'postgres',
          databaseUrl: database.url,
          sqlitePath: '',
          sqliteEncrypted: true,
        }),
      ),
    );
    expect(opened.map((result) => result.status)).toEqual(Array(4).fill('fulfilled'));
    for (const result of opened) {
      await (result as PromiseFulfilledResult<UserStore>).value.close();
    }
    expect(await migrationsIn(database.url)).toEqual(['LivegateCreateUsers1764806400000']);
  });

  it('runs on the app’s own DataSource with the shipped entities and migrations, and never closes it', async () => {
    const dataSource = new DataSource({
      type: 'postgres',
      url: database.url,
      entities: [...USER_STORE_ENTITIES],
      migrations: [...USER_STORE_MIGRATIONS],
      migrationsTableName: 'app_migrations',
    });
    await dataSource.initialize();
    try {
      await expect(createUserStore({ userStore: 'postgres', dataSource } as never)).rejects.toThrow(
        /tables are missing .* run USER_STORE_MIGRATIONS/,
      );
      await dataSource.runMigrations();
      const store = await createUserStore({ userStore: 'postgres', dataSource } as never);
      await store.createUser({ username: 'alice' });
      await store.close();
      expect(dataSource.isInitialized).toBe(true);
      expect(await dataSource.query('SELECT count(*)::int AS n FROM livegate_users')).toEqual([
        { n: 1 },
      ]);
    } finally {
      await dataSource.destroy();
    }
    const bare = new DataSource({ type: 'postgres', url: database.url });
    await bare.initialize();
    try {
      await expect(
        createUserStore({ userStore: 'postgres', dataSource: bare } as never),
      ).rejects.toThrow(/lacks its entities: add USER_STORE_ENTITIES/);
    } finally {
      await bare.destroy();
    }
  });

  it('is what LiveAuthModule provides, from LIVEGATE_LIVE_AUTH__ alone, closed with the app', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      LIVEGATE_LIVE_AUTH__USER_STORE: 'postgres',
      LIVEGATE_LIVE_AUTH__DATABASE_URL: database.url,
    });
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [LiveAuthModule.forRoot()],
      }).compile();
      const app = await moduleRef.init();
      const store = app.get(UserStore);
      expect(store.name).toBe('postgres');
      await store.createUser({ username: 'alice' });
      await app.close();
      await expect(store.findByUsername('alice')).rejects.toThrow();
    } finally {
      process.env = saved;
    }
  });

  it('stops the boot with a clear error for settings that cannot work', async () => {
    await expect(
      Test.createTestingModule({
        imports: [LiveAuthModule.forRoot({ userStore: 'postgres' })],
      }).compile(),
    ).rejects.toThrow(/LIVEGATE_LIVE_AUTH__DATABASE_URL is required/);
    await expect(
      createUserStore({
        userStore: 'postgres',
        databaseUrl: 'postgres://postgres@127.0.0.1:1/none',
        sqlitePath: '',
        sqliteEncrypted: true,
      }),
    ).rejects.toThrow(
      /The postgres user store cannot be opened: The user store failed \(ECONNREFUSED\)/,
    );
  });
});
