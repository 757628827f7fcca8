import { Module, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AuthConfigurationError, AuthModule, AuthService, LoginSessions } from '@livegate/auth';
import { StateModule } from '@livegate/state';
import { SessionStore, type UserSession } from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';
import { authTestModule, handlerRuns } from './support/auth-app';
import { expectError, getAnswer } from './support/http';
import { PLATFORMS, startApp } from './support/platform';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

describe.each(PLATFORMS)('auth over HTTP on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let sessions: SessionStore;
  const made: Record<string, UserSession> = {};

  beforeAll(async () => {
    ({ app, base } = await startApp(
      [
        authTestModule({
          enabled: true,
          tokenSecret: SECRET,
          secureCookies: false,
          authHeader: 'X-Livegate-Auth',
          publicPaths: ['/health'],
        }),
      ],
      platform,
    ));
    sessions = app.get(SessionStore);
    await sessions.setRolePermissions('analyst', ['read', 'export']);
    const create = async (
      name: string,
      roles: string[],
      metadata: Record<string, unknown> = {},
    ) => {
      made[name] = await sessions.createSession({ userId: `${name}-user`, roles, metadata });
    };
    await create('admin', ['admin']);
    await create('editor', ['editor']);
    await create('viewer', ['viewer'], { permissions: { 'widget:w1': ['write'] } });
    await create('nobody', [], { permissions: { 'widget:granted': ['read'] } });
    await create('analyst', ['analyst']);
    await create('beta', ['viewer'], { claims: [{ type: 'tier', value: 'beta' }] });
  });

  afterAll(async () => {
    await app?.close();
  });

  const cookie = (name: string) => ({ cookie: `livegate_session=${made[name].sessionId}` });
  const bearer = (name: string) => ({ 'x-livegate-auth': `Bearer ${made[name].sessionId}` });

  const get = (path: string, headers: Record<string, string> = {}) =>
    getAnswer(base, path, headers);

  describe('credentials', () => {
    it('denies a route without decorators to anonymous callers (deny by default): 401', async () => {
      expectError(await get('/me'), 401, 'unauthorized');
    });

    it('reads the session from the cookie', async () => {
      const response = await get('/me', cookie('editor'));
      expect(response).toMatchObject({
        status: 200,
        body: { userId: 'editor-user', roles: ['editor'], sessionId: made.editor.sessionId },
      });
    });

    it('reads a bearer token from the configured header, name and scheme in any case', async () => {
      for (const [name, value] of [
        ['x-livegate-auth', `Bearer ${made.viewer.sessionId}`],
        ['X-LIVEGATE-AUTH', `bearer ${made.viewer.sessionId}`],
      ]) {
        const response = await get('/me', { [name]: value });
        expect(response).toMatchObject({ status: 200, body: { userId: 'viewer-user' } });
      }
    });

    it('resolves a bearer token to exactly the session it names', async () => {
      const second = await sessions.createSession({ userId: 'viewer-user', roles: ['admin'] });
      const response = await get('/me', bearer('viewer'));
      expect(response.body).toMatchObject({ sessionId: made.viewer.sessionId, roles: ['viewer'] });
      await sessions.deleteSession(second.sessionId);
    });

    it('accepts cookie and bearer naming the same session; 400 when they differ', async () => {
      expect((await get('/me', { ...cookie('editor'), ...bearer('editor') })).status).toBe(200);
      expectError(
        await get('/me', { ...cookie('editor'), ...bearer('admin') }),
        400,
        'conflicting_credentials',
      );
      // Even on a public route: the request is refused before it reaches any handler.
      expect((await get('/public', { ...cookie('editor'), ...bearer('admin') })).status).toBe(400);
    });

    it('ignores ?session= on HTTP requests (only the WebSocket handshake reads it)', async () => {
      expectError(await get(`/me?session=${made.admin.sessionId}`), 401, 'unauthorized');
    });

    it('answers 401 for unknown, expired, malformed and tossed credentials', async () => {
      const shortLived = await sessions.createSession({ userId: 'brief', ttl: 0.05 });
      await new Promise((resolve) => setTimeout(resolve, 80));
      const attempts: Record<string, string>[] = [
        { cookie: 'livegate_session=unknown-session' },
        { cookie: `livegate_session=${shortLived.sessionId}` },
        { 'x-livegate-auth': `Basic ${made.admin.sessionId}` },
        { 'x-livegate-auth': 'Bearer' },
        { cookie: 'livegate_session=bad%ZZ' },
        {
          cookie: `livegate_session=${made.viewer.sessionId}; livegate_session=${made.admin.sessionId}`,
        },
        { cookie: `livegate_session=${'x'.repeat(600)}` },
        { cookie: 'livegate_session=has spaces and "quotes"' },
      ];
      for (const headers of attempts) {
        expectError(await get('/me', headers), 401, 'unauthorized');
      }
    });

    it('skips the middleware on configured public paths', async () => {
      // /health is a public path with no route here: the conflicting credentials are not even
      // read (no 400), and the request reaches routing (404).
      const response = await get('/health', { ...cookie('editor'), ...bearer('admin') });
      expect(response.status).toBe(404);
    });

    it('lets anyone through a public route', async () => {
      expect(await get('/public')).toMatchObject({ status: 200, body: { authenticated: false } });
    });
  });

  describe('decisions', () => {
    it('@Roles: any of the roles, 403 otherwise', async () => {
      expect((await get('/admin', cookie('admin'))).status).toBe(200);
      expectError(await get('/admin', cookie('editor')), 403, 'forbidden');
      expect((await get('/editors', cookie('editor'))).status).toBe(200);
      expect((await get('/editors', cookie('admin'))).status).toBe(200);
      expectError(await get('/editors', cookie('viewer')), 403, 'forbidden');
      expectError(await get('/admin'), 401, 'unauthorized');
    });

    it('@RequirePermission on a resource: grants add to roles; unreadable is 404', async () => {
      expect(await get('/widgets/w1/edit', cookie('viewer'))).toMatchObject({
        status: 200,
        body: { edit: 'w1' },
      });
      expectError(await get('/widgets/w2/edit', cookie('viewer')), 403, 'forbidden');
      expect((await get('/widgets/w2/edit', cookie('editor'))).status).toBe(200);
      expectError(await get('/widgets/w2/view', cookie('nobody')), 404, 'not_found');
      expectError(await get('/widgets/w2/edit', cookie('nobody')), 404, 'not_found');
      expect((await get('/widgets/granted/view', cookie('nobody'))).status).toBe(200);
      expectError(await get('/widgets/granted/edit', cookie('nobody')), 403, 'forbidden');
    });

    it('@RequirePermission without a resource uses the role table, custom roles included', async () => {
      expect((await get('/export', cookie('analyst'))).status).toBe(200);
      expectError(await get('/export', cookie('admin')), 403, 'forbidden');
    });

    it('@Policy: satisfied, unsatisfied, missing, throwing and rejecting policies', async () => {
      expect((await get('/beta', cookie('beta'))).status).toBe(200);
      expectError(await get('/beta', cookie('viewer')), 403, 'forbidden');
      for (const path of ['/missing-policy', '/throwing-policy', '/rejecting-policy']) {
        expectError(await get(path, cookie('admin')), 403, 'forbidden');
      }
    });

    it('@RequireClaims: every claim is needed', async () => {
      expect((await get('/claims', cookie('editor'))).status).toBe(200);
      expectError(await get('/claims', cookie('admin')), 403, 'forbidden');
    });

    it('@Auth pages redirect with 303 and never run the handler when denied', async () => {
      const before = handlerRuns.page ?? 0;
      for (const headers of [{}, cookie('viewer')]) {
        const response = await get('/page', headers);
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe('/login');
      }
      expect(handlerRuns.page ?? 0).toBe(before);
      const allowed = await get('/page', cookie('admin'));
      expect(allowed.status).toBe(200);
      expect(allowed.body).toBe('<h1>Admin page</h1>');
      expect(handlerRuns.page).toBe(before + 1);
    });
  });
});

