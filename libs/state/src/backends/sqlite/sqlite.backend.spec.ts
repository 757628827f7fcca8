import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { DEFAULT_ROLE_PERMISSIONS } from '../../sessions/roles';
import { Logger } from '@nestjs/common';
import {
  StateBackendBusyError,
  StateBackendUnavailableError,
  StateConfigurationError,
} from '../../state.errors';
import { waitFor } from '../../testing/wait';
import { MemoryConnectionRouter } from '../memory/memory-connection.router';
import { MemoryEventBus } from '../memory/memory-event.bus';
import { SqliteChatStore } from './sqlite-chat.store';
import { sessionKey, SqliteSessionStore } from './sqlite-session.store';
import { databaseFiles, randomRawKey, useSqliteSandbox } from './sqlite-test.helpers';
import { SqliteWidgetStore } from './sqlite-widget.store';
import type { SqliteStateBackend } from './sqlite.backend';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const countRows = (backend: SqliteStateBackend, table: string) =>
  (
    backend.database.connection.prepare(`SELECT count(*) AS n FROM ${table}`).get() as {
      n: number;
    }
  ).n;

describe('createSqliteBackend', () => {
  const sandbox = useSqliteSandbox();

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('keeps widgets, sessions and chats in SQLite, events and connections in this process', async () => {
    const backend = await sandbox.open();

    expect(backend.name).toBe('sqlite');
    expect(backend.widgets).toBeInstanceOf(SqliteWidgetStore);
    expect(backend.sessions).toBeInstanceOf(SqliteSessionStore);
    expect(backend.chats).toBeInstanceOf(SqliteChatStore);
    expect(backend.events).toBeInstanceOf(MemoryEventBus);
    expect(backend.connections).toBeInstanceOf(MemoryConnectionRouter);
    expect(backend.database.connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(backend.database.connection.pragma('busy_timeout', { simple: true })).toBe(200);
    expect(backend.database.connection.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('creates the directory and every file owner-only', async () => {
    const path = join(sandbox.directory(), 'nested', 'deeper', 'state.db');
    const backend = await sandbox.open({ sqlitePath: path });
    await backend.widgets.register('w1', '<p></p>');

    expect(modeOf(join(sandbox.directory(), 'nested'))).toBe(0o700);
    expect(modeOf(join(sandbox.directory(), 'nested', 'deeper'))).toBe(0o700);
    for (const file of [...databaseFiles(path), `${path}.key`]) {
      expect({ file, mode: modeOf(file) }).toEqual({ file, mode: 0o600 });
    }
  });

  it('seeds the role table and nothing else: no session, widget, thread or user', async () => {
    const backend = await sandbox.open();

    for (const [role, permissions] of Object.entries(DEFAULT_ROLE_PERMISSIONS)) {
      expect(await backend.sessions.getRolePermissions(role)).toEqual([...permissions].sort());
    }
    expect(countRows(backend, 'roles')).toBe(4);
    for (const table of ['sessions', 'widgets', 'threads', 'messages']) {
      expect({ table, rows: countRows(backend, table) }).toEqual({ table, rows: 0 });
    }
    expect(await backend.sessions.validateSession('local')).toBe(false);
    expect(await backend.sessions.listUserSessions('admin')).toEqual([]);
  });

  it('stores sessions under the SHA-256 of their id', async () => {
    const backend = await sandbox.open();
    const session = await backend.sessions.createSession({ userId: 'u1' });

    const row = backend.database.connection
      .prepare('SELECT id_hash FROM sessions WHERE user_id = ?')
      .get('u1') as { id_hash: Buffer };
    expect(row.id_hash).toEqual(sessionKey(session.sessionId));
    expect(row.id_hash.toString('hex')).toMatch(/^[0-9a-f]{64}$/);
    const index = backend.database.connection
      .prepare("SELECT sql FROM sqlite_schema WHERE name = 'sessions'")
      .get() as { sql: string };
    expect(index.sql).toMatch(/id_hash BLOB NOT NULL UNIQUE/);
  });

  it('reads back everything after a restart with the same key', async () => {
    const key = randomRawKey();
    const first = await sandbox.open({ sqliteKey: key });
    const widget = await first.widgets.register('w1', '<div>chart</div>', {
      token: 'token-1',
      ownerWorkerId: 'worker-a',
      metadata: { title: 'Chart' },
    });
    await first.widgets.register('w2', '<p>second</p>');
    const session = await first.sessions.createSession({
      userId: 'user-1',
      roles: ['analyst', 'viewer'],
      ttl: 3600,
      metadata: { permissions: { 'widget:w1': ['write'] } },
    });
    await first.sessions.setRolePermissions('analyst', ['export', 'read']);
    await first.sessions.setRolePermissions('editor', ['read']);
    const thread = await first.chats.saveThread('w1', { threadId: 't1', title: 'Talk' });
    const messages = [
      await first.chats.appendMessage('w1', 't1', {
        messageId: 'm1',
        role: 'user',
        content: 'How is the weather?',
      }),
      await first.chats.appendMessage('w1', 't1', {
        messageId: 'm2',
        role: 'assistant',
        content: 'Sunny and warm',
        metadata: { model: 'gpt' },
      }),
    ];
    const call = await first.chats.logToolCall('w1', 't1', 'm2', {
      toolCallId: 'tc1',
      name: 'weather',
      status: 'completed',
      arguments: { city: 'Oslo' },
      result: 'sunny',
    });
    const artifact = await first.chats.logArtifact('w1', 't1', 'm2', { artifactType: 'table' });
    await first.chats.logTokenUsage('w1', 't1', 'm2', {
      promptTokens: 10,
      completionTokens: 4,
      costUsd: 0.25,
    });
    const resource = await first.chats.logResource('w1', 't1', { uri: 'https://example.com/' });
    const skill = await first.chats.logSkill('w1', 't1', { name: 'forecast' });
    await first.close();

    const second = await sandbox.open({ sqliteKey: key });
    expect(second.database.keySource).toBe('option');
    expect(await second.widgets.get('w1')).toEqual(widget);
    expect(await second.widgets.listActive()).toEqual(['w1', 'w2']);
    expect(await second.sessions.getSession(session.sessionId)).toEqual(session);
    expect(await second.sessions.listUserSessions('user-1')).toEqual([session]);
    expect(await second.sessions.getRolePermissions('analyst')).toEqual(['export', 'read']);
    expect(await second.sessions.getRolePermissions('editor')).toEqual(['read']);
    expect(await second.sessions.checkPermission(session.sessionId, 'system', 'x', 'export')).toBe(
      true,
    );
    expect(await second.sessions.checkPermission(session.sessionId, 'widget', 'w1', 'write')).toBe(
      true,
    );
    expect(await second.sessions.checkPermission(session.sessionId, 'widget', 'w2', 'write')).toBe(
      false,
    );
    expect(await second.chats.listThreads('w1')).toEqual([
      { ...thread, updatedAt: messages[1].createdAt },
    ]);
    expect(await second.chats.getMessages('w1', 't1')).toEqual(messages);
    expect(await second.chats.getToolCalls('w1', 't1')).toEqual([call]);
    expect(await second.chats.getArtifacts('w1', 't1', 'm2')).toEqual([artifact]);
    expect(await second.chats.getResources('w1', 't1')).toEqual([resource]);
    expect(await second.chats.getSkills('w1', 't1')).toEqual([skill]);
    expect(await second.chats.getUsageStats({ widgetId: 'w1' })).toEqual({
      promptTokens: 10,
      completionTokens: 4,
      totalTokens: 14,
      costUsd: 0.25,
      count: 1,
    });
    const [hit] = await second.chats.searchMessages('sunny');
    expect(hit.message).toEqual(messages[1]);
    expect(hit.threadTitle).toBe('Talk');
  });

  it('reopens with the key file it generated, and a passphrase key as well', async () => {
    const generated = await sandbox.open();
    expect(generated.database.keySource).toBe('new-key-file');
    await generated.widgets.register('w1', '<p>kept</p>');
    await generated.close();
    const reopened = await sandbox.open();
    expect(reopened.database.keySource).toBe('key-file');
    expect(await reopened.widgets.getHtml('w1')).toBe('<p>kept</p>');

    const path = sandbox.path('passphrase.db');
    const withPassphrase = await sandbox.open({ sqlitePath: path, sqliteKey: 'correct horse' });
    await withPassphrase.widgets.register('w2', '<p>also kept</p>');
    await withPassphrase.close();
    const again = await sandbox.open({ sqlitePath: path, sqliteKey: 'correct horse' });
    expect(await again.widgets.getHtml('w2')).toBe('<p>also kept</p>');
  });

  it('sweeps expired rows with an unref timer, and stops sweeping when closed', async () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const clearInterval = jest.spyOn(global, 'clearInterval');
    const backend = await sandbox.open({ widgetTtl: 0.05, sessionTtl: 0.05, sweepInterval: 0.05 });
    const timer = setInterval.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);

    await backend.widgets.register('w-short', '<p></p>');
    await backend.sessions.createSession({ sessionId: 's-short', userId: 'u' });
    await backend.sessions.createSession({ sessionId: 's-long', userId: 'u', ttl: 60 });
    expect(countRows(backend, 'widgets')).toBe(1);

    // Deleted from the file by the sweep, not only hidden from reads.
    await waitFor(
      () => countRows(backend, 'widgets') === 0 && countRows(backend, 'sessions') === 1,
      {
        timeoutMs: 3000,
        description: 'the sweep to delete the expired rows',
      },
    );
    expect(await backend.sessions.validateSession('s-long')).toBe(true);

    await backend.close();
    expect(clearInterval).toHaveBeenCalledWith(timer);
  });

  it('logs a failed sweep (a locked database, say) and tries again at the next one', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const sweep = jest.spyOn(SqliteWidgetStore.prototype, 'sweep').mockImplementationOnce(() => {
      throw new StateBackendBusyError('locked');
    });
    await sandbox.open({ sweepInterval: 0.02 });

    await waitFor(() => sweep.mock.calls.length >= 2, { description: 'a second sweep' });
    expect(warn).toHaveBeenCalledWith('Sweeping expired rows failed: locked');
  });

  it('fails every store call with StateBackendUnavailableError once closed', async () => {
    const backend = await sandbox.open();
    await backend.close();
    await backend.close();

    for (const call of [
      () => backend.widgets.get('w1'),
      () => backend.widgets.register('w1', '<p></p>'),
      () => backend.sessions.getSession('s1'),
      () => backend.sessions.createSession({ userId: 'u' }),
      () => backend.chats.listThreads('w1'),
      () => backend.chats.searchMessages('x'),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(StateBackendUnavailableError);
    }
  });

  it('refuses a key while encryption is turned off, a directory as the file, and foreign databases', async () => {
    await expect(
      sandbox.open({ sqliteEncrypted: false, sqliteKey: randomRawKey() }),
    ).rejects.toThrow(/key is set but encryption is turned off/);

    mkdirSync(sandbox.path('directory.db'));
    await expect(sandbox.open({ sqlitePath: sandbox.path('directory.db') })).rejects.toThrow(
      StateConfigurationError,
    );

    const foreign = await sandbox.open({ sqlitePath: sandbox.path('foreign.db') });
    foreign.database.connection.pragma('user_version = 99');
    await foreign.close();
    await expect(sandbox.open({ sqlitePath: sandbox.path('foreign.db') })).rejects.toThrow(
      /written by a newer version/,
    );

    const other = new Database(sandbox.path('other.db'));
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    await expect(
      sandbox.open({ sqlitePath: sandbox.path('other.db'), sqliteEncrypted: false }),
    ).rejects.toThrow(/tables of another application/);
  });
});
