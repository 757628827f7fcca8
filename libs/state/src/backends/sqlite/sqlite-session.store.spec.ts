import { Logger } from '@nestjs/common';
import { SCHEMA_VERSION } from './sqlite-schema';
import { sessionKey } from './sqlite-session.store';
import { randomRawKey, useSqliteSandbox } from './sqlite-test.helpers';

const sandbox = useSqliteSandbox();

afterEach(() => {
  jest.restoreAllMocks();
});

describe('SQLite session store', () => {
  describe('a database of schema 1 (before session versions)', () => {
    it('is migrated in place: its sessions survive, at version 1, and can be changed', async () => {
      const sqliteKey = randomRawKey();
      const created = await sandbox.open({ sqliteKey });
      const kept = await created.sessions.createSession({
        sessionId: 'kept',
        userId: 'u',
        roles: ['viewer'],
        metadata: { permissions: { 'widget:w': ['read'] }, empty: {}, list: [] },
      });
      // Back to the layout schema 1 wrote: no version column, user_version 1, and a session
      // inserted the way that version inserted them.
      const connection = created.database.connection;
      connection.exec('ALTER TABLE sessions DROP COLUMN version');
      connection.exec('DROP TABLE transient');
      connection.pragma('user_version = 1');
      const now = Date.now();
      connection
        .prepare(
          `INSERT INTO sessions (id_hash, session_id, user_id, roles, metadata, ttl, created_at,
             expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(sessionKey('old'), 'old', 'u', '["admin"]', '{"a":{"b":[]}}', 60, now, now + 60_000);
      const columns = (table: string) =>
        (connection.pragma(`table_info(${table})`) as { name: string }[]).map(
          (column) => column.name,
        );
      expect(columns('sessions')).not.toContain('version');
      await created.close();

      const migrated = await sandbox.open({ sqliteKey });
      expect(migrated.database.connection.pragma('user_version', { simple: true })).toBe(
        SCHEMA_VERSION,
      );
      expect(SCHEMA_VERSION).toBe(3);
      // Schema 3's transient table came with the migration, and works.
      await migrated.transient.set('after-migration', 'v', 60);
      expect(await migrated.transient.take('after-migration')).toBe('v');
      expect(
        (migrated.database.connection.pragma('table_info(sessions)') as { name: string }[]).map(
          (column) => column.name,
        ),
      ).toContain('version');
      const sessions = migrated.sessions;

      expect(await sessions.getSession('kept')).toEqual(kept);
      const old = (await sessions.getSession('old'))!;
      expect(old).toMatchObject({
        sessionId: 'old',
        userId: 'u',
        roles: ['admin'],
        metadata: { a: { b: [] } },
        version: 1,
      });
      expect(await sessions.checkPermission('old', 'system', 'x', 'admin')).toBe(true);
      expect((await sessions.listUserSessions('u')).map((session) => session.version)).toEqual([
        1, 1,
      ]);

      const updated = (await sessions.updateSession('old', { roles: ['viewer'] }))!;
      expect(updated.version).toBe(2);
      expect((await sessions.rotateSession('kept'))!.version).toBe(2);
      await migrated.close();

      // Opening it again finds nothing left to migrate.
      const again = await sandbox.open({ sqliteKey });
      expect((await again.sessions.getSession('old'))!.version).toBe(2);
    });
  });

  describe('damaged rows', () => {
    const damage: [string, string][] = [
      ['roles that are not JSON', `roles = 'not json'`],
      ['roles that are not an array', `roles = '{"admin":true}'`],
      ['metadata that is not an object', `metadata = '[1]'`],
      ['metadata that is not JSON', `metadata = '{"permissions":'`],
      ['grants of the wrong shape', `metadata = '{"permissions":{"widget:w":"read"}}'`],
      ['a time that is not a number', `created_at = 'soon'`],
      ['a version that is not a number', `version = 'x'`],
      ['a TTL of zero', `ttl = 0`],
    ];

    it.each(damage)('treat a session with %s as no session, logged once', async (_name, set) => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const backend = await sandbox.open();
      const sessions = backend.sessions;
      await sessions.createSession({
        sessionId: 'bad',
        userId: 'u',
        roles: ['admin'],
        metadata: { permissions: { 'widget:w': ['read'] } },
      });
      const good = await sessions.createSession({ sessionId: 'good', userId: 'u' });
      backend.database.connection
        .prepare(`UPDATE sessions SET ${set} WHERE id_hash = ?`)
        .run(sessionKey('bad'));

      for (let round = 0; round < 3; round += 1) {
        expect(await sessions.getSession('bad')).toBeNull();
        expect(await sessions.validateSession('bad')).toBe(false);
        expect(await sessions.checkPermission('bad', 'widget', 'w', 'read')).toBe(false);
        expect(await sessions.checkPermission('bad', 'system', 'x', 'admin')).toBe(false);
        expect((await sessions.listUserSessions('u')).map((s) => s.sessionId)).toEqual([
          good.sessionId,
        ]);
        expect(await sessions.updateSession('bad', { roles: ['admin'] })).toBeNull();
        expect(
          (await sessions.updateUserSessions('u', { claims: [] })).map((s) => s.sessionId),
        ).toEqual(['good']);
        expect(await sessions.refreshSession('bad')).toBe(false);
        expect(await sessions.rotateSession('bad')).toBeNull();
      }
      const hashed = sessionKey('bad').toString('hex').slice(0, 16);
      const reports = warn.mock.calls.filter(([message]) => String(message).includes(hashed));
      expect(reports).toHaveLength(1);
      expect(String(reports[0][0])).toMatch(
        /^Session record [0-9a-f]{16}… cannot be read \([A-Za-z ]+\); it is treated as no session$/,
      );
    });
  });
});