describe.each(PLATFORMS)('auth with the session store down on %s', (platform) => {
  let redis: RedisTestServer;
  let app: INestApplication;
  let base: string;
  let sessionId: string;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    ({ app, base } = await startApp(
      [
        authTestModule(
          { enabled: true, tokenSecret: SECRET, secureCookies: true },
          { backend: 'redis', redisUrl: redis.url, redisPrefix: `down-${platform}` },
        ),
      ],
      platform,
    ));
    sessionId = (await app.get(SessionStore).createSession({ userId: 'u', roles: ['admin'] }))
      .sessionId;
  });

  afterAll(async () => {
    await app?.close();
    await redis?.dispose();
  });

  it('fails protected routes closed with 503 within 1 s; public routes still answer', async () => {
    const headers = { cookie: `__Host-livegate_session=${sessionId}` };
    expect((await fetch(`${base}/me`, { headers })).status).toBe(200);
    await redis.stop();
    const started = Date.now();
    const response = await fetch(`${base}/me`, { headers });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: 'backend_unavailable',
      message: expect.any(String),
    });
    expect((await fetch(`${base}/public`, { headers })).status).toBe(200);
  });
});

describe.each(PLATFORMS)('auth disabled on %s', (platform) => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    ({ app, base } = await startApp([authTestModule({ enabled: false })], platform));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('acts as an explicit local admin on every route', async () => {
    const me = await fetch(`${base}/me`);
    expect(await me.json()).toEqual({ userId: 'local-admin', roles: ['admin'], sessionId: null });
    expect((await fetch(`${base}/admin`)).status).toBe(200);
    expect((await fetch(`${base}/page`, { redirect: 'manual' })).status).toBe(200);
  });
});

