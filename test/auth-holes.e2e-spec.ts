import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { RETRY_AFTER_SECONDS, SessionStore, type UserSession } from '@livegate/state';
import { RedisTestServer, waitFor } from '@livegate/state/testing';
import { AuthService } from '@livegate/auth';
import {
  authTestModule,
  countingMemoryBackend,
  resetCalls,
  totalCalls,
  type StoreCalls,
} from './support/auth-app';
import { connectedSockets, rawHandshake, socketTestModule } from './support/socket-app';
import { expectError, getAnswer } from './support/http';
import { PLATFORMS, startApp } from './support/platform';

const SECRET = 'holes-secret-0123456789-abcdefghijklmnop';
const HOST_COOKIE = '__Host-livegate_session';
const PLAIN_COOKIE = 'livegate_session';
const ALLOWED_ORIGIN = 'https://app.example';
const SESSION_CHARSET = /^[A-Za-z0-9_.~:-]+$/;

const get = getAnswer;

/** Cookie values a browser may send that are not session ids as they stand. */
const PRINTABLE = [...Array(0x7e - 0x20)].map((_, index) => String.fromCharCode(0x21 + index));
const cookieCharacters = fc.constantFrom(
  ...PRINTABLE.filter((character) => character !== ';'),
  ' ',
  '\u00e9',
  '\u00ff',
);
const foreignCookieValues = fc
  .string({ unit: cookieCharacters, minLength: 1, maxLength: 40 })
  .filter(
    (value) =>
      value.trim() === value &&
      !SESSION_CHARSET.test(value) &&
      // A quoted cookie value is the same value without its quotes, not a different one.
      !(value.length >= 2 && value.startsWith('"') && value.endsWith('"')),
  );

/** Another spelling of an id: some of its characters percent-encoded, in either hex case. */
const percentSpellings = (id: string) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: id.length - 1 }), { minLength: 1, maxLength: 6 })
    .chain((positions) =>
      fc.boolean().map((upper) =>
        [...id]
          .map((character, index) => {
            if (!positions.includes(index)) {
              return character;
            }
            const hex = character.charCodeAt(0).toString(16).padStart(2, '0');
            return `%${upper ? hex.toUpperCase() : hex}`;
          })
          .join(''),
      ),
    );

