import {
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { StateConfigurationError } from '../../state.errors';
import { applyKey } from './sqlite-database';
import { databaseFiles, fileHash, randomRawKey, useSqliteSandbox } from './sqlite-test.helpers';
import type { SqliteStateBackend } from './sqlite.backend';

const MARKER = 'Zebra-Quokka-7731-Marker';

/** Writes the marker through every store: widget, session, role, chat and audit trail. */
async function writeMarkerEverywhere(backend: SqliteStateBackend): Promise<void> {
  await backend.widgets.register(`widget-${MARKER}`, `<div>${MARKER}</div>`, {
    token: MARKER,
    metadata: { note: MARKER },
  });
  await backend.sessions.createSession({
    sessionId: `session-${MARKER}`,
    userId: `user-${MARKER}`,
    metadata: { note: MARKER },
  });
  await backend.sessions.setRolePermissions(`role-${MARKER}`, ['read']);
  await backend.chats.saveThread('w1', { threadId: 't1', title: MARKER });
  await backend.chats.appendMessage('w1', 't1', {
    messageId: 'm1',
    role: 'user',
    content: `the secret is ${MARKER}`,
  });
  await backend.chats.logToolCall('w1', 't1', 'm1', {
    toolCallId: 'tc1',
    name: 'lookup',
    arguments: { query: MARKER },
    result: MARKER,
  });
  await backend.chats.logArtifact('w1', 't1', 'm1', { artifactType: 'code', content: MARKER });
  await backend.chats.logResource('w1', 't1', { uri: `file:///${MARKER}`, content: MARKER });
  await backend.chats.logSkill('w1', 't1', { name: MARKER });
}

/** Which of the database files contain the marker in any of the encodings SQLite may use. */
function filesContainingMarker(path: string): string[] {
  const needles = [MARKER, MARKER.toLowerCase()].flatMap((text) => [
    Buffer.from(text, 'utf8'),
    Buffer.from(text, 'utf16le'),
  ]);
  return databaseFiles(path).filter((file) => {
    if (!existsSync(file)) {
      return false;
    }
    const bytes = readFileSync(file);
    return needles.some((needle) => bytes.includes(needle));
  });
}

const README = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'README.md'), 'utf8');

/**
 * The README's message for a refusal, as a pattern: `<path>` stands for the database file, any
 * other `<...>` for text the message fills in.
 */
