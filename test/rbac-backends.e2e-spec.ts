import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import fc from 'fast-check';
import { checkWidgetPermission, hasPermission, isAdmin } from '@livegate/auth';
import {
  DEFAULT_ROLE_PERMISSIONS,
  RESOURCE_TYPES,
  SessionStore,
  StateModule,
  type ResourceType,
  type StateModuleOptions,
} from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';

const ROLES = ['admin', 'editor', 'viewer', 'anonymous', 'analyst', 'unknown-role'];
const PERMISSIONS = ['read', 'write', 'delete', 'admin', 'manage_users', 'export'];
const IDS = ['a', 'b', 'a:b', 'dashboard-1', 'dashboard-10'];
const CUSTOM: Record<string, string[]> = { analyst: ['read', 'export'] };

/** The decision every backend must make, written out plainly. */
function expected(
  roles: string[],
  grants: Record<string, string[]>,
  type: ResourceType,
  id: string,
  permission: string,
): boolean {
  const table: Record<string, readonly string[]> = { ...DEFAULT_ROLE_PERMISSIONS, ...CUSTOM };
  return (
    roles.some((role) => (table[role] ?? []).includes(permission)) ||
    (grants[`${type}:${id}`] ?? []).includes(permission)
  );
}

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
    const backends: Record<string, StateModuleOptions> = {
      memory: { backend: 'memory' },
      sqlite: {
        backend: 'sqlite',
        sqlitePath: join(directory, 'rbac.db'),
        sqliteKey: `x'${randomBytes(32).toString('hex')}'`,
      },
      redis: { backend: 'redis', redisUrl: redis.url, redisPrefix: 'rbac' },
    };
    for (const [name, options] of Object.entries(backends)) {
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

  const grantsArbitrary = fc.dictionary(
    fc
      .tuple(fc.constantFrom(...RESOURCE_TYPES), fc.constantFrom(...IDS))
      .map(([type, id]) => `${type}:${id}`),
    fc.subarray(PERMISSIONS),
    { maxKeys: 4 },
  );

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
