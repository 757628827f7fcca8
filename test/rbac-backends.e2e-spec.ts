import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import fc from 'fast-check';
import { checkWidgetPermission, ClaimsPrincipal, hasPermission, isAdmin } from '@livegate/auth';
import {
  DEFAULT_ROLE_PERMISSIONS,
  RESOURCE_TYPES,
  SessionStore,
  StateModule,
  StateValidationError,
  type ResourceType,
  type SessionClaim,
  type StateModuleOptions,
} from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';
import { authTestModule } from './support/auth-app';
import { startApp } from './support/platform';

/** Names that are also names on `Object.prototype`: ordinary unknown names everywhere. */
const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const ROLES = [
  'admin',
  'editor',
  'viewer',
  'anonymous',
  'analyst',
  'unknown-role',
  ...PROTOTYPE_NAMES,
];
const PERMISSIONS = [
  'read',
  'write',
  'delete',
  'admin',
  'manage_users',
  'export',
  ...PROTOTYPE_NAMES,
];
const IDS = [
  'a',
  'b',
  'a:b',
  'dashboard-1',
  'dashboard-10',
  'constructor',
  '__proto__',
  'toString',
];
const CLAIM_TYPES = ['tier', 'group', 'constructor', 'valueOf'];
const CUSTOM: Record<string, string[]> = { analyst: ['read', 'export'] };

/** The roles of a session with these roles and claims: its roles, then its role claims. */
function effective(roles: string[], claims: SessionClaim[]): string[] {
  return [
    ...new Set([
      ...roles,
      ...claims.filter((claim) => claim.type === 'role').map((claim) => claim.value),
    ]),
  ];
}

/** The decision every backend must make, written out plainly. */
function expected(
  roles: string[],
  grants: Record<string, string[]>,
  type: ResourceType,
  id: string,
  permission: string,
): boolean {
  const table: Record<string, readonly string[]> = { ...DEFAULT_ROLE_PERMISSIONS, ...CUSTOM };
  const key = `${type}:${id}`;
  return (
    roles.some((role) => Object.hasOwn(table, role) && table[role].includes(permission)) ||
    (Object.hasOwn(grants, key) && grants[key].includes(permission))
  );
}

const backendOptions = (
  redis: RedisTestServer,
  directory: string,
  name: string,
): Record<string, StateModuleOptions> => ({
  memory: { backend: 'memory' },
  sqlite: {
    backend: 'sqlite',
    sqlitePath: join(directory, `${name}.db`),
    sqliteKey: `x'${randomBytes(32).toString('hex')}'`,
  },
  redis: { backend: 'redis', redisUrl: redis.url, redisPrefix: name },
});

const grantsArbitrary = fc.dictionary(
  fc
    .tuple(fc.constantFrom(...RESOURCE_TYPES), fc.constantFrom(...IDS))
    .map(([type, id]) => `${type}:${id}`),
  fc.subarray(PERMISSIONS),
  { maxKeys: 4 },
);

/** Claims of a session: role claims naming any of the roles, and claims of other types. */
const claimsArbitrary = fc
  .tuple(
    fc.subarray(ROLES),
    fc.array(
      fc.record({ type: fc.constantFrom(...CLAIM_TYPES), value: fc.constantFrom(...ROLES) }),
      { maxLength: 2 },
    ),
  )
  .chain(([roleClaims, others]) =>
    fc.shuffledSubarray([...roleClaims.map((value) => ({ type: 'role', value })), ...others], {
      minLength: roleClaims.length + others.length,
    }),
  );

/**
 * The RBAC decision table, property-tested: the same random sessions, grants and questions give
 * the same answers on the memory, SQLite and Redis backends, and the answers of the table above.
 */