function documentedMessage(refusal: string, path: string): RegExp {
  const row = README.split('\n').find((line) => line.trim().startsWith(`| ${refusal} `));
  const template = row?.match(/\| `([^`]+)`\s*\|\s*$/)?.[1];
  if (!template) {
    throw new Error(`The README documents no message for "${refusal}"`);
  }
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = template
    .split(/(<[^>]+>)/)
    .map((part) =>
      part === '<path>' ? escape(path) : part.startsWith('<') ? '[^]+?' : escape(part),
    )
    .join('');
  return new RegExp(`^${pattern}$`);
}

/** The message a refused open fails with. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StateConfigurationError);
  return (error as Error).message;
}

/** Hashes of the database files, to prove a refused open changed nothing. */
function snapshot(path: string): (string | null)[] {
  return databaseFiles(path).map(fileHash);
}

describe('SQLite encryption at rest', () => {
  const sandbox = useSqliteSandbox();

  it('leaves no trace of what is written in the database, WAL or shared-memory file', async () => {
    const backend = await sandbox.open();
    await writeMarkerEverywhere(backend);
    const path = sandbox.path();

    // While open, the recent writes sit in the WAL.
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(readFileSync(`${path}-wal`).length).toBeGreaterThan(0);
    expect(filesContainingMarker(path)).toEqual([]);
    expect(readFileSync(path).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000');

    await backend.close();
    expect(filesContainingMarker(path)).toEqual([]);
    expect(readFileSync(path).length).toBeGreaterThan(4096);
  });

  it('writes plaintext only when encryption is explicitly off, where the same check finds the marker', async () => {
    const backend = await sandbox.open({ sqliteEncrypted: false });
    expect(backend.database.encrypted).toBe(false);
    expect(existsSync(`${sandbox.path()}.key`)).toBe(false);
    await writeMarkerEverywhere(backend);
    expect(filesContainingMarker(sandbox.path())).toContain(`${sandbox.path()}-wal`);

    await backend.close();
    expect(filesContainingMarker(sandbox.path())).toEqual([sandbox.path()]);
    expect(readFileSync(sandbox.path()).subarray(0, 16).toString('latin1')).toBe(
      'SQLite format 3\u0000',
    );
  });

  it('encrypts with SQLCipher: the file opens with the key under the sqlcipher cipher only', async () => {
    const key = randomRawKey();
    const backend = await sandbox.open({ sqliteKey: key });
    await backend.widgets.register('w1', '<p></p>');
    await backend.close();

    const sqlcipher = new Database(sandbox.path(), { readonly: true });
    sqlcipher.pragma("cipher = 'sqlcipher'");
    sqlcipher.key(Buffer.from(key));
    expect(sqlcipher.prepare('SELECT widget_id FROM widgets').pluck().all()).toEqual(['w1']);
    sqlcipher.close();

    for (const attempt of [(db: Database.Database) => db.key(Buffer.from(key)), () => undefined]) {
      const other = new Database(sandbox.path(), { readonly: true });
      attempt(other);
      expect(() => other.prepare('SELECT count(*) FROM sqlite_schema').get()).toThrow(
        'file is not a database',
      );
      other.close();
    }
  });

  describe('refuses to start and leaves the file byte for byte unchanged', () => {
    let key: string;
    let before: (string | null)[];

    beforeEach(async () => {
      key = randomRawKey();
      const backend = await sandbox.open({ sqliteKey: key });
      await writeMarkerEverywhere(backend);
      await backend.close();
      before = snapshot(sandbox.path());
      expect(before[0]).not.toBeNull();
    });

    afterEach(() => {
      expect(snapshot(sandbox.path())).toEqual(before);
      expect(readdirSync(sandbox.directory()).sort()).toEqual(['state.db']);
    });

    it('with a wrong key, saying so in the documented words', async () => {
      const documented = documentedMessage('wrong key, or damaged encrypted file', sandbox.path());
      expect(await refusal(sandbox.open({ sqliteKey: randomRawKey() }))).toMatch(documented);
      expect(await refusal(sandbox.open({ sqliteKey: 'a wrong passphrase' }))).toMatch(documented);
    });

    it('without any key, and generates none', async () => {
      expect(await refusal(sandbox.open())).toMatch(
        documentedMessage('no key found', sandbox.path()),
      );
      expect(existsSync(`${sandbox.path()}.key`)).toBe(false);
    });

    it('when the file is corrupt', async () => {
      const path = sandbox.path();
      const size = readFileSync(path).length;
      const descriptor = openSync(path, 'r+');
      writeSync(descriptor, randomBytes(64), 0, 64, Math.floor(size / 2));
      closeSync(descriptor);
      before = snapshot(path);

      const message = await refusal(sandbox.open({ sqliteKey: key }));
      expect([
        documentedMessage('wrong key, or damaged encrypted file', path).test(message),
        documentedMessage('corrupt file that opens', path).test(message),
      ]).toContain(true);
    });

    it('when the file is not a database at all', async () => {
      writeFileSync(sandbox.path(), randomBytes(8192));
      before = snapshot(sandbox.path());

      expect(await refusal(sandbox.open({ sqliteKey: key }))).toMatch(
        documentedMessage('wrong key, or damaged encrypted file', sandbox.path()),
      );
    });

    it('when encryption is turned off for an encrypted file', async () => {
      expect(await refusal(sandbox.open({ sqliteEncrypted: false }))).toMatch(
        documentedMessage('encryption off, file encrypted', sandbox.path()),
      );
    });

    it('when an unencrypted file is opened with a key', async () => {
      rmSync(sandbox.path());
      const plain = await sandbox.open({ sqliteEncrypted: false });
      await plain.widgets.register('w1', '<p></p>');
      await plain.close();
      before = snapshot(sandbox.path());

      expect(await refusal(sandbox.open({ sqliteKey: key }))).toMatch(
        documentedMessage('key given, file unencrypted', sandbox.path()),
      );
    });

    it('when an unencrypted file is damaged', async () => {
      rmSync(sandbox.path());
      const plain = await sandbox.open({ sqliteEncrypted: false });
      for (let index = 0; index < 200; index += 1) {
        await plain.widgets.register(`w${index}`, `<p>${'x'.repeat(200)}</p>`);
      }
      await plain.close();
      const path = sandbox.path();
      const size = readFileSync(path).length;
      const descriptor = openSync(path, 'r+');
      writeSync(descriptor, randomBytes(4096), 0, 4096, Math.floor(size / 2 / 4096) * 4096);
      closeSync(descriptor);
      before = snapshot(path);

      const message = await refusal(sandbox.open({ sqliteEncrypted: false }));
      expect(message).toMatch(documentedMessage('corrupt file that opens', path));
      expect(message).not.toContain('\n');
      expect(message.length).toBeLessThan(path.length + 400);
    });
  });

  it('never falls back to plaintext when the driver has no SQLCipher', () => {
    const keyed: Buffer[] = [];
    const withoutCipher = {
      pragma: jest.fn(() => undefined),
      key: jest.fn((key: Buffer) => keyed.push(key)),
    };

    expect(() => applyKey(withoutCipher as never, randomRawKey())).toThrow(
      /cannot encrypt with SQLCipher.*will not be opened unencrypted/,
    );
    expect(keyed).toEqual([]);
  });
});
