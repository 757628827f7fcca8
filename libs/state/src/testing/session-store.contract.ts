import type {
  CreateSessionInput,
  ResourcePermissions,
  SessionChange,
} from '../sessions/session.models';
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

/** Asserts that a value and everything in it is frozen. */
function expectDeeplyFrozen(value: unknown): void {
  if (value !== null && typeof value === 'object') {
    expect(Object.isFrozen(value)).toBe(true);
    Object.values(value).forEach(expectDeeplyFrozen);
  }
}

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

    describe('updates and rotation', () => {
      const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);

      const widget = (resourceId: string, permissions?: string[]): ResourcePermissions => ({
        resourceType: 'widget',
        resourceId,
        ...(permissions ? { permissions } : {}),
      });

      it('createSession starts at version 1 and keeps valid claims as given', async () => {
        const sessions = subject();
        const claims = [
          { type: 'tier', value: 'beta' },
          { type: 'role', value: 'editor' },
          { type: 'tier', value: 'beta' },
        ];
        const created = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          metadata: { claims },
        });

        expect(created.version).toBe(1);
        expect(created.metadata.claims).toEqual(claims);
        expect(await sessions.getSession('s-1')).toEqual(created);
      });

      it('createSession checks metadata.claims as a change checks claims, and creates nothing', async () => {
        const sessions = subject();
        const badClaims: unknown[] = [
          'tier',
          { type: 'tier', value: 'x' },
          [{ type: 'bad type', value: 'x' }],
          [{ type: 'tier', value: 1 }],
          [{ type: 'tier', value: 'x', issuer: 'y' }],
          [{ type: 'role', value: 'not a role' }],
          [{ type: 'tier', value: 'v'.repeat(1025) }],
          Array.from({ length: 101 }, () => ({ type: 'tier', value: 'x' })),
        ];
        for (const claims of badClaims) {
          await expectValidationError(() =>
            sessions.createSession({ sessionId: 's-bad', userId: 'u-bad', metadata: { claims } }),
          );
        }
        await expectValidationError(() =>
          sessions.createSession({
            sessionId: 's-bad',
            userId: 'u-bad',
            roles: Array.from({ length: 101 }, (_, index) => `r${index}`),
          }),
        );
        expect(await sessions.getSession('s-bad')).toBeNull();
        expect(await sessions.listUserSessions('u-bad')).toEqual([]);
      });

      it('updateSession replaces the roles and returns a frozen snapshot one version higher', async () => {
        const sessions = subject();
        const created = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          roles: ['viewer'],
          metadata: { theme: 'dark' },
        });

        const updated = (await sessions.updateSession('s-1', { roles: ['editor', 'editor'] }))!;

        expect(updated).toEqual({ ...created, roles: ['editor'], version: 2 });
        expectDeeplyFrozen(updated);
        expect(await sessions.getSession('s-1')).toEqual(updated);
        expect(await sessions.checkPermission('s-1', 'widget', 'w', 'write')).toBe(true);
        expect(ids(await sessions.listUserSessions('u-1'))).toEqual(['s-1']);
        expect((await sessions.listUserSessions('u-1'))[0].version).toBe(2);
        // The snapshot handed out earlier is as it was.
        expect(created.roles).toEqual(['viewer']);
        expect(created.version).toBe(1);

        const cleared = (await sessions.updateSession('s-1', { roles: [] }))!;
        expect(cleared.roles).toEqual([]);
        expect(cleared.version).toBe(3);
        expect(await sessions.checkPermission('s-1', 'widget', 'w', 'read')).toBe(false);
      });

      it('claims replace metadata.claims and leave the rest of the metadata as it was', async () => {
        const sessions = subject();
        await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          metadata: { theme: 'dark', claims: [{ type: 'tier', value: 'free' }] },
        });

        const updated = (await sessions.updateSession('s-1', {
          claims: [
            { type: 'tier', value: 'beta' },
            { type: 'email', value: 'ada@example.com' },
          ],
        }))!;

        expect(updated.metadata).toEqual({
          theme: 'dark',
          claims: [
            { type: 'tier', value: 'beta' },
            { type: 'email', value: 'ada@example.com' },
          ],
        });
        expect(updated.version).toBe(2);
        expect(await sessions.getSession('s-1')).toEqual(updated);

        const emptied = (await sessions.updateSession('s-1', { claims: [] }))!;
        expect(emptied.metadata).toEqual({ theme: 'dark', claims: [] });
        expect(await sessions.getSession('s-1')).toEqual(emptied);
      });

      it('a grant adds permissions to a resource, keeping what it had, and creates the grants when there were none', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-1', userId: 'u-1', metadata: { a: 1 } });

        const first = (await sessions.updateSession('s-1', {
          grant: [
            widget('w1', ['write']),
            { resourceType: 'user', resourceId: 'u-2', permissions: ['manage_users'] },
          ],
        }))!;
        expect(first.metadata).toEqual({
          a: 1,
          permissions: { 'widget:w1': ['write'], 'user:u-2': ['manage_users'] },
        });

        const second = (await sessions.updateSession('s-1', {
          grant: [widget('w1', ['read', 'write', 'delete'])],
        }))!;
        expect(second.metadata.permissions).toEqual({
          'widget:w1': ['write', 'read', 'delete'],
          'user:u-2': ['manage_users'],
        });
        expect(second.version).toBe(3);
        expect(await sessions.getSession('s-1')).toEqual(second);
        expect(await sessions.checkPermission('s-1', 'widget', 'w1', 'delete')).toBe(true);
        expect(await sessions.checkPermission('s-1', 'widget', 'w2', 'delete')).toBe(false);
        expect(await sessions.checkPermission('s-1', 'user', 'u-2', 'manage_users')).toBe(true);
      });

      it('a revoke removes the named permissions, or every permission without a list; an emptied resource goes', async () => {
        const sessions = subject();
        await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          metadata: {
            permissions: {
              'widget:w1': ['read', 'write', 'delete'],
              'widget:w2': ['read'],
              'widget:w3': ['write'],
            },
          },
        });

        const updated = (await sessions.updateSession('s-1', {
          revoke: [
            widget('w1', ['write', 'admin']),
            widget('w2'),
            widget('w3', ['write']),
            widget('never-granted'),
          ],
        }))!;

        expect(updated.metadata.permissions).toEqual({ 'widget:w1': ['read', 'delete'] });
        expect(await sessions.getSession('s-1')).toEqual(updated);
        expect(await sessions.checkPermission('s-1', 'widget', 'w1', 'write')).toBe(false);
        expect(await sessions.checkPermission('s-1', 'widget', 'w1', 'delete')).toBe(true);
        expect(await sessions.checkPermission('s-1', 'widget', 'w2', 'read')).toBe(false);

        const emptied = (await sessions.updateSession('s-1', { revoke: [widget('w1')] }))!;
        expect(emptied.metadata).toEqual({ permissions: {} });
        expect(emptied.version).toBe(3);

        // A revoke never creates grants where there were none.
        await sessions.createSession({ sessionId: 's-2', userId: 'u-1', metadata: { a: [] } });
        const untouched = (await sessions.updateSession('s-2', { revoke: [widget('w1')] }))!;
        expect(untouched.metadata).toEqual({ a: [] });
        expect(untouched.version).toBe(2);
      });

      it('keeps an empty permission list as created, and drops it once the grants change', async () => {
        const sessions = subject();
        const created = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          metadata: { permissions: { 'widget:empty': [], 'widget:w': ['read'] } },
        });
        expect(await sessions.getSession('s-1')).toEqual(created);

        const updated = (await sessions.updateSession('s-1', { grant: [widget('w2', ['read'])] }))!;
        expect(updated.metadata.permissions).toEqual({
          'widget:w': ['read'],
          'widget:w2': ['read'],
        });
        expect(await sessions.getSession('s-1')).toEqual(updated);
      });

      it('applies a combined change in the order roles, claims, grant, revoke', async () => {
        const sessions = subject();
        const created = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          roles: ['admin'],
          metadata: { permissions: { 'widget:w1': ['read'] } },
        });

        const updated = (await sessions.updateSession('s-1', {
          roles: new Set(['viewer']),
          claims: [{ type: 'tier', value: 'beta' }],
          grant: [widget('w1', ['write', 'delete']), widget('w2', ['write'])],
          revoke: [widget('w1', ['delete']), widget('w2')],
        }))!;

        expect(updated).toEqual({
          ...created,
          roles: ['viewer'],
          metadata: {
            permissions: { 'widget:w1': ['read', 'write'] },
            claims: [{ type: 'tier', value: 'beta' }],
          },
          version: 2,
        });
        expect(await sessions.getSession('s-1')).toEqual(updated);
        expect(await sessions.checkPermission('s-1', 'system', 'x', 'admin')).toBe(false);
        expect(await sessions.checkPermission('s-1', 'widget', 'w1', 'write')).toBe(true);
        expect(await sessions.checkPermission('s-1', 'widget', 'w2', 'write')).toBe(false);
      });

      it('never changes the creation time, expiry or TTL, and keeps user metadata exactly as given', async () => {
        const sessions = subject();
        const metadata = {
          empty: {},
          list: [],
          nested: { deep: [{}, [], [[]]], zero: 0, negative: -0.5 },
          big: 1e21,
          small: 1e-7,
          precise: 0.1 + 0.2,
          large: 9007199254740991,
          text: 'ünïcødé ✓ 😀 "quoted" \\ slash/',
          nothing: null,
          flag: false,
        };
        const created = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          ttl: 3600,
          metadata,
        });
        const text = JSON.stringify(created.metadata);

        await sessions.updateSession('s-1', { roles: ['viewer'] });
        await sessions.updateSession('s-1', { grant: [widget('w1', ['read'])] });
        await sessions.updateSession('s-1', { revoke: [widget('w1')] });
        const updated = (await sessions.updateSession('s-1', {
          claims: [{ type: 'tier', value: 'beta' }],
        }))!;

        expect(updated.createdAt).toBe(created.createdAt);
        expect(updated.expiresAt).toBe(created.expiresAt);
        expect(updated.ttl).toBe(3600);
        expect(updated.version).toBe(5);
        const { permissions, claims, ...rest } = updated.metadata;
        expect(permissions).toEqual({});
        expect(claims).toEqual([{ type: 'tier', value: 'beta' }]);
        expect(JSON.stringify(rest)).toBe(text);
        const read = (await sessions.getSession('s-1'))!;
        expect(read).toEqual(updated);
        const { permissions: _p, claims: _c, ...readRest } = read.metadata;
        expect(JSON.stringify(readRest)).toBe(text);
      });

      it('versions grow by exactly one with every change and rotation, and never with a refresh', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-1', userId: 'u-1', ttl: 60 });
        const versions: number[] = [];
        for (let index = 0; index < 5; index += 1) {
          versions.push(
            (await sessions.updateSession('s-1', { grant: [widget(`w${index}`, ['read'])] }))!
              .version,
          );
        }
        expect(await sessions.refreshSession('s-1', 120)).toBe(true);
        expect((await sessions.getSession('s-1'))!.version).toBe(6);
        const rotated = (await sessions.rotateSession('s-1'))!;
        versions.push(rotated.version);
        versions.push((await sessions.updateUserSessions('u-1', { roles: ['viewer'] }))[0].version);

        expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8]);
      });

      it('updating an unknown or deleted session returns null and brings nothing back', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-1', userId: 'u-1', roles: ['admin'] });
        await sessions.deleteSession('s-1');

        expect(await sessions.updateSession('s-1', { roles: ['admin'] })).toBeNull();
        expect(await sessions.updateSession('s-1', { grant: [widget('w1', ['read'])] })).toBeNull();
        expect(await sessions.updateSession('unknown', { claims: [] })).toBeNull();
        expect(await sessions.updateUserSessions('u-1', { roles: ['admin'] })).toEqual([]);
        expect(await sessions.rotateSession('s-1')).toBeNull();
        expect(await sessions.rotateSession('unknown')).toBeNull();

        expect(await sessions.getSession('s-1')).toBeNull();
        expect(await sessions.validateSession('s-1')).toBe(false);
        expect(await sessions.listUserSessions('u-1')).toEqual([]);
        expect(await sessions.checkPermission('s-1', 'widget', 'w1', 'read')).toBe(false);
        expect(await sessions.getSession('unknown')).toBeNull();
      });

      it('updateUserSessions changes every live session of the user, oldest first, and no other', async () => {
        const sessions = subject();
        // Ids not in order of age, so that an order by id cannot pass for it.
        await sessions.createSession({ sessionId: 's-b', userId: 'u-1', roles: ['viewer'] });
        await sleep(5);
        await sessions.createSession({
          sessionId: 's-a',
          userId: 'u-1',
          metadata: { permissions: { 'widget:w1': ['read'] } },
        });
        const other = await sessions.createSession({ sessionId: 's-c', userId: 'u-2' });
        await sessions.createSession({ sessionId: 's-gone', userId: 'u-1' });
        await sessions.deleteSession('s-gone');

        const updated = await sessions.updateUserSessions('u-1', {
          grant: [widget('w1', ['write'])],
          claims: [{ type: 'role', value: 'editor' }],
        });

        expect(ids(updated)).toEqual(['s-b', 's-a']);
        expect(updated.map((session) => session.version)).toEqual([2, 2]);
        expect(updated[0].metadata).toEqual({
          claims: [{ type: 'role', value: 'editor' }],
          permissions: { 'widget:w1': ['write'] },
        });
        expect(updated[1].metadata.permissions).toEqual({ 'widget:w1': ['read', 'write'] });
        updated.forEach(expectDeeplyFrozen);
        expect(await sessions.listUserSessions('u-1')).toEqual(updated);
        expect(await sessions.getSession('s-c')).toEqual(other);
        expect(await sessions.getSession('s-gone')).toBeNull();
        expect(await sessions.updateUserSessions('user-without-sessions', { roles: [] })).toEqual(
          [],
        );
      });

      it('rejects invalid changes with a StateValidationError and changes nothing', async () => {
        const sessions = subject();
        const original = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          roles: ['viewer'],
          metadata: {
            permissions: { 'widget:w1': ['read'] },
            claims: [{ type: 'tier', value: 'x' }],
          },
        });
        const badChanges: unknown[] = [
          undefined,
          null,
          'roles',
          [],
          {},
          { roles: undefined },
          { unknown: true },
          { roles: ['admin'], grants: [] },
          { roles: 'admin' },
          { roles: ['bad role'] },
          { roles: [''] },
          { roles: Array.from({ length: 101 }, (_, index) => `r${index}`) },
          { claims: 'tier' },
          { claims: {} },
          { claims: [null] },
          { claims: ['tier'] },
          { claims: [{ type: 'bad type', value: 'x' }] },
          { claims: [{ type: '', value: 'x' }] },
          { claims: [{ type: 'tier', value: 5 }] },
          { claims: [{ type: 'tier' }] },
          { claims: [{ value: 'x' }] },
          { claims: [{ type: 'tier', value: 'x', extra: 1 }] },
          { claims: [{ type: 'role', value: 'not a role' }] },
          { claims: [{ type: 'tier', value: 'v'.repeat(1025) }] },
          { claims: [{ type: 'tier', value: 'lone \ud800 half' }] },
          { claims: Array.from({ length: 101 }, () => ({ type: 'tier', value: 'x' })) },
          { grant: [] },
          { grant: {} },
          { grant: [null] },
          { grant: [widget('w2')] },
          { grant: [widget('w2', [])] },
          { grant: [{ ...widget('w2'), permissions: 'write' }] },
          { grant: [widget('w2', ['bad permission'])] },
          { grant: [widget('', ['write'])] },
          { grant: [widget('w\n2', ['write'])] },
          { grant: [widget('w\u202e2', ['write'])] },
          { grant: [{ resourceType: 'file', resourceId: 'w2', permissions: ['write'] }] },
          { grant: [{ resourceId: 'w2', permissions: ['write'] }] },
          { grant: [{ ...widget('w2', ['write']), extra: 1 }] },
          { grant: Array.from({ length: 101 }, (_, index) => widget(`w${index}`, ['write'])) },
          {
            grant: [
              widget(
                'w2',
                Array.from({ length: 65 }, (_, index) => `p${index}`),
              ),
            ],
          },
          { revoke: [] },
          { revoke: [widget('w1', [])] },
          { revoke: [{ resourceType: 'file', resourceId: 'w1' }] },
          { roles: ['editor'], revoke: [widget('w1', ['bad permission'])] },
        ];

        for (const change of badChanges) {
          await expectValidationError(() =>
            sessions.updateSession('s-1', unchecked<SessionChange>(change)),
          );
          await expectValidationError(() =>
            sessions.updateUserSessions('u-1', unchecked<SessionChange>(change)),
          );
        }
        await expectValidationError(() => sessions.updateSession('', { roles: [] }));
        await expectValidationError(() => sessions.updateSession('s\n1', { roles: [] }));
        await expectValidationError(() => sessions.updateUserSessions('', { roles: [] }));
        await expectValidationError(() => sessions.rotateSession(''));
        await expectValidationError(() => sessions.rotateSession(unchecked<string>(42)));

        expect(await sessions.getSession('s-1')).toEqual(original);
        expect(await sessions.listUserSessions('u-1')).toEqual([original]);
        expect(await sessions.checkPermission('s-1', 'widget', 'w2', 'write')).toBe(false);
      });

      it('refuses a change that would leave grants over MAX_GRANT_BYTES, on every session alike, and changes nothing', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-1', userId: 'u-1' });
        await sessions.createSession({ sessionId: 's-2', userId: 'u-1' });
        // Each resource: a 256-character id and 64 permissions of 60 characters, about 4.2 KB.
        const permissions = Array.from({ length: 64 }, (_, index) => `p${index}`.padEnd(60, 'x'));
        const resources = (from: number, count: number) =>
          Array.from({ length: count }, (_, index) =>
            widget(`${from + index}`.padEnd(256, 'i'), permissions),
          );

        const first = (await sessions.updateSession('s-1', { grant: resources(0, 10) }))!;
        expect(Object.keys(first.metadata.permissions as object)).toHaveLength(10);
        await expectValidationError(() =>
          sessions.updateSession('s-1', { grant: resources(10, 10) }),
        );
        expect(await sessions.getSession('s-1')).toEqual(first);
        await expectValidationError(() =>
          sessions.updateUserSessions('u-1', { grant: resources(20, 12) }),
        );
        expect((await sessions.getSession('s-1'))!.version).toBe(2);
        expect((await sessions.getSession('s-2'))!.version).toBe(1);
        expect((await sessions.getSession('s-2'))!.metadata).toEqual({});
        // Revoking frees room again.
        await sessions.updateSession('s-1', { revoke: resources(0, 10) });
        expect((await sessions.updateSession('s-1', { grant: resources(10, 10) }))!.version).toBe(
          4,
        );
      });

      it('keeps all of 50 concurrent grants on distinct resources', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-1', userId: 'u-1' });

        const results = await Promise.all(
          Array.from({ length: 50 }, (_, index) =>
            sessions.updateSession('s-1', { grant: [widget(`w-${index}`, ['write'])] }),
          ),
        );

        expect(results.map((result) => result!.version).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 50 }, (_, index) => index + 2),
        );
        const final = (await sessions.getSession('s-1'))!;
        expect(final.version).toBe(51);
        expect(Object.keys(final.metadata.permissions as object).sort()).toEqual(
          Array.from({ length: 50 }, (_, index) => `widget:w-${index}`).sort(),
        );
        for (let index = 0; index < 50; index += 1) {
          expect(await sessions.checkPermission('s-1', 'widget', `w-${index}`, 'write')).toBe(true);
        }
      });

      it('keeps all of concurrent user-wide and single-session changes', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-1', userId: 'u-1' });
        await sessions.createSession({ sessionId: 's-2', userId: 'u-1' });

        await Promise.all([
          ...Array.from({ length: 20 }, (_, index) =>
            sessions.updateUserSessions('u-1', { grant: [widget(`all-${index}`, ['read'])] }),
          ),
          ...Array.from({ length: 20 }, (_, index) =>
            sessions.updateSession('s-1', { grant: [widget(`one-${index}`, ['read'])] }),
          ),
        ]);

        const first = (await sessions.getSession('s-1'))!;
        const second = (await sessions.getSession('s-2'))!;
        expect(first.version).toBe(41);
        expect(second.version).toBe(21);
        expect(Object.keys(first.metadata.permissions as object)).toHaveLength(40);
        expect(Object.keys(second.metadata.permissions as object)).toHaveLength(20);
      });

      it('rotateSession moves a session to a new random id: the old id stops working at once', async () => {
        const sessions = subject();
        await sessions.createSession({ sessionId: 's-other', userId: 'u-1' });
        await sleep(5);
        const created = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          roles: ['admin'],
          ttl: 3600,
          metadata: {
            permissions: { 'widget:w1': ['write'] },
            claims: [{ type: 'tier', value: 'x' }],
            a: {},
          },
        });
        expect(await sessions.getSession('s-1')).toEqual(created);

        const rotated = (await sessions.rotateSession('s-1'))!;

        expect(rotated.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(rotated.sessionId).not.toBe('s-1');
        expect(rotated).toEqual({ ...created, sessionId: rotated.sessionId, version: 2 });
        expectDeeplyFrozen(rotated);
        expect(await sessions.getSession(rotated.sessionId)).toEqual(rotated);
        expect(await sessions.getSession('s-1')).toBeNull();
        expect(await sessions.validateSession('s-1')).toBe(false);
        expect(await sessions.checkPermission('s-1', 'widget', 'w1', 'write')).toBe(false);
        expect(await sessions.checkPermission(rotated.sessionId, 'widget', 'w1', 'write')).toBe(
          true,
        );
        expect(ids(await sessions.listUserSessions('u-1'))).toEqual(['s-other', rotated.sessionId]);
        expect(await sessions.updateSession('s-1', { roles: [] })).toBeNull();
        expect(await sessions.refreshSession('s-1')).toBe(false);
        expect(await sessions.rotateSession('s-1')).toBeNull();
        expect(await sessions.deleteSession('s-1')).toBe(false);
        // The id is free again, as any deleted id is.
        const reused = await sessions.createSession({ sessionId: 's-1', userId: 'u-2' });
        expect(reused.version).toBe(1);

        const again = (await sessions.rotateSession(rotated.sessionId))!;
        expect(again.version).toBe(3);
        expect(again.sessionId).not.toBe(rotated.sessionId);
        expect(await sessions.getSession(rotated.sessionId)).toBeNull();
        expect(await sessions.deleteUserSessions('u-1')).toBe(2);
        expect(await sessions.getSession(again.sessionId)).toBeNull();
      });

      it('rotating many sessions gives distinct ids', async () => {
        const sessions = subject();
        const created = await Promise.all(
          Array.from({ length: 10 }, () => sessions.createSession({ userId: 'u-1' })),
        );
        const rotated = await Promise.all(
          created.map((session) => sessions.rotateSession(session.sessionId)),
        );
        const all = new Set([...ids(created), ...rotated.map((session) => session!.sessionId)]);
        expect(all.size).toBe(20);
        expect((await sessions.listUserSessions('u-1')).length).toBe(10);
      });

      it('a role claim and a role are the same role to checkPermission', async () => {
        const sessions = subject();
        await sessions.setRolePermissions('analyst', ['export']);
        await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          metadata: {
            claims: [
              { type: 'role', value: 'editor' },
              { type: 'group', value: 'admin' },
            ],
          },
        });
        const check = (permission: string) =>
          sessions.checkPermission('s-1', 'widget', 'w', permission);

        expect(await check('write')).toBe(true);
        expect(await check('admin')).toBe(false);

        await sessions.updateSession('s-1', { claims: [{ type: 'role', value: 'analyst' }] });
        expect(await check('export')).toBe(true);
        expect(await check('write')).toBe(false);

        await sessions.updateSession('s-1', { claims: [] });
        expect(await check('export')).toBe(false);
      });

      it('names that are also names on Object.prototype are ordinary unknown names', async () => {
        const sessions = subject();
        const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
        await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          roles: names,
          metadata: {
            permissions: { 'widget:constructor': ['toString'], 'widget:__proto__': ['valueOf'] },
            claims: [
              { type: 'constructor', value: '__proto__' },
              { type: 'role', value: 'toString' },
            ],
          },
        });

        for (const name of names) {
          expect(await sessions.getRolePermissions(name)).toEqual([]);
          expect(await sessions.checkPermission('s-1', 'widget', 'w', name)).toBe(false);
          expect(await sessions.checkPermission('s-1', 'system', name, 'read')).toBe(false);
        }
        expect(await sessions.checkPermission('s-1', 'widget', 'constructor', 'toString')).toBe(
          true,
        );
        expect(await sessions.checkPermission('s-1', 'widget', '__proto__', 'valueOf')).toBe(true);
        expect(await sessions.checkPermission('s-1', 'widget', '__proto__', 'toString')).toBe(
          false,
        );
        await expectValidationError(() => sessions.getRolePermissions('__proto__'));
        await expectValidationError(() =>
          sessions.checkPermission('s-1', 'widget', 'w', '__proto__'),
        );

        await sessions.setRolePermissions('constructor', ['read']);
        expect(await sessions.getRolePermissions('constructor')).toEqual(['read']);
        expect(await sessions.checkPermission('s-1', 'widget', 'w', 'read')).toBe(true);
        await sessions.setRolePermissions('constructor', []);

        const updated = (await sessions.updateSession('s-1', {
          roles: ['valueOf'],
          claims: [{ type: 'role', value: 'hasOwnProperty' }],
          grant: [widget('hasOwnProperty', ['constructor'])],
          revoke: [widget('__proto__')],
        }))!;
        expect(updated.metadata.permissions).toEqual({
          'widget:constructor': ['toString'],
          'widget:hasOwnProperty': ['constructor'],
        });
        expect(
          await sessions.checkPermission('s-1', 'widget', 'hasOwnProperty', 'constructor'),
        ).toBe(true);
        expect(await sessions.checkPermission('s-1', 'widget', 'w', 'read')).toBe(false);
      });
    });

    describe('updates with a short TTL', () => {
      const subject = useContractSubject(factory, SHORT_CONTRACT_TTLS);

      it('an update keeps the expiry, and nothing brings back an expired session', async () => {
        const sessions = subject();
        const expiring = await sessions.createSession({ sessionId: 's-short', userId: 'u-1' });
        const long = await sessions.createSession({ sessionId: 's-long', userId: 'u-1', ttl: 60 });

        const updated = (await sessions.updateSession('s-short', { roles: ['admin'] }))!;
        expect(updated.expiresAt).toBe(expiring.expiresAt);

        await waitFor(async () => !(await sessions.validateSession('s-short')), {
          timeoutMs: SHORT_CONTRACT_TTLS.sessionTtl * 1000 + 2000,
          description: 's-short to expire',
        });
        await sleepUntilPast(expiring.expiresAt);

        expect(await sessions.updateSession('s-short', { roles: ['admin'] })).toBeNull();
        expect(ids(await sessions.updateUserSessions('u-1', { roles: ['viewer'] }))).toEqual([
          's-long',
        ]);
        expect(await sessions.rotateSession('s-short')).toBeNull();
        expect(await sessions.getSession('s-short')).toBeNull();
        expect(await sessions.checkPermission('s-short', 'system', 'x', 'admin')).toBe(false);
        expect(ids(await sessions.listUserSessions('u-1'))).toEqual(['s-long']);
        expect((await sessions.getSession('s-long'))!.expiresAt).toBe(long.expiresAt);
      });

      it('a rotated session keeps its expiry and expires on time', async () => {
        const sessions = subject();
        const created = await sessions.createSession({ sessionId: 's-1', userId: 'u-1' });
        const rotated = (await sessions.rotateSession('s-1'))!;
        expect(rotated.expiresAt).toBe(created.expiresAt);

        await waitFor(async () => !(await sessions.validateSession(rotated.sessionId)), {
          timeoutMs: SHORT_CONTRACT_TTLS.sessionTtl * 1000 + 2000,
          description: 'the rotated session to expire',
        });
        expect(await sessions.listUserSessions('u-1')).toEqual([]);
      });
    });

    describe('with a short absolute lifetime', () => {
      const lifetime = 1.2;
      const subject = useContractSubject(factory, {
        ...SHORT_CONTRACT_TTLS,
        sessionTtl: 0.5,
        sessionMaxLifetime: lifetime,
      });

      it('createSession refuses a ttl longer than the absolute lifetime', async () => {
        const sessions = subject();
        await expectValidationError(() =>
          sessions.createSession({ sessionId: 's-1', userId: 'u-1', ttl: lifetime + 0.1 }),
        );
        expect(await sessions.getSession('s-1')).toBeNull();
        expect(await sessions.listUserSessions('u-1')).toEqual([]);
        const longest = await sessions.createSession({
          sessionId: 's-1',
          userId: 'u-1',
          ttl: lifetime,
        });
        expect(longest.expiresAt - longest.createdAt).toBe(lifetime * 1000);
      });

      it('a refresh never extends a session past its absolute lifetime', async () => {
        const sessions = subject();
        const created = await sessions.createSession({ sessionId: 's-1', userId: 'u-1' });
        const end = created.createdAt + lifetime * 1000;

        expect(await sessions.refreshSession('s-1', 3600)).toBe(true);
        expect((await sessions.getSession('s-1'))!.expiresAt).toBe(end);

        // Refreshing all along keeps it no longer than its lifetime.
        await waitFor(
          async () => {
            await sessions.refreshSession('s-1');
            return !(await sessions.validateSession('s-1'));
          },
          {
            timeoutMs: lifetime * 1000 + 2000,
            intervalMs: 50,
            description: 's-1 to reach its lifetime',
          },
        );
        await sleepUntilPast(end);
        expect(await sessions.refreshSession('s-1', 3600)).toBe(false);
        expect(await sessions.getSession('s-1')).toBeNull();
        expect(await sessions.listUserSessions('u-1')).toEqual([]);
        expect(await sessions.updateSession('s-1', { roles: [] })).toBeNull();
      });

      it('an update or a rotation never extends a session either', async () => {
        const sessions = subject();
        const created = await sessions.createSession({ sessionId: 's-1', userId: 'u-1' });
        await sessions.updateSession('s-1', { roles: ['viewer'] });
        const rotated = (await sessions.rotateSession('s-1'))!;
        expect(rotated.expiresAt).toBe(created.expiresAt);
        expect(await sessions.refreshSession(rotated.sessionId, 3600)).toBe(true);
        expect((await sessions.getSession(rotated.sessionId))!.expiresAt).toBe(
          created.createdAt + lifetime * 1000,
        );
      });
    });
  });
}
