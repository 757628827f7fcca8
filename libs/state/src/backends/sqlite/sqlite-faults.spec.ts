import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  StateBackendBusyError,
  StateBackendUnavailableError,
  StateConflictError,
  StateStorageFullError,
} from '../../state.errors';
import { toStateError } from './sqlite-database';
import { randomRawKey, useSqliteSandbox } from './sqlite-test.helpers';
import type { SqliteStateBackend } from './sqlite.backend';

/**
 * Another process that opens the database and holds its write lock (an open write transaction)
 * until told to let go on stdin.
 */
const LOCK_HOLDER = `
const Database = require(process.env.DRIVER);
const db = new Database(process.env.DB_PATH, { fileMustExist: true });
db.pragma("cipher = 'sqlcipher'");
db.key(Buffer.from(process.env.DB_KEY));
db.exec('BEGIN IMMEDIATE');
db.prepare("UPDATE widgets SET html = 'from the other process' WHERE widget_id = 'w1'").run();
process.stdout.write('locked\\n');
process.stdin.once('data', () => {
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\\n');
  process.exit(0);
});
`;

function holdLock(path: string, key: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, ['-e', LOCK_HOLDER], {
    env: {
      ...process.env,
      DRIVER: require.resolve('better-sqlite3-multiple-ciphers'),
      DB_PATH: path,
      DB_KEY: key,
    },
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`lock holder did not start: ${output}`)), 5000);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('locked')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lock holder exited (${code}): ${output}`));
    });
  });
}

function release(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.stdin.write('release\n');
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('Expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('SQLite faults', () => {
  const sandbox = useSqliteSandbox();

  describe('a database locked by another process', () => {
    let child: ChildProcessWithoutNullStreams | undefined;

    afterEach(() => {
      child?.kill();
      child = undefined;
    });

    it('fails writes quickly with StateBackendBusyError, writes nothing, and recovers', async () => {
      const key = randomRawKey();
      const backend = await sandbox.open({ sqliteKey: key });
      await backend.widgets.register('w1', '<p>original</p>');
      await backend.sessions.createSession({ sessionId: 's1', userId: 'u1' });
      child = await holdLock(sandbox.path(), key);

      const writes: [string, () => Promise<unknown>][] = [
        ['register', () => backend.widgets.register('w2', '<p>new</p>')],
        ['updateHtml', () => backend.widgets.updateHtml('w1', '<p>changed</p>')],
        ['createSession', () => backend.sessions.createSession({ sessionId: 's2', userId: 'u1' })],
        ['deleteSession', () => backend.sessions.deleteSession('s1')],
        ['saveThread', () => backend.chats.saveThread('w1', { threadId: 't1' })],
      ];
      for (const [name, write] of writes) {
        const started = Date.now();
        const error = await rejectionOf(write());
        const elapsed = Date.now() - started;
        expect({ name, error }).toEqual({ name, error: expect.any(StateBackendBusyError) });
        expect((error as StateBackendBusyError).status).toBe(503);
        expect((error as StateBackendBusyError).code).toBe('backend_busy');
        expect(elapsed).toBeLessThan(1000);
      }

      // Reads go on (WAL) and see none of the refused writes, nor the other process's.
      expect(await backend.widgets.listActive()).toEqual(['w1']);
      expect(await backend.widgets.getHtml('w1')).toBe('<p>original</p>');
      expect(await backend.sessions.validateSession('s1')).toBe(true);
      expect(await backend.sessions.validateSession('s2')).toBe(false);
      expect(await backend.chats.listThreads('w1')).toEqual([]);

      await release(child);
      child = undefined;
      await backend.widgets.register('w2', '<p>new</p>');
      expect(await backend.widgets.listActive()).toEqual(['w1', 'w2']);
      expect(await backend.widgets.getHtml('w1')).toBe('<p>original</p>');
    });

    it('opens while another process writes, and fails only the writes that meet the lock', async () => {
      const key = randomRawKey();
      const first = await sandbox.open({ sqliteKey: key });
      await first.close();
      child = await holdLock(sandbox.path(), key);

      // Opening reads and checks the file, which the lock does not block; nothing is written.
      const second = await sandbox.open({ sqliteKey: key });
      expect(await second.sessions.getRolePermissions('viewer')).toEqual(['read']);
      await expect(second.widgets.register('w9', '<p></p>')).rejects.toBeInstanceOf(
        StateBackendBusyError,
      );
      await release(child);
      child = undefined;
      await second.widgets.register('w9', '<p></p>');
      expect(await second.widgets.exists('w9')).toBe(true);
    });
  });

  describe('a full disk (max_page_count reached)', () => {
    let backend: SqliteStateBackend;

    const setPageLimit = (pages: number | 'current') => {
      const connection = backend.database.connection;
      const limit =
        pages === 'current' ? (connection.pragma('page_count', { simple: true }) as number) : pages;
      connection.pragma(`max_page_count = ${limit}`);
    };

    beforeEach(async () => {
      backend = await sandbox.open();
      await backend.widgets.register('w1', '<p>original</p>', { metadata: { version: 1 } });
      await backend.chats.saveThread('w1', { threadId: 't1' });
      await backend.chats.appendMessage('w1', 't1', {
        messageId: 'm1',
        role: 'user',
        content: 'a',
      });
    });

    it('rolls back the whole write with StateStorageFullError, and writes resume with space', async () => {
      setPageLimit('current');
      const big = 'x'.repeat(256 * 1024);

      const writes: [string, () => Promise<unknown>][] = [
        // Replacing a widget deletes the old row first: the rollback must bring it back.
        ['register', () => backend.widgets.register('w1', `<p>${big}</p>`)],
        ['updateHtml', () => backend.widgets.updateHtml('w1', big)],
        [
          'appendMessage',
          () => backend.chats.appendMessage('w1', 't1', { role: 'user', content: big }),
        ],
        [
          'createSession',
          () =>
            backend.sessions.createSession({
              userId: 'u',
              metadata: { big: big.slice(0, 60_000) },
            }),
        ],
      ];
      for (const [name, write] of writes) {
        const error = await rejectionOf(write());
        expect({ name, error }).toEqual({ name, error: expect.any(StateStorageFullError) });
        expect((error as StateStorageFullError).status).toBe(507);
        expect((error as StateStorageFullError).code).toBe('storage_full');
      }

      expect(await backend.widgets.get('w1')).toMatchObject({
        html: '<p>original</p>',
        metadata: { version: 1 },
      });
      expect((await backend.chats.getMessages('w1', 't1')).map((m) => m.messageId)).toEqual(['m1']);
      expect(await backend.sessions.listUserSessions('u')).toEqual([]);
      expect(backend.database.connection.inTransaction).toBe(false);

      setPageLimit(1_073_741_823);
      await backend.widgets.register('w1', `<p>${big}</p>`);
      expect((await backend.widgets.getHtml('w1'))!.length).toBe(big.length + 7);
      await backend.chats.appendMessage('w1', 't1', {
        messageId: 'm2',
        role: 'user',
        content: big,
      });
      expect(await backend.chats.getMessages('w1', 't1')).toHaveLength(2);
    });
  });

  it('maps SQLite failures to typed state errors', () => {
    const sqliteError = (code: string) => Object.assign(new Error(code), { code });

    expect(toStateError(sqliteError('SQLITE_BUSY'))).toBeInstanceOf(StateBackendBusyError);
    expect(toStateError(sqliteError('SQLITE_BUSY_SNAPSHOT'))).toBeInstanceOf(StateBackendBusyError);
    expect(toStateError(sqliteError('SQLITE_LOCKED'))).toBeInstanceOf(StateBackendBusyError);
    expect(toStateError(sqliteError('SQLITE_FULL'))).toBeInstanceOf(StateStorageFullError);
    expect(toStateError(sqliteError('SQLITE_CONSTRAINT_UNIQUE'))).toBeInstanceOf(
      StateConflictError,
    );
    expect(toStateError(sqliteError('SQLITE_CORRUPT'))).toBeInstanceOf(
      StateBackendUnavailableError,
    );
    expect(toStateError(sqliteError('SQLITE_IOERR_WRITE'))).toBeInstanceOf(
      StateBackendUnavailableError,
    );
    const bug = new TypeError('a bug');
    expect(toStateError(bug)).toBe(bug);
  });
});
