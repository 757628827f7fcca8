import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { SessionStore, type UserSession } from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';
import { LoginSessions, type AuthModuleOptions } from '@livegate/auth';
import {
  authTestModule,
  countingMemoryBackend,
  resetCalls,
  type StoreCalls,
} from './support/auth-app';
import { PLATFORMS, startApp, type Platform } from './support/platform';

const SECRET = 'login-secret-0123456789-abcdefghijklmnop';
const ADMIN_USERS = ['github:42', 'boss@example.com'];
const GENERATED_ID = /^[A-Za-z0-9_-]{43}$/;

interface ParsedCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

function parseSetCookie(line: string): ParsedCookie {
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  const separator = pair.indexOf('=');
  return {
    name: pair.slice(0, separator),
    value: pair.slice(separator + 1),
    attributes: Object.fromEntries(
      attributes.map((attribute) => {
        const equals = attribute.indexOf('=');
        return equals < 0
          ? [attribute.toLowerCase(), true]
          : [attribute.slice(0, equals).toLowerCase(), attribute.slice(equals + 1)];
      }),
    ),
  };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  cookies: ParsedCookie[];
  headers: Headers;
}

async function request(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    cookies: response.headers.getSetCookie().map(parseSetCookie),
    headers: response.headers,
  };
}

async function bootLoginApp(platform: Platform, auth: AuthModuleOptions = {}) {
  const counting = countingMemoryBackend();
  const { app, base } = await startApp(
    [
      authTestModule(
        {
          enabled: true,
          tokenSecret: SECRET,
          adminUsers: ADMIN_USERS,
          defaultRoles: ['viewer'],
          ...auth,
        },
        { backend: counting.backend },
      ),
    ],
    platform,
  );
  return { app, base, calls: counting.calls, store: app.get(SessionStore) };
}

