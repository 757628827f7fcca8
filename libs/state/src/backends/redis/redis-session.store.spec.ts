import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { waitFor } from '../../testing/wait';
import type { StateBackend } from '../state-backend';
import { redisClientOptions } from './redis-connection';
import { sessionKeyOf } from './redis-keys';
import type { RedisSessionStore } from './redis-session.store';
import { uniquePrefix, useRedisTestServer } from './redis-test.helpers';

const bed = useRedisTestServer();

const store = (backend: StateBackend) => backend.sessions as RedisSessionStore;

/** The key names of a session under a backend's prefix. */
function keysOf(prefix: string, sessionId: string, userId: string) {
  const key = sessionKeyOf(sessionId);
  return {
    key,
    session: `${prefix}:session:${key}`,
    index: `${prefix}:user:${userId}:sessions`,
  };
}

/**
 * Writes a session as a version of Livegate before session updates did: no version, no format,
 * resource grants and claims only inside the metadata.
 */
async function writeOlderSession(
  prefix: string,
  sessionId: string,
  userId: string,
  roles: string[],
  metadataJson: string,
): Promise<void> {
  const admin = bed.admin();
  const names = keysOf(prefix, sessionId, userId);
  const now = Date.now();
  await admin.hset(names.session, {
    id: sessionId,
    user: userId,
    roles: JSON.stringify(roles),
    metadata: metadataJson,
    createdAt: String(now),
    expiresAt: String(now + 60_000),
    ttl: '60',
  });
  await admin.pexpire(names.session, 60_000);
  await admin.zadd(names.index, now + 60_000, names.key);
  await admin.pexpire(names.index, 60_000);
}

/**
 * The commands clients send while `action` runs, seen through MONITOR (commands a script runs
 * are marked as the script's and left out), without the caches' liveness pings.
 */
async function clientCommands(action: () => Promise<unknown>): Promise<string[]> {
  const monitor = await new Redis(redisClientOptions(bed.url())).monitor();
  const seen: string[] = [];
  let done = false;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = String(args[0]).toLowerCase();
    if (command === 'echo' && args[1] === 'monitor-end') {
      done = true;
    } else if (source !== 'lua' && !['ping', 'echo'].includes(command)) {
      seen.push(command);
    }
  });
  try {
    await action();
    await bed.admin().echo('monitor-end');
    await waitFor(() => done, { description: 'MONITOR to catch up' });
    return seen;
  } finally {
    monitor.disconnect();
  }
}

