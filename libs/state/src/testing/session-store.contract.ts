import type { CreateSessionInput } from '../sessions/session.models';
import type { ResourceType } from '../sessions/roles';
import { SessionStore } from '../sessions/session-store';
import {
  DEFAULT_CONTRACT_TTLS,
  SHORT_CONTRACT_TTLS,
  expectConflictError,
  expectTimeWithin,
  expectValidationError,
  sleepUntilPast,
  unchecked,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';
import { sleep, waitFor } from './wait';

const ids = (sessions: { sessionId: string }[]): string[] => sessions.map((s) => s.sessionId);

/** The behaviour every `SessionStore` backend must show. */
export function describeSessionStoreContract(
  backendName: string,
  factory: ContractFactory<SessionStore>,
): void {
  describe(`SessionStore contract (${backendName})`, () => {
    describe('with a long TTL', () => {
      const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);
      const defaultTtl = DEFAULT_CONTRACT_TTLS.sessionTtl;

      it('is a SessionStore', () => {
        expect(subject()).toBeInstanceOf(SessionStore);
      });

      describe('sessions', () => {
        it('createSession with an id returns the session and getSession reads it back', async () => {
          const sessions = subject();
          const before = Date.now();
          const session = await sessions.createSession({
            sessionId: 'sess-abc',
            userId: 'user-123',
            roles: ['editor'],
            ttl: 3600,
            metadata: { theme: 'dark', nested: { list: [1, 2] } },
          });
          const after = Date.now();

          expect(session.sessionId).toBe('sess-abc');
          expect(session.userId).toBe('user-123');
          expect(session.roles).toEqual(['editor']);
          expect(session.metadata).toEqual({ theme: 'dark', nested: { list: [1, 2] } });
          expect(session.ttl).toBe(3600);
          expectTimeWithin(session.createdAt, before, after);
          expectTimeWithin(session.expiresAt, before + 3_600_000, after + 3_600_000);

          expect(await sessions.getSession('sess-abc')).toEqual(session);
          expect(await sessions.validateSession('sess-abc')).toBe(true);
        });

        it("without a ttl uses the store's session TTL; roles and metadata default to empty", async () => {
          const sessions = subject();
          const before = Date.now();
          const session = await sessions.createSession({ sessionId: 'sess-1', userId: 'user-1' });
          const after = Date.now();

          expect(session.ttl).toBe(defaultTtl);
          expectTimeWithin(
            session.expiresAt,
            before + defaultTtl * 1000,
            after + defaultTtl * 1000,
          );
          expect(session.roles).toEqual([]);
          expect(session.metadata).toEqual({});
          expect(await sessions.getSession('sess-1')).toEqual(session);
        });

        it('generates random session ids of at least 256 bits in base64url, unique across calls', async () => {
          const sessions = subject();
          const created = [];
          for (let index = 0; index < 5; index += 1) {
            created.push(await sessions.createSession({ userId: 'user-1' }));
          }
          const sessionIds = ids(created);

          for (const sessionId of sessionIds) {
            expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43,}$/);
            expect((await sessions.getSession(sessionId))!.userId).toBe('user-1');
          }
          expect(new Set(sessionIds).size).toBe(5);
        });

        it('removes duplicate roles and accepts any iterable of roles', async () => {
          const sessions = subject();
          const fromArray = await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            roles: ['editor', 'viewer', 'editor'],
          });
          const fromSet = await sessions.createSession({
            sessionId: 'sess-2',
            userId: 'user-1',
            roles: new Set(['viewer']),
          });

          expect(fromArray.roles).toEqual(['editor', 'viewer']);
          expect((await sessions.getSession('sess-1'))!.roles).toEqual(['editor', 'viewer']);
          expect(fromSet.roles).toEqual(['viewer']);
          expect((await sessions.getSession('sess-2'))!.roles).toEqual(['viewer']);
        });

        it('creating a session with the id of a live session is a StateConflictError', async () => {
          const sessions = subject();
          const original = await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            roles: ['viewer'],
            metadata: { original: true },
          });

          await expectConflictError(() =>
            sessions.createSession({
              sessionId: 'sess-1',
              userId: 'user-2',
              roles: ['admin'],
              metadata: { original: false },
            }),
          );

          expect(await sessions.getSession('sess-1')).toEqual(original);
          expect(await sessions.listUserSessions('user-2')).toEqual([]);
          expect(ids(await sessions.listUserSessions('user-1'))).toEqual(['sess-1']);
          expect(await sessions.checkPermission('sess-1', 'system', 'any', 'admin')).toBe(false);
        });

        it('deleteSession returns true, then false', async () => {
          const sessions = subject();
          await sessions.createSession({ sessionId: 'sess-1', userId: 'user-1' });
          await sessions.createSession({ sessionId: 'sess-2', userId: 'user-1' });

          expect(await sessions.deleteSession('sess-1')).toBe(true);
          expect(await sessions.getSession('sess-1')).toBeNull();
          expect(await sessions.validateSession('sess-1')).toBe(false);
          expect(ids(await sessions.listUserSessions('user-1'))).toEqual(['sess-2']);
          expect(await sessions.deleteSession('sess-1')).toBe(false);

          expect(await sessions.deleteSession('unknown')).toBe(false);
          expect(await sessions.getSession('unknown')).toBeNull();
          expect(await sessions.validateSession('unknown')).toBe(false);
          expect(await sessions.validateSession('sess-2')).toBe(true);
        });

        it("refreshSession without a ttl extends a live session by the session's own TTL", async () => {
          const sessions = subject();
          const original = await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            ttl: 60,
          });
          await sleep(20);

          const before = Date.now();
          expect(await sessions.refreshSession('sess-1')).toBe(true);
          const after = Date.now();

          const refreshed = (await sessions.getSession('sess-1'))!;
          expect(refreshed.expiresAt).toBeGreaterThan(original.expiresAt);
          expectTimeWithin(refreshed.expiresAt, before + 60_000, after + 60_000);
          expect(refreshed.createdAt).toBe(original.createdAt);
          expect(refreshed.userId).toBe('user-1');
        });

        it('refreshSession with a ttl sets the expiry that many seconds from now', async () => {
          const sessions = subject();
          await sessions.createSession({ sessionId: 'sess-1', userId: 'user-1', ttl: 60 });

          const before = Date.now();
          expect(await sessions.refreshSession('sess-1', 120)).toBe(true);
          const after = Date.now();

          const refreshed = (await sessions.getSession('sess-1'))!;
          expectTimeWithin(refreshed.expiresAt, before + 120_000, after + 120_000);
        });

        it('refreshing a deleted or unknown session returns false and brings nothing back', async () => {
          const sessions = subject();
          await sessions.createSession({ sessionId: 'sess-1', userId: 'user-1' });
          await sessions.deleteSession('sess-1');

          expect(await sessions.refreshSession('sess-1')).toBe(false);
          expect(await sessions.refreshSession('sess-1', 120)).toBe(false);
          expect(await sessions.getSession('sess-1')).toBeNull();
          expect(await sessions.validateSession('sess-1')).toBe(false);
          expect(await sessions.listUserSessions('user-1')).toEqual([]);

          expect(await sessions.refreshSession('unknown', 60)).toBe(false);
          expect(await sessions.getSession('unknown')).toBeNull();
          expect(await sessions.validateSession('unknown')).toBe(false);
        });

        it("listUserSessions returns only the user's live sessions, oldest first", async () => {
          const sessions = subject();
          // Ids not in alphabetical order, so that sorting by id cannot pass for age.
          const older = await sessions.createSession({ sessionId: 'sess-b', userId: 'user-1' });
          await sleep(5);
          const newer = await sessions.createSession({ sessionId: 'sess-a', userId: 'user-1' });
          const other = await sessions.createSession({ sessionId: 'sess-c', userId: 'user-2' });

          expect(await sessions.listUserSessions('user-1')).toEqual([older, newer]);
          expect(await sessions.listUserSessions('user-2')).toEqual([other]);
          expect(await sessions.listUserSessions('user-without-sessions')).toEqual([]);
        });

        it('deleteUserSessions deletes every session of the user and returns how many', async () => {
          const sessions = subject();
          await sessions.createSession({ sessionId: 'sess-1', userId: 'user-1' });
          await sessions.createSession({ sessionId: 'sess-2', userId: 'user-1' });
          const other = await sessions.createSession({ sessionId: 'sess-3', userId: 'user-2' });

          expect(await sessions.deleteUserSessions('user-1')).toBe(2);
          expect(await sessions.getSession('sess-1')).toBeNull();
          expect(await sessions.getSession('sess-2')).toBeNull();
          expect(await sessions.validateSession('sess-1')).toBe(false);
          expect(await sessions.listUserSessions('user-1')).toEqual([]);
          expect(await sessions.getSession('sess-3')).toEqual(other);
          expect(await sessions.listUserSessions('user-2')).toEqual([other]);

          expect(await sessions.deleteUserSessions('user-1')).toBe(0);
          expect(await sessions.deleteUserSessions('user-without-sessions')).toBe(0);
        });

        it('accepts ids of exactly 256 characters and unicode ids', async () => {
          const sessions = subject();
          const longSession = 's'.repeat(256);
          const longUser = 'u'.repeat(256);

          await sessions.createSession({ sessionId: longSession, userId: longUser });
          await sessions.createSession({ sessionId: 'séssion-✓', userId: 'üser-✓' });

          expect((await sessions.getSession(longSession))!.userId).toBe(longUser);
          expect(ids(await sessions.listUserSessions(longUser))).toEqual([longSession]);
          expect((await sessions.getSession('séssion-✓'))!.userId).toBe('üser-✓');
          expect(ids(await sessions.listUserSessions('üser-✓'))).toEqual(['séssion-✓']);
        });

        it('returns read-only snapshots: a returned session cannot be changed, nor what is stored', async () => {
          const sessions = subject();
          const metadata = { nested: { count: 1 } };
          const created = await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            roles: ['viewer'],
            metadata,
          });
          // The caller's input stays the caller's: neither frozen nor shared.
          expect(Object.isFrozen(metadata)).toBe(false);
          metadata.nested.count = 42;

          const fetched = (await sessions.getSession('sess-1'))!;
          const [listed] = await sessions.listUserSessions('user-1');
          for (const session of [created, fetched, listed]) {
            expect(Object.isFrozen(session)).toBe(true);
            expect(Object.isFrozen(session.roles)).toBe(true);
            expect(Object.isFrozen(session.metadata)).toBe(true);
            expect(Object.isFrozen(session.metadata.nested)).toBe(true);
            expect(() => (session.roles as string[]).push('admin')).toThrow(TypeError);
            expect(() => {
              (session.metadata.nested as { count: number }).count = 99;
            }).toThrow(TypeError);
            expect(() => {
              (session as { expiresAt: number }).expiresAt = 0;
            }).toThrow(TypeError);
          }
          const again = (await sessions.getSession('sess-1'))!;
          expect(again.roles).toEqual(['viewer']);
          expect(again.metadata).toEqual({ nested: { count: 1 } });
          expect(again.expiresAt).toBe(created.expiresAt);
          expect(await sessions.checkPermission('sess-1', 'system', 'any', 'admin')).toBe(false);
        });

        it('a refresh gives a new snapshot and leaves the earlier one as it was', async () => {
          const sessions = subject();
          await sessions.createSession({ sessionId: 'sess-2', userId: 'user-2', ttl: 60 });
          const before = (await sessions.getSession('sess-2'))!;
          expect(await sessions.refreshSession('sess-2', 3600)).toBe(true);
          const after = (await sessions.getSession('sess-2'))!;
          expect(after.expiresAt).toBeGreaterThan(before.expiresAt);
          expect(Object.isFrozen(after)).toBe(true);
          expect(before.expiresAt).toBeLessThan(after.expiresAt);
        });
      });

      describe('roles and permissions', () => {
        it('is seeded with the standard role table', async () => {
          const sessions = subject();

          expect(await sessions.getRolePermissions('admin')).toEqual([
            'admin',
            'delete',
            'manage_users',
            'read',
            'write',
          ]);
          expect(await sessions.getRolePermissions('editor')).toEqual(['read', 'write']);
          expect(await sessions.getRolePermissions('viewer')).toEqual(['read']);
          expect(await sessions.getRolePermissions('anonymous')).toEqual([]);
          expect(await sessions.getRolePermissions('no-such-role')).toEqual([]);
        });

        it('setRolePermissions defines and replaces roles, from an array or a set', async () => {
          const sessions = subject();

          await sessions.setRolePermissions('analyst', ['read', 'write', 'export']);
          expect(await sessions.getRolePermissions('analyst')).toEqual(['export', 'read', 'write']);

          await sessions.setRolePermissions('auditor', new Set(['read', 'audit', 'read']));
          expect(await sessions.getRolePermissions('auditor')).toEqual(['audit', 'read']);

          await sessions.setRolePermissions('analyst', ['export']);
          expect(await sessions.getRolePermissions('analyst')).toEqual(['export']);

          await sessions.setRolePermissions('editor', ['read']);
          expect(await sessions.getRolePermissions('editor')).toEqual(['read']);

          await sessions.setRolePermissions('analyst', []);
          expect(await sessions.getRolePermissions('analyst')).toEqual([]);

          // Other roles are untouched.
          expect(await sessions.getRolePermissions('viewer')).toEqual(['read']);
          expect(await sessions.getRolePermissions('admin')).toEqual([
            'admin',
            'delete',
            'manage_users',
            'read',
            'write',
          ]);
        });

        it('checkPermission grants what any of the roles grants', async () => {
          const sessions = subject();
          await sessions.setRolePermissions('analyst', ['export']);
          await sessions.createSession({ sessionId: 's-viewer', userId: 'u1', roles: ['viewer'] });
          await sessions.createSession({ sessionId: 's-editor', userId: 'u2', roles: ['editor'] });
          await sessions.createSession({ sessionId: 's-admin', userId: 'u3', roles: ['admin'] });
          await sessions.createSession({ sessionId: 's-anon', userId: 'u4', roles: ['anonymous'] });
          await sessions.createSession({ sessionId: 's-none', userId: 'u5' });
          await sessions.createSession({
            sessionId: 's-analyst',
            userId: 'u6',
            roles: ['analyst'],
          });
          await sessions.createSession({
            sessionId: 's-union',
            userId: 'u7',
            roles: ['viewer', 'analyst'],
          });
          await sessions.createSession({ sessionId: 's-ghost', userId: 'u8', roles: ['ghost'] });
          const check = (sessionId: string, permission: string) =>
            sessions.checkPermission(sessionId, 'widget', 'chart-1', permission);

          expect(await check('s-viewer', 'read')).toBe(true);
          expect(await check('s-viewer', 'write')).toBe(false);
          expect(await check('s-editor', 'write')).toBe(true);
          expect(await check('s-editor', 'delete')).toBe(false);
          expect(await check('s-admin', 'manage_users')).toBe(true);
          expect(await check('s-admin', 'delete')).toBe(true);
          expect(await check('s-admin', 'export')).toBe(false);
          expect(await check('s-anon', 'read')).toBe(false);
          expect(await check('s-none', 'read')).toBe(false);
          expect(await check('s-analyst', 'export')).toBe(true);
          expect(await check('s-analyst', 'read')).toBe(false);
          expect(await check('s-union', 'read')).toBe(true);
          expect(await check('s-union', 'export')).toBe(true);
          expect(await check('s-union', 'write')).toBe(false);
          expect(await check('s-ghost', 'read')).toBe(false);
          expect(await sessions.checkPermission('s-viewer', 'system', 'settings', 'read')).toBe(
            true,
          );
        });

        it('checkPermission uses the role table as it is at the time of the check', async () => {
          const sessions = subject();
          await sessions.setRolePermissions('analyst', ['export']);
          await sessions.createSession({ sessionId: 's-1', userId: 'u1', roles: ['analyst'] });
          expect(await sessions.checkPermission('s-1', 'widget', 'w', 'export')).toBe(true);

          await sessions.setRolePermissions('analyst', ['read']);
          expect(await sessions.checkPermission('s-1', 'widget', 'w', 'export')).toBe(false);
          expect(await sessions.checkPermission('s-1', 'widget', 'w', 'read')).toBe(true);
        });

        it('checkPermission is false for unknown and deleted sessions', async () => {
          const sessions = subject();
          await sessions.createSession({ sessionId: 's-admin', userId: 'u1', roles: ['admin'] });
          expect(await sessions.checkPermission('s-admin', 'widget', 'w', 'read')).toBe(true);

          await sessions.deleteSession('s-admin');
          expect(await sessions.checkPermission('s-admin', 'widget', 'w', 'read')).toBe(false);
          expect(await sessions.checkPermission('unknown', 'widget', 'w', 'read')).toBe(false);
        });

        it('honours resource grants for exactly the named resource', async () => {
          const sessions = subject();
          await sessions.createSession({
            sessionId: 'sess-abc',
            userId: 'user-123',
            roles: ['viewer'],
            metadata: { permissions: { 'widget:dashboard-1': ['read', 'write'] } },
          });
          const check = (type: ResourceType, id: string, permission: string) =>
            sessions.checkPermission('sess-abc', type, id, permission);

          expect(await check('widget', 'dashboard-1', 'write')).toBe(true);
          expect(await check('widget', 'dashboard-2', 'write')).toBe(false);
          expect(await check('session', 'dashboard-1', 'write')).toBe(false);
          expect(await check('widget', 'dashboard-10', 'write')).toBe(false);
          expect(await check('widget', 'dashboard', 'write')).toBe(false);
          expect(await check('widget', 'dashboard-1', 'delete')).toBe(false);
          expect(await check('widget', 'dashboard-2', 'read')).toBe(true);
        });

        it('resource grants only add to the roles', async () => {
          const sessions = subject();
          await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            roles: ['viewer'],
            metadata: { permissions: { 'widget:w1': ['write'], 'user:user-1': ['manage_users'] } },
          });

          expect(await sessions.checkPermission('sess-1', 'widget', 'w1', 'read')).toBe(true);
          expect(await sessions.checkPermission('sess-1', 'widget', 'w1', 'write')).toBe(true);
          expect(await sessions.checkPermission('sess-1', 'user', 'user-1', 'manage_users')).toBe(
            true,
          );
          expect(await sessions.checkPermission('sess-1', 'user', 'user-2', 'manage_users')).toBe(
            false,
          );
          expect(await sessions.checkPermission('sess-1', 'widget', 'w2', 'read')).toBe(true);
        });
      });

      describe('bad input', () => {
        it('createSession rejects bad input with a StateValidationError and creates nothing', async () => {
          const sessions = subject();
          const valid: CreateSessionInput = { sessionId: 'sess-bad', userId: 'user-bad' };
          const badInputs: unknown[] = [
            { ...valid, userId: '' },
            { ...valid, userId: 'user\nbad' },
            { ...valid, userId: 'u'.repeat(257) },
            { ...valid, userId: ' user-bad' },
            { ...valid, userId: 42 },
            { sessionId: 'sess-bad' },
            { ...valid, sessionId: '' },
            { ...valid, sessionId: 's'.repeat(257) },
            { ...valid, sessionId: 'sess\u0000bad' },
            { ...valid, ttl: 0 },
            { ...valid, ttl: -5 },
            { ...valid, ttl: Number.NaN },
            { ...valid, ttl: Number.POSITIVE_INFINITY },
            { ...valid, ttl: '60' },
            { ...valid, metadata: [] },
            { ...valid, metadata: null },
            { ...valid, metadata: { permissions: { 'file:x': ['read'] } } },
            { ...valid, metadata: { permissions: { 'widget-x': ['read'] } } },
            { ...valid, metadata: { permissions: { 'widget:x': 'read' } } },
            { ...valid, metadata: { permissions: { 'widget:x': ['bad permission'] } } },
            { ...valid, metadata: { permissions: { 'widget:': ['read'] } } },
            { ...valid, metadata: { permissions: ['widget:x'] } },
            { ...valid, roles: ['bad role'] },
            { ...valid, roles: [''] },
            { ...valid, roles: ['viewer', 'r'.repeat(65)] },
            { ...valid, roles: 'viewer' },
          ];

          for (const input of badInputs) {
            await expectValidationError(() =>
              sessions.createSession(unchecked<CreateSessionInput>(input)),
            );
          }

          expect(await sessions.getSession('sess-bad')).toBeNull();
          expect(await sessions.validateSession('sess-bad')).toBe(false);
          expect(await sessions.listUserSessions('user-bad')).toEqual([]);
        });

        it('refreshSession rejects a ttl that is not a positive number and changes nothing', async () => {
          const sessions = subject();
          const original = await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            ttl: 60,
          });

          for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
            await expectValidationError(() => sessions.refreshSession('sess-1', ttl));
          }
          await expectValidationError(() => sessions.refreshSession('', 60));

          expect(await sessions.getSession('sess-1')).toEqual(original);
        });

        it('rejects bad ids, resource types and permission names in the other methods', async () => {
          const sessions = subject();
          const original = await sessions.createSession({
            sessionId: 'sess-1',
            userId: 'user-1',
            roles: ['admin'],
          });

          await expectValidationError(() => sessions.getSession(''));
          await expectValidationError(() => sessions.getSession('sess\n1'));
          await expectValidationError(() => sessions.validateSession(''));
          await expectValidationError(() => sessions.deleteSession(''));
          await expectValidationError(() => sessions.listUserSessions(''));
          await expectValidationError(() => sessions.deleteUserSessions(''));
          await expectValidationError(() => sessions.deleteUserSessions('user\u00001'));
          await expectValidationError(() =>
            sessions.checkPermission('sess-1', unchecked<ResourceType>('file'), 'x', 'read'),
          );
          await expectValidationError(() =>
            sessions.checkPermission('sess-1', 'widget', '', 'read'),
          );
          await expectValidationError(() =>
            sessions.checkPermission('sess-1', 'widget', 'w1', 'bad permission'),
          );
          await expectValidationError(() => sessions.checkPermission('', 'widget', 'w1', 'read'));

          expect(await sessions.getSession('sess-1')).toEqual(original);
          expect(ids(await sessions.listUserSessions('user-1'))).toEqual(['sess-1']);
        });

        it('setRolePermissions rejects invalid role and permission names and keeps the role', async () => {
          const sessions = subject();

          await expectValidationError(() => sessions.setRolePermissions('bad role', ['read']));
          await expectValidationError(() => sessions.setRolePermissions('', ['read']));
          await expectValidationError(() => sessions.setRolePermissions('r'.repeat(65), ['read']));
          await expectValidationError(() =>
            sessions.setRolePermissions('editor', ['read', 'bad permission']),
          );
          await expectValidationError(() => sessions.setRolePermissions('editor', ['']));
          await expectValidationError(() =>
            sessions.setRolePermissions('editor', unchecked<string[]>('read')),
          );
          await expectValidationError(() =>
            sessions.setRolePermissions('editor', unchecked<string[]>(null)),
          );
          await expectValidationError(() => sessions.getRolePermissions(''));
          await expectValidationError(() => sessions.getRolePermissions('bad role'));

          expect(await sessions.getRolePermissions('editor')).toEqual(['read', 'write']);
        });
      });
    });

    describe('with a short TTL', () => {
      const subject = useContractSubject(factory, SHORT_CONTRACT_TTLS);
      const ttlMs = SHORT_CONTRACT_TTLS.sessionTtl * 1000;

      it('hides expired sessions everywhere, a refresh keeps one alive, and nothing resurrects', async () => {
        const sessions = subject();
        const before = Date.now();
        // Without a ttl, both use the store's short session TTL.
        const expiring = await sessions.createSession({
          sessionId: 's-expiring',
          userId: 'user-1',
          roles: ['admin'],
        });
        const renewed = await sessions.createSession({ sessionId: 's-renewed', userId: 'user-1' });
        const after = Date.now();
        await sleep(5);
        await sessions.createSession({ sessionId: 's-long', userId: 'user-1', ttl: 60 });
        expect(expiring.ttl).toBe(SHORT_CONTRACT_TTLS.sessionTtl);
        expectTimeWithin(expiring.expiresAt, before + ttlMs, after + ttlMs);

        // Halfway through the TTL, refresh s-renewed only.
        await sleep(ttlMs / 2);
        expect(await sessions.refreshSession('s-renewed')).toBe(true);

        await waitFor(async () => !(await sessions.validateSession('s-expiring')), {
          timeoutMs: ttlMs + 2000,
          description: 's-expiring to expire',
        });
        await sleepUntilPast(renewed.expiresAt);

        // s-renewed outlives its original expiry thanks to the refresh.
        expect(await sessions.validateSession('s-renewed')).toBe(true);

        expect(await sessions.getSession('s-expiring')).toBeNull();
        expect(await sessions.checkPermission('s-expiring', 'widget', 'w', 'read')).toBe(false);
        expect(ids(await sessions.listUserSessions('user-1'))).toEqual(['s-renewed', 's-long']);

        // Refreshing or deleting an expired session fails and brings nothing back.
        expect(await sessions.refreshSession('s-expiring')).toBe(false);
        expect(await sessions.refreshSession('s-expiring', 60)).toBe(false);
        expect(await sessions.getSession('s-expiring')).toBeNull();
        expect(await sessions.validateSession('s-expiring')).toBe(false);
        expect(await sessions.deleteSession('s-expiring')).toBe(false);
        expect(ids(await sessions.listUserSessions('user-1'))).toEqual(['s-renewed', 's-long']);

        // Only live sessions are counted.
        expect(await sessions.deleteUserSessions('user-1')).toBe(2);
        expect(await sessions.listUserSessions('user-1')).toEqual([]);
      });
    });
  });
}