describe.each(PLATFORMS)('LoginSessions on %s', (platform) => {
  describe.each([true, false])('with secureCookies %s', (secure) => {
    let app: INestApplication;
    let base: string;
    let store: SessionStore;
    let calls: StoreCalls;
    const cookieName = secure ? '__Host-livegate_session' : 'livegate_session';
    const plainName = 'livegate_session';
    const as = (sessionId: string) => ({ cookie: `${cookieName}=${sessionId}` });

    beforeAll(async () => {
      ({ app, base, store, calls } = await bootLoginApp(platform, { secureCookies: secure }));
    });

    afterAll(async () => {
      await app?.close();
    });

    /** The one `Set-Cookie` line of the session cookie, with exactly the documented attributes. */
    function expectSessionCookie(answer: Answer, value: string, maxAge: [number, number]) {
      const mine = answer.cookies.filter((cookie) => cookie.name === cookieName);
      expect(mine).toHaveLength(1);
      const [cookie] = mine;
      expect(cookie.value).toBe(value);
      const { 'max-age': age, ...rest } = cookie.attributes;
      expect(rest).toEqual({
        path: '/',
        httponly: true,
        samesite: 'Lax',
        ...(secure ? { secure: true } : {}),
      });
      expect(Number(age)).toBeGreaterThanOrEqual(maxAge[0]);
      expect(Number(age)).toBeLessThanOrEqual(maxAge[1]);
    }

    it('gives every login a fresh random id and deletes the session the browser presented before', async () => {
      type Before = 'none' | 'attacker' | 'same-user' | 'unknown' | 'malformed' | 'plain-named';
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<Before>(
            'none',
            'attacker',
            'same-user',
            'unknown',
            'malformed',
            'plain-named',
          ),
          fc.constantFrom<string | undefined>(undefined, 'chosen-by-attacker', 'attacker'),
          async (before, smuggled) => {
            const planted = await store.createSession({ userId: 'mallory', roles: ['viewer'] });
            const earlier = await store.createSession({ userId: 'alice', roles: ['viewer'] });
            const presented = {
              none: undefined,
              attacker: planted.sessionId,
              'same-user': earlier.sessionId,
              unknown: 'unknown-but-well-formed-id',
              malformed: 'bad%20id',
              'plain-named': planted.sessionId,
            }[before];
            const headers: Record<string, string> =
              presented === undefined
                ? {}
                : { cookie: `${before === 'plain-named' ? plainName : cookieName}=${presented}` };
            const sessionId = smuggled === 'attacker' ? planted.sessionId : smuggled;
            const answer = await request(base, 'POST', '/session/login', {
              headers,
              body: { userId: 'alice', ...(sessionId ? { sessionId } : {}) },
            });
            expect(answer.status).toBe(200);
            const fresh = answer.body.sessionId as string;
            expect(fresh).toMatch(GENERATED_ID);
            expect([planted.sessionId, earlier.sessionId, presented, sessionId]).not.toContain(
              fresh,
            );
            expect(await store.getSession('chosen-by-attacker')).toBeNull();
            // The cookie the browser presented names no live session any more.
            const readCookie = presented !== undefined && before !== 'plain-named';
            if (readCookie && before !== 'unknown' && before !== 'malformed') {
              expect(await store.getSession(presented)).toBeNull();
              expect((await request(base, 'GET', '/me', { headers: as(presented) })).status).toBe(
                401,
              );
            }
            // A cookie this app never reads is nobody's login: left as it was, still mallory's.
            if (before === 'plain-named' && secure) {
              expect((await store.getSession(planted.sessionId))?.userId).toBe('mallory');
            }
            expect(await request(base, 'GET', '/me', { headers: as(fresh) })).toMatchObject({
              status: 200,
              body: { userId: 'alice', sessionId: fresh },
            });
            await store.deleteUserSessions('alice');
            await store.deleteUserSessions('mallory');
          },
        ),
        { numRuns: 30 },
      );
    });

    it('writes the session cookie with the documented attributes, Max-Age ending with the session', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 60, max: 86_400 }), async (ttl) => {
          const answer = await request(base, 'POST', '/session/login', {
            body: { userId: 'carol', ttl },
          });
          expect(answer.status).toBe(200);
          const remaining = Math.floor(((answer.body.expiresAt as number) - Date.now()) / 1000);
          expectSessionCookie(answer, answer.body.sessionId as string, [
            Math.min(remaining, ttl - 2),
            ttl,
          ]);
        }),
        { numRuns: 15 },
      );
      await store.deleteUserSessions('carol');
    });

    it('promotes to admin only configured user ids (or aliases) and verified configured emails', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('github:42', 'github:43', 'boss@example.com', 'local:boss'),
          fc.constantFrom(undefined, 'boss@example.com', 'BOSS@example.com', 'other@example.com'),
          fc.constantFrom<unknown>(undefined, true, false, 'true', 1),
          fc.constantFrom<string[] | undefined>(undefined, ['editor'], []),
          fc.constantFrom<string[] | undefined>(
            undefined,
            [],
            ['github:42'],
            ['github:43', 'boss@example.com'],
          ),
          async (userId, email, emailVerified, roles, aliases) => {
            const answer = await request(base, 'POST', '/session/login', {
              body: { userId, email, emailVerified, roles, aliases },
            });
            expect(answer.status).toBe(200);
            const admin =
              userId === 'github:42' ||
              (aliases ?? []).includes('github:42') ||
              (emailVerified === true && email === 'boss@example.com');
            const expected = new Set(roles ?? ['viewer']);
            if (admin) {
              expected.add('admin');
            }
            expect([...(answer.body.roles as string[])].sort()).toEqual([...expected].sort());
            await store.deleteUserSessions(userId);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('logs out: deletes the session, clears the cookie, and the old id no longer works', async () => {
      for (const via of ['cookie', 'bearer'] as const) {
        const login = await request(base, 'POST', '/session/login', { body: { userId: 'dave' } });
        const sessionId = login.body.sessionId as string;
        const headers = via === 'cookie' ? as(sessionId) : { authorization: `Bearer ${sessionId}` };
        const logout = await request(base, 'POST', '/session/logout', { headers });
        expect(logout.status).toBe(200);
        expect(logout.body).toEqual({ deleted: true });
        expectSessionCookie(logout, '', [0, 0]);
        expect(await store.getSession(sessionId)).toBeNull();
        expect((await request(base, 'GET', '/me', { headers })).status).toBe(401);
        const again = await request(base, 'POST', '/session/logout', { headers });
        expect(again.body).toEqual({ deleted: false });
        expectSessionCookie(again, '', [0, 0]);
      }
    });

    it('refuses bad login input with 400 and changes nothing, the presented session included', async () => {
      const badInputs = fc.oneof(
        fc.record({
          userId: fc.oneof(
            fc.constantFrom('', ' padded', 'bad\nid', 'x'.repeat(257), 'rtl\u202eid'),
            fc.integer(),
            fc.constant(null),
          ),
        }),
        fc.record({
          userId: fc.constant('erin'),
          roles: fc.oneof(
            fc.constant('admin'),
            fc.constant(['bad role']),
            fc.constant([42]),
            fc.constant(['x'.repeat(65)]),
          ),
        }),
        fc.record({
          userId: fc.constant('erin'),
          ttl: fc.constantFrom<unknown>(0, -5, 'soon', '3600', true, 1e-9, [60]),
        }),
      );
      await fc.assert(
        fc.asyncProperty(badInputs, async (body) => {
          const before = await store.createSession({ userId: 'frank', roles: ['viewer'] });
          resetCalls(calls);
          const answer = await request(base, 'POST', '/session/login', {
            headers: as(before.sessionId),
            body,
          });
          expect(answer.status).toBe(400);
          expect(answer.body).toEqual({ error: 'invalid_input', message: expect.any(String) });
          expect(answer.cookies).toEqual([]);
          expect(calls.deleteSession ?? 0).toBe(0);
          expect(await store.getSession(before.sessionId)).toEqual(before);
          expect(await store.listUserSessions('erin')).toEqual([]);
          await store.deleteSession(before.sessionId);
        }),
        { numRuns: 25 },
      );
    });

    it('moves the session to a new id on a privilege change', async () => {
      const login = await request(base, 'POST', '/session/login', {
        body: { userId: 'gina', roles: ['editor'] },
      });
      const old = login.body.sessionId as string;
      const rotated = await request(base, 'POST', '/session/rotate', { headers: as(old) });
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.sessionId as string;
      expect(fresh).toMatch(GENERATED_ID);
      expect(fresh).not.toBe(old);
      expect(rotated.body.roles).toEqual(['editor']);
      const session = (await store.getSession(fresh)) as UserSession;
      expectSessionCookie(rotated, fresh, [
        Math.floor((session.expiresAt - Date.now()) / 1000) - 1,
        Math.ceil((session.expiresAt - Date.now()) / 1000),
      ]);
      expect(await store.getSession(old)).toBeNull();
      expect((await request(base, 'GET', '/me', { headers: as(old) })).status).toBe(401);
      expect(await request(base, 'GET', '/me', { headers: as(fresh) })).toMatchObject({
        status: 200,
        body: { userId: 'gina', roles: ['editor'], sessionId: fresh },
      });
      const anonymous = await request(base, 'POST', '/session/rotate');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
      expect(anonymous.cookies).toEqual([]);
    });
  });

  it('names the cookie it writes', async () => {
    const { app } = await bootLoginApp(platform, { secureCookies: true });
    try {
      const logins = app.get(LoginSessions);
      expect(logins.cookieName).toBe('__Host-livegate_session');
      expect(logins.clearedSessionCookie()).toBe(
        '__Host-livegate_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
      );
    } finally {
      await app.close();
    }
  });
});