describe('Redis session store', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('sessions written by an older version', () => {
    it('reads them at version 1 with their metadata exactly as written', async () => {
      const prefix = uniquePrefix('older');
      const backend = await bed.open({ redisPrefix: prefix });
      const metadataJson =
        '{"permissions":{"widget:w1":["read"],"widget:none":[]},"empty":{},"list":[],' +
        '"claims":[{"type":"role","value":"editor"}],"big":1e+21,"text":"a\\/b"}';
      await writeOlderSession(prefix, 'old', 'u', ['viewer'], metadataJson);
      const sessions = store(backend);

      const session = (await sessions.getSession('old'))!;
      expect(session.version).toBe(1);
      expect(JSON.stringify(session.metadata)).toBe(JSON.stringify(JSON.parse(metadataJson)));
      expect(await sessions.checkPermission('old', 'widget', 'w1', 'read')).toBe(true);
      // The role claim in its metadata is a role, though the script cannot read that metadata.
      expect(await sessions.checkPermission('old', 'widget', 'w9', 'write')).toBe(true);
      expect(await sessions.listUserSessions('u')).toEqual([session]);
    });

    it('moves them to the current layout on their first change, losing nothing', async () => {
      const prefix = uniquePrefix('older');
      const backend = await bed.open({ redisPrefix: prefix });
      // A lone surrogate is valid JSON for JavaScript and unreadable for Lua's cjson.
      const metadataJson =
        '{"note":"half \\ud800 pair","permissions":{"widget:w1":["read","read"]},"zero":{}}';
      await writeOlderSession(prefix, 'old', 'u', ['viewer'], metadataJson);
      await writeOlderSession(prefix, 'old-2', 'u', [], '{"permissions":{"user:u":["admin"]}}');
      const sessions = store(backend);

      const updated = (await sessions.updateSession('old', {
        grant: [{ resourceType: 'widget', resourceId: 'w1', permissions: ['write'] }],
      }))!;

      expect(updated.version).toBe(2);
      expect(updated.metadata).toEqual({
        note: 'half \ud800 pair',
        permissions: { 'widget:w1': ['read', 'read', 'write'] },
        zero: {},
      });
      expect(await sessions.getSession('old')).toEqual(updated);
      const fields = await bed.admin().hgetall(keysOf(prefix, 'old', 'u').session);
      expect(fields).toMatchObject({ format: '2', version: '2', metadata: metadataJson });

      const all = await sessions.updateUserSessions('u', { roles: ['editor'] });
      expect(all.map((session) => [session.sessionId, session.version]).sort()).toEqual([
        ['old', 3],
        ['old-2', 2],
      ]);
      expect((await sessions.getSession('old-2'))!.metadata).toEqual({
        permissions: { 'user:u': ['admin'] },
      });
      expect(await sessions.checkPermission('old-2', 'user', 'u', 'admin')).toBe(true);
    });
    it('pass by one whose metadata cannot be read, reporting it once', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const prefix = uniquePrefix('older');
      const sessions = store(await bed.open({ redisPrefix: prefix }));
      await writeOlderSession(prefix, 'broken', 'u', ['admin'], '{"permissions":');
      await writeOlderSession(prefix, 'fine', 'u', [], '{"permissions":{"widget:w":["read"]}}');

      const updated = await sessions.updateUserSessions('u', { roles: ['viewer'] });
      expect(updated.map((session) => [session.sessionId, session.version])).toEqual([['fine', 2]]);
      expect(await sessions.updateSession('broken', { roles: ['admin'] })).toBeNull();
      expect(await sessions.getSession('broken')).toBeNull();
      expect(await sessions.checkPermission('broken', 'system', 'x', 'admin')).toBe(false);
      expect((await sessions.updateUserSessions('u', { claims: [] })).length).toBe(1);
      const key = keysOf(prefix, 'broken', 'u').key.slice(0, 16);
      expect(warn.mock.calls.filter(([message]) => String(message).includes(key))).toHaveLength(1);
    });
  });

  it('changes a session, checks a permission and rotates in one round trip each', async () => {
    const sessions = store(await bed.open());
    await sessions.createSession({ sessionId: 's', userId: 'u' });
    // Each script once, so that the measured calls need no fallback from EVALSHA to EVAL.
    await sessions.updateSession('s', { roles: ['viewer'] });
    await sessions.updateUserSessions('u', { roles: ['viewer'] });
    await sessions.checkPermission('s', 'widget', 'w', 'read');
    await sessions.refreshSession('s');
    const warm = (await sessions.rotateSession('s'))!;
    await sessions.rotateSession(warm.sessionId);
    const created = await sessions.createSession({ sessionId: 't', userId: 'u' });

    const grant = { resourceType: 'widget' as const, resourceId: 'w', permissions: ['write'] };
    expect(await clientCommands(() => sessions.updateSession('t', { grant: [grant] }))).toEqual([
      'evalsha',
    ]);
    expect(await clientCommands(() => sessions.updateUserSessions('u', { roles: [] }))).toEqual([
      'evalsha',
    ]);
    expect(
      await clientCommands(() => sessions.checkPermission('t', 'widget', 'w', 'write')),
    ).toEqual(['evalsha']);
    expect(await clientCommands(() => sessions.refreshSession('t'))).toEqual(['evalsha']);
    expect(await clientCommands(() => sessions.rotateSession(created.sessionId))).toEqual([
      'evalsha',
    ]);
  });

  describe('damaged records', () => {
    const damage: [string, Record<string, string>][] = [
      ['roles that are not JSON', { roles: 'not json' }],
      ['roles that are not an array', { roles: '{"admin":true}' }],
      ['metadata that is not an object', { metadata: '[1,2]' }],
      ['metadata that is not JSON', { metadata: '{"permissions":' }],
      ['grants that are not JSON', { grants: '{oops' }],
      ['grants of the wrong shape', { grants: '{"widget:w":"read"}' }],
      ['grants holding an object', { grants: '{"widget:w":{},"widget:v":[]}' }],
      ['claims that are not an array', { claims: '5' }],
      ['a time that is not a number', { createdAt: 'soon' }],
      ['a version that is not a number', { version: 'x' }],
      ['a TTL of zero', { ttl: '0' }],
    ];

    it.each(damage)('treat a session with %s as no session, logged once', async (_name, fields) => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const prefix = uniquePrefix('damaged');
      const backend = await bed.open({ redisPrefix: prefix });
      const sessions = store(backend);
      await sessions.createSession({
        sessionId: 'bad',
        userId: 'u',
        roles: ['admin'],
        metadata: { permissions: { 'widget:w': ['read'] }, claims: [] },
      });
      const good = await sessions.createSession({ sessionId: 'good', userId: 'u' });
      const names = keysOf(prefix, 'bad', 'u');
      await bed.admin().hset(names.session, fields);

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
      }
      const reports = warn.mock.calls.filter(([message]) =>
        String(message).includes(names.key.slice(0, 16)),
      );
      expect(reports).toHaveLength(1);
      // The log names the record by its hashed key only, never by its id or content.
      expect(String(reports[0][0])).toMatch(
        /^Session record [0-9a-f]{16}… cannot be read \([A-Za-z ]+\); it is treated as no session$/,
      );
      expect(await sessions.rotateSession('bad')).toBeNull();
    });

    it('treat a session without a user as no session', async () => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const prefix = uniquePrefix('older');
      const backend = await bed.open({ redisPrefix: prefix });
      const sessions = store(backend);
      await sessions.createSession({ sessionId: 'bad', userId: 'u', roles: ['admin'] });
      await bed.admin().hdel(keysOf(prefix, 'bad', 'u').session, 'user');

      expect(await sessions.getSession('bad')).toBeNull();
      expect(await sessions.checkPermission('bad', 'system', 'x', 'admin')).toBe(false);
      expect(await sessions.updateSession('bad', { roles: [] })).toBeNull();
      expect(await sessions.rotateSession('bad')).toBeNull();
      expect(await sessions.refreshSession('bad')).toBe(false);
    });
  });
});
