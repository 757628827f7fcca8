import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AuthModule } from '@livegate/auth';
import { OAuthModule, OidcProvider, TokenStore } from '@livegate/oauth';
import { SessionStore, StateModule } from '@livegate/state';
import { RedisTestServer, freePort } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';
import { PLATFORMS, type Platform } from './support/platform';

const SECRET = 'oauth-routes-secret-of-at-least-32-characters';

/** A browser's cookies for the app, as Set-Cookie lines leave them. */
class CookieJar {
  readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (value === '' || attributes.some((attribute) => /^max-age=0$/i.test(attribute))) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  header(): Record<string, string> {
    return this.cookies.size
      ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
      : {};
  }
}

async function request(
  url: string,
  jar: CookieJar,
  init: { method?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...jar.header(), ...init.headers },
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  jar.take(response);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a page
  }
  return { status: response.status, headers: response.headers, body, text };
}

const MATRIX = PLATFORMS.flatMap((platform) =>
  (['memory', 'redis'] as const).map((backend) => [platform, backend] as const),
);

describe.each(MATRIX)(
  'the /auth routes with a real OpenID provider on %s, %s',
  (platform: Platform, backend) => {
    let idp: OidcTestProvider;
    let app: INestApplication;
    let base: string;
    let redis: RedisTestServer | undefined;

    beforeAll(async () => {
      redis = backend === 'redis' ? await RedisTestServer.start() : undefined;
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      idp = await OidcTestProvider.start([
        {
          client_id: 'livegate-app',
          client_secret: 'livegate-app-secret',
          redirect_uris: [`${base}/auth/callback`],
        },
      ]);
      const moduleRef = await Test.createTestingModule({
        imports: [
          StateModule.forRoot(
            redis ? { backend: 'redis', redisUrl: redis.url } : { backend: 'memory' },
          ),
          AuthModule.forRoot({
            enabled: true,
            tokenSecret: SECRET,
            secureCookies: false,
            adminUsers: ['test-idp:carol', 'bob@example.com'],
          }),
          OAuthModule.forRoot({
            providers: [
              new OidcProvider({
                name: 'test-idp',
                issuer: idp.issuer,
                clientId: 'livegate-app',
                clientSecret: 'livegate-app-secret',
                scopes: ['openid', 'email', 'profile', 'offline_access'],
                allowInsecureIssuer: true,
              }),
            ],
            redirectUri: `${base}/auth/callback`,
            tokenStoreBackend: backend,
          }),
        ],
      }).compile();
      app =
        platform === 'fastify'
          ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
          : moduleRef.createNestApplication({ logger: false });
      await app.listen(port, '127.0.0.1');
    }, 30_000);

    afterAll(async () => {
      await app?.close();
      await idp?.stop();
      await redis?.stop();
    });

    /** A whole login in one browser: returns its jar and the callback's answer. */
    async function signIn(loginHint = 'alice', returnTo = '/dashboard', jar = new CookieJar()) {
      const start = await request(
        `${base}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
        jar,
      );
      expect(start.status).toBe(302);
      const authorization = new URL(start.headers.get('location')!);
      authorization.searchParams.set('login_hint', loginHint);
      authorization.searchParams.set('prompt', 'consent');
      const callback = await idp.login(authorization);
      const finished = await request(callback.href, jar);
      return { jar, finished, callback };
    }

    it('signs a browser in: redirect, callback, session cookie, return path', async () => {
      const { jar, finished } = await signIn('alice', '/dashboard?tab=1');
      expect(finished.status).toBe(303);
      expect(finished.headers.get('location')).toBe('/dashboard?tab=1');
      expect(finished.headers.get('cache-control')).toBe('no-store');
      expect(finished.headers.get('referrer-policy')).toBe('no-referrer');
      expect(jar.cookies.has('livegate_session')).toBe(true);
      expect(jar.cookies.has('livegate_oauth')).toBe(false);

      const status = await request(`${base}/auth/status`, jar);
      expect(status.body).toEqual({
        authenticated: true,
        user_id: 'test-idp:alice',
        roles: ['viewer'],
        expires_at: expect.any(Number),
      });
      const userinfo = await request(`${base}/auth/userinfo`, jar);
      expect(userinfo.body).toMatchObject({
        user_id: 'test-idp:alice',
        user_info: { sub: 'alice', email: 'alice@example.com' },
      });
      expect(await app.get(TokenStore).load('test-idp:alice')).toMatchObject({
        tokenType: 'Bearer',
      });
    });

    it('asks the provider with PKCE S256, state and nonce, and the configured redirect URI only', async () => {
      const start = await request(`${base}/auth/login`, new CookieJar(), {
        headers: { host: 'evil.example' },
      });
      const params = new URL(start.headers.get('location')!).searchParams;
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.get('state')).toMatch(/^[\w-]{20,}$/);
      expect(params.get('nonce')).toMatch(/^[\w-]{20,}$/);
      expect(params.get('redirect_uri')).toBe(`${base}/auth/callback`);
      const cookie = start.headers
        .getSetCookie()
        .find((line) => line.startsWith('livegate_oauth='))!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Max-Age=600/);
    });

    it.each([
      '//evil.example/x',
      'https://evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '/ok\r\nx',
      '/..//evil.example',
      '/a/../..//evil.example/x',
    ])('returns to / for a return path that leaves the app (%j)', async (returnTo) => {
      const { finished } = await signIn('alice', returnTo);
      expect(finished.status).toBe(303);
      expect(finished.headers.get('location')).toBe('/');
    });

    it('refuses a callback without the transaction cookie, and a replayed one', async () => {
      const { jar, callback } = await signIn();
      const fresh = await request(callback.href, new CookieJar());
      expect(fresh.status).toBe(400);
      expect(fresh.text).toContain('Sign-in failed');
      expect(fresh.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(fresh.headers.get('cache-control')).toBe('no-store');
      jar.cookies.delete('livegate_session');
      const replayed = await request(callback.href, jar);
      expect(replayed.status).toBe(400);
    });

    it("refuses login CSRF: an attacker's callback in the victim's browser", async () => {
      const victim = new CookieJar();
      const start = await request(`${base}/auth/login`, victim);
      expect(start.status).toBe(302);
      // The attacker logs in as mallory and sends the victim the callback URL of that login.
      const attacker = new CookieJar();
      const attackerStart = await request(`${base}/auth/login`, attacker);
      const attackerAuthorization = new URL(attackerStart.headers.get('location')!);
      attackerAuthorization.searchParams.set('login_hint', 'mallory');
      const attackerCallback = await idp.login(attackerAuthorization);
      const answer = await request(attackerCallback.href, victim);
      expect(answer.status).toBe(400);
      expect(victim.cookies.has('livegate_session')).toBe(false);
    });

    it('never keeps a session id planted before the login', async () => {
      const planted = await app
        .get(SessionStore)
        .createSession({ userId: 'victim-before', roles: ['viewer'] });
      const jar = new CookieJar();
      jar.cookies.set('livegate_session', planted.sessionId);
      const { finished } = await signIn('alice', '/', jar);
      expect(finished.status).toBe(303);
      expect(jar.cookies.get('livegate_session')).not.toBe(planted.sessionId);
      expect(await app.get(SessionStore).getSession(planted.sessionId)).toBeNull();
    });

    it('promotes provider-qualified ids and verified emails only', async () => {
      const carol = await signIn('carol');
      expect((await request(`${base}/auth/status`, carol.jar)).body).toMatchObject({
        roles: expect.arrayContaining(['admin']),
      });
      // bob@example.com is in ADMIN_USERS, but the provider did not verify bob's email.
      const bob = await signIn('bob');
      expect((await request(`${base}/auth/status`, bob.jar)).body).toMatchObject({
        roles: ['viewer'],
      });
    });

    it('escapes what a provider error echoes', async () => {
      const jar = new CookieJar();
      const start = await request(`${base}/auth/login`, jar);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      const answer = await request(
        `${base}/auth/callback?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=${state}`,
        jar,
      );
      expect(answer.status).toBe(400);
      expect(answer.text).toContain('The provider refused the login: an error');
      expect(answer.text).not.toContain('<script>');
    });

    it('refreshes and logs out from the app’s own pages only', async () => {
      const { jar } = await signIn();
      const before = await app.get(TokenStore).load('test-idp:alice');
      const crossSite: Record<string, string>[] = [
        {},
        { origin: 'https://evil.example' },
        { referer: 'https://evil.example/page' },
        { origin: 'null' },
      ];
      for (const headers of crossSite) {
        expect(
          (await request(`${base}/auth/refresh`, jar, { method: 'POST', headers })).body,
        ).toEqual({
          error: 'forbidden',
          message: expect.any(String),
        });
        expect(
          (await request(`${base}/auth/logout`, jar, { method: 'POST', headers })).status,
        ).toBe(403);
      }
      const refreshed = await request(`${base}/auth/refresh`, jar, {
        method: 'POST',
        headers: { origin: base },
      });
      expect(refreshed).toMatchObject({
        status: 200,
        body: { refreshed: true, expires_at: expect.any(Number) },
      });
      const after = await app.get(TokenStore).load('test-idp:alice');
      expect(after?.accessToken).not.toBe(before?.accessToken);

      const loggedOut = await request(`${base}/auth/logout`, jar, {
        method: 'POST',
        headers: { referer: `${base}/dashboard` },
      });
      expect(loggedOut).toMatchObject({ status: 200, body: { logged_out: true } });
      expect(jar.cookies.has('livegate_session')).toBe(false);
      expect(await app.get(TokenStore).load('test-idp:alice')).toBeNull();
      expect((await request(`${base}/auth/status`, jar)).body).toMatchObject({
        authenticated: false,
      });
    });

    it('answers 401 on userinfo and refresh without a session', async () => {
      const jar = new CookieJar();
      expect((await request(`${base}/auth/userinfo`, jar)).status).toBe(401);
      expect(
        (await request(`${base}/auth/refresh`, jar, { method: 'POST', headers: { origin: base } }))
          .status,
      ).toBe(401);
    });
  },
);