describe.each(PLATFORMS)('session cookies that must not be read, on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let calls: StoreCalls;
  let victim: UserSession;
  let attacker: UserSession;

  beforeAll(async () => {
    const counting = countingMemoryBackend();
    calls = counting.calls;
    ({ app, base } = await startApp(
      [authTestModule({ enabled: true, tokenSecret: SECRET }, { backend: counting.backend })],
      platform,
    ));
    const store = app.get(SessionStore);
    victim = await store.createSession({ userId: 'victim', roles: ['viewer'] });
    attacker = await store.createSession({ userId: 'attacker', roles: ['admin'] });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('reads only the __Host- cookie when cookies are secure', async () => {
    expect(app.get(AuthService).cookieNames).toEqual([HOST_COOKIE]);
    const me = await get(base, '/me', { cookie: `${HOST_COOKIE}=${victim.sessionId}` });
    expect(me).toMatchObject({ status: 200, body: { userId: 'victim' } });
  });

  it('ignores a plain-named session cookie (a sibling subdomain can plant one), before any lookup', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(victim, attacker),
        fc.constantFrom('/me', '/admin', '/widgets/w1/edit'),
        async (session, path) => {
          resetCalls(calls);
          const headers = { cookie: `${PLAIN_COOKIE}=${session.sessionId}` };
          expectError(await get(base, path, headers), 401, 'unauthorized');
          expect(await get(base, '/public', headers)).toMatchObject({
            status: 200,
            body: { authenticated: false },
          });
          expect(totalCalls(calls)).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('resolves the __Host- cookie beside a planted plain one, whichever comes first', async () => {
    for (const cookie of [
      `${PLAIN_COOKIE}=${attacker.sessionId}; ${HOST_COOKIE}=${victim.sessionId}`,
      `${HOST_COOKIE}=${victim.sessionId}; ${PLAIN_COOKIE}=${attacker.sessionId}`,
    ]) {
      resetCalls(calls);
      const me = await get(base, '/me', { cookie });
      expect(me).toMatchObject({ status: 200, body: { userId: 'victim', roles: ['viewer'] } });
      expect(calls).toEqual({ getSession: 1 });
    }
  });

  it('refuses a cookie value outside the session-id charset before any store lookup', async () => {
    await fc.assert(
      fc.asyncProperty(foreignCookieValues, async (value) => {
        resetCalls(calls);
        const headers = { cookie: `${HOST_COOKIE}=${value}` };
        expectError(await get(base, '/me', headers), 401, 'unauthorized');
        expect(await get(base, '/public', headers)).toMatchObject({
          status: 200,
          body: { authenticated: false },
        });
        expect(totalCalls(calls)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('never percent-decodes a cookie into the live session it would spell', async () => {
    await fc.assert(
      fc.asyncProperty(percentSpellings(victim.sessionId), async (spelling) => {
        resetCalls(calls);
        expect(decodeURIComponent(spelling)).toBe(victim.sessionId);
        expectError(
          await get(base, '/me', { cookie: `${HOST_COOKIE}=${spelling}` }),
          401,
          'unauthorized',
        );
        expect(totalCalls(calls)).toBe(0);
      }),
      { numRuns: 30 },
    );
    // The session itself is untouched.
    expect(await app.get(SessionStore).validateSession(victim.sessionId)).toBe(true);
  });

  it('refuses a bearer outside the charset before any store lookup', async () => {
    await fc.assert(
      fc.asyncProperty(percentSpellings(victim.sessionId), async (spelling) => {
        resetCalls(calls);
        expectError(
          await get(base, '/me', { authorization: `Bearer ${spelling}` }),
          401,
          'unauthorized',
        );
        expect(totalCalls(calls)).toBe(0);
      }),
      { numRuns: 15 },
    );
  });
});

describe.each(PLATFORMS)('socket.io handshakes that must be refused, on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let calls: StoreCalls;
  let viewer: UserSession;

  beforeAll(async () => {
    const counting = countingMemoryBackend();
    calls = counting.calls;
    ({ app, base } = await startApp(
      [
        socketTestModule(
          { enabled: true, tokenSecret: SECRET, allowedOrigins: [ALLOWED_ORIGIN] },
          { backend: counting.backend },
        ),
      ],
      platform,
    ));
    viewer = await app
      .get(SessionStore)
      .createSession({ userId: 'viewer-user', roles: ['viewer'] });
  });

  afterAll(async () => {
    await app?.close();
  });

  async function expectRefused(
    options: Parameters<typeof rawHandshake>[1],
    reason?: RegExp,
  ): Promise<void> {
    const before = connectedSockets.length;
    const outcome = await rawHandshake(base, options);
    expect(outcome).toEqual({
      connected: false,
      message: 'unauthorized',
      data: {
        error: 'unauthorized',
        message: reason ? expect.stringMatching(reason) : expect.any(String),
      },
    });
    expect(connectedSockets.length).toBe(before);
  }

  it('accepts one ?session= without an Origin: it is an explicit credential', async () => {
    expect(await rawHandshake(base, { query: `session=${viewer.sessionId}` })).toEqual({
      connected: true,
    });
  });

  it('refuses a repeated ?session=, even of one valid id, before any store lookup', async () => {
    const ids = fc.oneof(fc.constant(viewer.sessionId), fc.stringMatching(/^[A-Za-z0-9_-]{1,43}$/));
    await fc.assert(
      fc.asyncProperty(
        fc.array(ids, { minLength: 2, maxLength: 4 }),
        fc.boolean(),
        async (values, withOrigin) => {
          resetCalls(calls);
          await expectRefused({
            query: values.map((value) => `session=${encodeURIComponent(value)}`).join('&'),
            headers: withOrigin ? { origin: ALLOWED_ORIGIN } : {},
          });
          expect(totalCalls(calls)).toBe(0);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('refuses an auth.token that is not one string, whatever else comes with it', async () => {
    const notOneString = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(''),
      fc.constant('x'.repeat(513)),
      fc.array(fc.constant(viewer.sessionId), { minLength: 1, maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(notOneString, fc.boolean(), async (token, withBearer) => {
        resetCalls(calls);
        await expectRefused({
          auth: { token },
          headers: withBearer ? { authorization: `Bearer ${viewer.sessionId}` } : {},
        });
        expect(totalCalls(calls)).toBe(0);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a handshake carrying the session cookie without an Origin; explicit bearers need none', async () => {
    type Presence = 'none' | 'valid' | 'junk';
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Presence>('none', 'valid', 'junk'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (cookie, origin, token, bearer) => {
          const headers: Record<string, string> = {};
          if (cookie !== 'none') {
            headers.cookie = `${HOST_COOKIE}=${cookie === 'valid' ? viewer.sessionId : 'no%20such'}`;
          }
          if (origin) {
            headers.origin = ALLOWED_ORIGIN;
          }
          if (bearer) {
            headers.authorization = `Bearer ${viewer.sessionId}`;
          }
          const options = { headers, auth: token ? { token: viewer.sessionId } : {} };
          const usable = cookie === 'valid' || token || bearer;
          resetCalls(calls);
          if (!origin && cookie !== 'none') {
            await expectRefused(options, /Origin/);
            expect(totalCalls(calls)).toBe(0);
          } else if (!usable) {
            await expectRefused(options);
            expect(totalCalls(calls)).toBe(0);
          } else {
            expect(await rawHandshake(base, options)).toEqual({ connected: true });
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('accepts a widget connection by bearer and widget token without an Origin', async () => {
    const tokens = app.get(AuthService);
    expect(
      await rawHandshake(base, {
        auth: {
          token: viewer.sessionId,
          widgetId: 'chart-1',
          widgetToken: tokens.generateWidgetToken('chart-1'),
        },
      }),
    ).toEqual({ connected: true });
  });
});

describe.each(PLATFORMS)('Retry-After while the session store is down, on %s', (platform) => {
  let redis: RedisTestServer;
  let http: { app: INestApplication; base: string };
  let sockets: { app: INestApplication; base: string };
  let session: UserSession;

  beforeAll(async () => {
    // Persistent, so that the session made before the outage is still there after it.
    redis = await RedisTestServer.start({ appendOnly: true });
    http = await startApp(
      [
        authTestModule(
          { enabled: true, tokenSecret: SECRET, secureCookies: false, requireAuthForWidgets: true },
          { backend: 'redis', redisUrl: redis.url, redisPrefix: `retry-${platform}` },
        ),
      ],
      platform,
    );
    sockets = await startApp(
      [
        socketTestModule(
          { enabled: true, tokenSecret: SECRET, secureCookies: false },
          { backend: 'redis', redisUrl: redis.url, redisPrefix: `retry-${platform}` },
        ),
      ],
      platform,
    );
    session = await http.app
      .get(SessionStore)
      .createSession({ userId: 'u', roles: ['admin', 'editor'] });
  });

  afterAll(async () => {
    await http?.app.close();
    await sockets?.app.close();
    await redis?.dispose();
  });

  it('answers 503 with Retry-After on every guarded route, public routes as usual, and recovers', async () => {
    const headers = { cookie: `livegate_session=${session.sessionId}` };
    expect((await get(http.base, '/me', headers)).status).toBe(200);
    await redis.stop();
    const seconds = String(RETRY_AFTER_SECONDS.backend_unavailable);
    for (const path of [
      '/me',
      '/admin',
      '/widget-pages/w1',
      '/widgets/w1/edit',
      '/page',
      '/beta',
    ]) {
      const answer = await get(http.base, path, headers);
      expectError(answer, 503, 'backend_unavailable');
      expect(answer.headers.get('retry-after')).toBe(seconds);
    }
    const open = await get(http.base, '/public', headers);
    expect(open.status).toBe(200);
    expect(open.headers.get('retry-after')).toBeNull();
    // A login cannot happen either; state's filter answers it, with the same header.
    const login = await fetch(`${http.base}/session/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'someone' }),
      signal: AbortSignal.timeout(5000),
    });
    expect(login.status).toBe(503);
    expect(login.headers.get('retry-after')).toBe(seconds);
    expect(await login.json()).toEqual({
      error: 'backend_unavailable',
      message: expect.any(String),
    });
    expect(await rawHandshake(sockets.base, { auth: { token: session.sessionId } })).toEqual({
      connected: false,
      message: 'unauthorized',
      data: { error: 'unauthorized', message: 'The session store is unavailable' },
    });

    await redis.restart();
    await waitFor(async () => (await get(http.base, '/me', headers)).status === 200, {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'the session store answering again',
    });
    expect(await http.app.get(SessionStore).listUserSessions('someone')).toEqual([]);
  });
});