describe('auth configuration', () => {
  it.each([
    [{ enabled: true }, /TOKEN_SECRET is required/],
    [{ enabled: true, tokenSecret: 'short' }, /at least 32 characters/],
    [{ enabled: true, tokenSecret: { current: SECRET, previous: ['short'] } }, /at least 32/],
  ])('stops the boot for %j', async (options, message) => {
    const boot = startApp([authTestModule(options)], 'express');
    await expect(boot).rejects.toThrow(AuthConfigurationError);
    await expect(startApp([authTestModule(options)], 'express')).rejects.toThrow(message);
  });

  it('takes options from forRootAsync', async () => {
    @Module({
      imports: [
        StateModule.forRoot({ backend: 'memory', isGlobal: true }),
        AuthModule.forRootAsync({
          imports: [
            ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ secret: SECRET })] }),
          ],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            enabled: true,
            tokenSecret: config.getOrThrow<string>('secret'),
            defaultRoles: ['editor'],
            adminUsers: ['boss', 'boss@example.com'],
          }),
        }),
      ],
    })
    class AsyncModule {}
    const { app } = await startApp([AsyncModule], 'express');
    try {
      const auth = app.get(AuthService);
      const logins = app.get(LoginSessions);
      expect(auth.enabled).toBe(true);
      expect((await logins.create({ userId: 'u' })).roles).toEqual(['editor']);
      expect((await logins.create({ userId: 'boss' })).roles).toEqual(['editor', 'admin']);
      expect(
        (
          await logins.create({
            userId: 'github:7',
            email: 'boss@example.com',
            emailVerified: true,
          })
        ).roles,
      ).toEqual(['editor', 'admin']);
      expect(
        (await logins.create({ userId: 'github:8', email: 'boss@example.com' })).roles,
      ).toEqual(['editor']);
      const first = await logins.create({ userId: 'u' });
      const second = await logins.create({ userId: 'u' });
      expect(first.sessionId).not.toBe(second.sessionId);
      expect(auth.validateSessionToken(auth.generateSessionToken('u'))).toMatchObject({
        valid: true,
        userId: 'u',
      });
    } finally {
      await app.close();
    }
  });
});