describe('RBAC decisions on every backend', () => {
  let redis: RedisTestServer;
  let directory: string;
  const modules: TestingModule[] = [];
  const stores: Record<string, SessionStore> = {};

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    directory = mkdtempSync(join(tmpdir(), 'livegate-rbac-'));
    for (const [name, options] of Object.entries(backendOptions(redis, directory, 'rbac'))) {
      const moduleRef = await Test.createTestingModule({
        imports: [StateModule.forRoot({ ...options, workerId: `rbac-${name}` })],
      }).compile();
      modules.push(moduleRef);
      stores[name] = moduleRef.get(SessionStore);
      for (const [role, permissions] of Object.entries(CUSTOM)) {
        await stores[name].setRolePermissions(role, permissions);
      }
    }
  });

  afterAll(async () => {
    await Promise.all(modules.map((moduleRef) => moduleRef.close()));
    await redis?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('checkPermission agrees with the table on memory, SQLite and Redis', async () => {
    let sequence = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(ROLES),
        grantsArbitrary,
        fc.constantFrom(...RESOURCE_TYPES),
        fc.constantFrom(...IDS),
        fc.constantFrom(...PERMISSIONS),
        async (roles, grants, type, id, permission) => {
          const sessionId = `property-${sequence++}`;
          const want = expected(roles, grants, type, id, permission);
          for (const [name, store] of Object.entries(stores)) {
            const session = await store.createSession({
              sessionId,
              userId: 'user',
              roles,
              metadata: { permissions: grants },
            });
            const got = await store.checkPermission(sessionId, type, id, permission);
            expect({ backend: name, decision: got }).toEqual({ backend: name, decision: want });
            expect(await hasPermission(store, session, permission)).toBe(
              expected(roles, {}, type, id, permission),
            );
            expect(isAdmin(session)).toBe(roles.includes('admin'));
            if (type === 'widget') {
              expect(await checkWidgetPermission(session, id, permission, store)).toBe(want);
            }
            await store.deleteSession(sessionId);
          }
        },
      ),
      { numRuns: 150, seed: 20261122 },
    );
  });

  it('a role claim and a role are the same role to every check, on every backend', async () => {
    let sequence = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(ROLES),
        claimsArbitrary,
        grantsArbitrary,
        fc.constantFrom(...RESOURCE_TYPES),
        fc.constantFrom(...IDS),
        fc.constantFrom(...PERMISSIONS),
        fc.boolean(),
        async (roles, claims, grants, type, id, permission, throughUpdate) => {
          const sessionId = `claims-${sequence++}`;
          const roleList = effective(roles, claims);
          const want = expected(roleList, grants, type, id, permission);
          for (const [name, store] of Object.entries(stores)) {
            // The claims given at creation, or set afterwards by an update: the same session.
            let session = await store.createSession({
              sessionId,
              userId: 'user',
              roles,
              metadata: throughUpdate ? { permissions: grants } : { permissions: grants, claims },
            });
            if (throughUpdate) {
              session = (await store.updateSession(sessionId, { claims }))!;
            }
            const decision = await store.checkPermission(sessionId, type, id, permission);
            expect({ backend: name, decision }).toEqual({ backend: name, decision: want });
            expect(await hasPermission(store, session, permission)).toBe(
              expected(roleList, {}, type, id, permission),
            );
            expect(isAdmin(session)).toBe(roleList.includes('admin'));
            const principal = ClaimsPrincipal.fromSession(session);
            expect([...principal.roles].sort()).toEqual([...roleList].sort());
            expect(isAdmin(principal)).toBe(roleList.includes('admin'));
            for (const role of ROLES) {
              expect(principal.hasClaim('role', role)).toBe(roleList.includes(role));
            }
            await store.deleteSession(sessionId);
          }
        },
      ),
      { numRuns: 120, seed: 20261123 },
    );
  });

  it('refuses __proto__ as a role or permission name with the same error on every backend', async () => {
    for (const store of Object.values(stores)) {
      const session = await store.createSession({ userId: 'u', roles: ['viewer'] });
      await expect(store.getRolePermissions('__proto__')).rejects.toBeInstanceOf(
        StateValidationError,
      );
      await expect(store.setRolePermissions('__proto__', ['read'])).rejects.toBeInstanceOf(
        StateValidationError,
      );
      await expect(
        store.checkPermission(session.sessionId, 'widget', 'a', '__proto__'),
      ).rejects.toBeInstanceOf(StateValidationError);
      await expect(
        store.createSession({ userId: 'u', roles: ['__proto__'] }),
      ).rejects.toBeInstanceOf(StateValidationError);
      await expect(
        store.updateSession(session.sessionId, { claims: [{ type: '__proto__', value: 'x' }] }),
      ).rejects.toBeInstanceOf(StateValidationError);
      await expect(
        store.updateSession(session.sessionId, { claims: [{ type: 'role', value: '__proto__' }] }),
      ).rejects.toBeInstanceOf(StateValidationError);
      expect((await store.getSession(session.sessionId))!.version).toBe(1);
      await store.deleteSession(session.sessionId);
    }
  });

  it('denies every question about a deleted or unknown session on every backend', async () => {
    for (const store of Object.values(stores)) {
      const session = await store.createSession({ userId: 'u', roles: ['admin'] });
      await store.deleteSession(session.sessionId);
      expect(await store.checkPermission(session.sessionId, 'system', 'x', 'read')).toBe(false);
      expect(await store.checkPermission('never-existed', 'widget', 'a', 'read')).toBe(false);
      expect(await checkWidgetPermission(null, 'a', 'read', store)).toBe(false);
    }
  });
});