describe.each(PLATFORMS)(
  'StateModule.forRoot({ backend: redis }) beside AuthModule on %s',
  (platform) => {
    let redis: RedisTestServer;
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      redis = await RedisTestServer.start();
      // As the README writes it: no isGlobal anywhere.
      ({ app, base } = await startApp(
        [
          authTestModule(
            { enabled: true, tokenSecret: SECRET, secureCookies: false },
            { backend: 'redis', redisUrl: redis.url, redisPrefix: `login-${platform}` },
          ),
        ],
        platform,
      ));
    });

    afterAll(async () => {
      await app?.close();
      await redis?.dispose();
    });

    it('boots, logs in, authenticates, rotates and logs out', async () => {
      const login = await request(base, 'POST', '/session/login', {
        body: { userId: 'redis-user' },
      });
      expect(login.status).toBe(200);
      const before = { cookie: `livegate_session=${login.body.sessionId as string}` };
      expect((await request(base, 'GET', '/me', { headers: before })).status).toBe(200);
      const rotated = await request(base, 'POST', '/session/rotate', { headers: before });
      expect(rotated.status).toBe(200);
      expect(rotated.body.sessionId).not.toBe(login.body.sessionId);
      // The old id stops working at once, even where this worker's session cache had it.
      expect((await request(base, 'GET', '/me', { headers: before })).status).toBe(401);
      const headers = { cookie: `livegate_session=${rotated.body.sessionId as string}` };
      expect(await request(base, 'GET', '/me', { headers })).toMatchObject({
        status: 200,
        body: { userId: 'redis-user', roles: ['viewer'] },
      });
      expect((await request(base, 'POST', '/session/logout', { headers })).body).toEqual({
        deleted: true,
      });
      expect((await request(base, 'GET', '/me', { headers })).status).toBe(401);
    });
  },
);
