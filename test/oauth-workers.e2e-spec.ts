import { RedisTestServer, freePort } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';
import { WorkerProcess } from './support/worker-process';

// A login started on one worker process and finished on another, on one Redis, with every
// setting from the environment as a deployment has it.

describe('an OAuth login across two worker processes on Redis', () => {
  let redis: RedisTestServer;
  let idp: OidcTestProvider;
  let first: WorkerProcess;
  let second: WorkerProcess;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    const secondPort = await freePort();
    const callback = `http://127.0.0.1:${secondPort}/auth/callback`;
    idp = await OidcTestProvider.start([
      { client_id: 'workers-app', client_secret: 'workers-app-secret', redirect_uris: [callback] },
    ]);
    const env = {
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
      LIVEGATE_DEPLOY__AUTH_ENABLED: 'true',
      LIVEGATE_DEPLOY__TOKEN_SECRET: 'workers-secret-of-at-least-32-characters',
      LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES: 'false',
      LIVEGATE_OAUTH2__PROVIDER: 'oidc',
      LIVEGATE_OAUTH2__CLIENT_ID: 'workers-app',
      LIVEGATE_OAUTH2__CLIENT_SECRET: 'workers-app-secret',
      LIVEGATE_OAUTH2__ISSUER_URL: idp.issuer,
      LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
      LIVEGATE_OAUTH2__REDIRECT_URI: callback,
      LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND: 'redis',
      LIVEGATE_OAUTH2__SCOPES: 'openid email profile offline_access',
    };
    [first, second] = await Promise.all([
      WorkerProcess.start('oauth-a', env, { script: 'oauth-worker.main.ts' }),
      WorkerProcess.start('oauth-b', env, { script: 'oauth-worker.main.ts', port: secondPort }),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await idp?.stop();
    await redis?.stop();
  });

  it('starts on one worker, finishes on the other, and the session and tokens are everyone’s', async () => {
    const start = await fetch(`${first.url}/auth/login?returnTo=/home`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const transaction = start.headers.getSetCookie()[0].split(';')[0];
    const authorization = new URL(start.headers.get('location')!);
    authorization.searchParams.set('prompt', 'consent');
    const callback = await idp.login(authorization);
    expect(callback.origin).toBe(second.url);

    const finished = await fetch(callback, {
      headers: { cookie: transaction },
      redirect: 'manual',
    });
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/home');
    const session = finished.headers
      .getSetCookie()
      .find((line) => line.startsWith('livegate_session='))!
      .split(';')[0];

    for (const worker of [first, second]) {
      const status = await fetch(`${worker.url}/auth/status`, { headers: { cookie: session } });
      expect(await status.json()).toMatchObject({ authenticated: true, user_id: 'oidc:alice' });
    }

    // The transaction was taken on the second worker: the first cannot use it again.
    const replay = await fetch(`${first.url}${callback.pathname}${callback.search}`, {
      headers: { cookie: transaction },
      redirect: 'manual',
    });
    expect(replay.status).toBe(400);

    // Tokens are in Redis, encrypted, and a refresh on the first worker finds them.
    const refreshed = await fetch(`${first.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: session, origin: second.url },
    });
    expect(await refreshed.json()).toMatchObject({ refreshed: true });

    const loggedOut = await fetch(`${first.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: session, origin: second.url },
    });
    expect(await loggedOut.json()).toEqual({ logged_out: true });
    const after = await fetch(`${second.url}/auth/status`, { headers: { cookie: session } });
    expect(await after.json()).toMatchObject({ authenticated: false });
  });
});