/**
 * The same question through the HTTP guard: `@Roles`, `@RequireClaims`, `@RequirePermission`
 * (with and without a resource) decide alike for a role given as a role or as a role claim, on
 * every backend.
 */
describe('RBAC decisions through the HTTP guard on every backend', () => {
  let redis: RedisTestServer;
  let directory: string;
  const apps: Record<string, { app: INestApplication; base: string; store: SessionStore }> = {};

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    directory = mkdtempSync(join(tmpdir(), 'livegate-rbac-http-'));
    for (const [name, options] of Object.entries(backendOptions(redis, directory, 'rbac-http'))) {
      const { app, base } = await startApp(
        [
          authTestModule(
            {
              enabled: true,
              tokenSecret: 'rbac-http-secret-0123456789-abcdefghij',
              secureCookies: false,
            },
            { ...options, workerId: `rbac-http-${name}` },
          ),
        ],
        'express',
      );
      const store = app.get(SessionStore);
      for (const [role, permissions] of Object.entries(CUSTOM)) {
        await store.setRolePermissions(role, permissions);
      }
      apps[name] = { app, base, store };
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(apps).map(({ app }) => app.close()));
    await redis?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers the same as the table for roles and role claims', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(ROLES),
        claimsArbitrary,
        grantsArbitrary,
        fc.constantFrom(...IDS.filter((id) => id !== 'a:b')),
        async (roles, claims, grants, id) => {
          const roleList = effective(roles, claims);
          const has = (role: string) => roleList.includes(role);
          const can = (permission: string) => expected(roleList, grants, 'widget', id, permission);
          const want: Record<string, number> = {
            '/admin': has('admin') ? 200 : 403,
            '/editors': has('admin') || has('editor') ? 200 : 403,
            '/claims': has('editor') ? 200 : 403,
            '/export': expected(roleList, {}, 'system', 'x', 'export') ? 200 : 403,
            [`/widgets/${encodeURIComponent(id)}/edit`]: !can('read')
              ? 404
              : can('write')
                ? 200
                : 403,
            [`/widgets/${encodeURIComponent(id)}/view`]: can('read') ? 200 : 404,
          };
          for (const [name, { base, store }] of Object.entries(apps)) {
            const session = await store.createSession({
              userId: 'user',
              roles,
              metadata: { permissions: grants, claims },
            });
            const headers = { cookie: `livegate_session=${session.sessionId}` };
            for (const [path, status] of Object.entries(want)) {
              const response = await fetch(`${base}${path}`, { headers });
              await response.arrayBuffer();
              expect({ backend: name, path, status: response.status }).toEqual({
                backend: name,
                path,
                status,
              });
            }
            await store.deleteSession(session.sessionId);
          }
        },
      ),
      { numRuns: 40, seed: 20261124 },
    );
  });
});
