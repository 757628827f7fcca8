import { freePort } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';
import { ThrowawayCa } from './support/throwaway-ca';
import { WorkerProcess } from './support/worker-process';

// An HTTPS issuer on loopback, as production has it: the provider serves a certificate of a CA
// made for this run, which the app's process trusts only through NODE_EXTRA_CA_CERTS. The app runs
// with NODE_ENV=production, so no insecure-issuer option is available to it.

const CLIENT_SECRET = 'https-app-secret';

describe('an OAuth login against an HTTPS issuer, in production mode', () => {
  const ca = ThrowawayCa.create();
  const otherCa = ThrowawayCa.create('Livegate untrusted CA');
  const started: Array<{ stop(): Promise<void> }> = [];

  afterAll(async () => {
    await Promise.all(started.map((part) => part.stop()));
    ca.remove();
    otherCa.remove();
  });

  async function startIdp(certificateOf: ThrowawayCa, altNames: string[], callback: string) {
    const idp = await OidcTestProvider.start(
      [{ client_id: 'https-app', client_secret: CLIENT_SECRET, redirect_uris: [callback] }],
      {},
      { ...certificateOf.issue(altNames), ca: certificateOf.caCert },
    );
    started.push(idp);
    return idp;
  }

  async function startApp(port: number, issuer: string, env: Record<string, string> = {}) {
    const worker = await WorkerProcess.start(
      `https-${port}`,
      {
        NODE_ENV: 'production',
        LIVEGATE_DEPLOY__AUTH_ENABLED: 'true',
        LIVEGATE_DEPLOY__TOKEN_SECRET: 'https-issuer-secret-of-at-least-32-chars',
        LIVEGATE_OAUTH2__PROVIDER: 'oidc',
        LIVEGATE_OAUTH2__CLIENT_ID: 'https-app',
        LIVEGATE_OAUTH2__CLIENT_SECRET: CLIENT_SECRET,
        LIVEGATE_OAUTH2__ISSUER_URL: issuer,
        LIVEGATE_OAUTH2__REDIRECT_URI: `http://127.0.0.1:${port}/auth/callback`,
        LIVEGATE_OAUTH2__SCOPES: 'openid email profile offline_access',
        ...env,
      },
      { script: 'oauth-worker.main.ts', port },
    );
    started.push(worker);
    return worker;
  }

  it('signs in, refreshes and signs out with the CA given to Node through NODE_EXTRA_CA_CERTS', async () => {
    const port = await freePort();
    const idp = await startIdp(ca, ['IP:127.0.0.1'], `http://127.0.0.1:${port}/auth/callback`);
    expect(idp.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const app = await startApp(port, idp.issuer, { NODE_EXTRA_CA_CERTS: ca.caFile });

    const start = await fetch(`${app.url}/auth/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const authorization = new URL(start.headers.get('location')!);
    expect(authorization.origin).toBe(idp.issuer);
    // oidc-provider issues a refresh token for offline_access only with consent asked for.
    authorization.searchParams.set('prompt', 'consent');
    const transaction = start.headers.getSetCookie()[0].split(';')[0];
    const callback = await idp.login(authorization);

    const finished = await fetch(callback, {
      headers: { cookie: transaction },
      redirect: 'manual',
    });
    expect(finished.status).toBe(303);
    const session = finished.headers
      .getSetCookie()
      .find(
        (line) =>
          line.startsWith('__Host-livegate_session=') || line.startsWith('livegate_session='),
      )!;
    expect(session).toMatch(/; Secure/i);
    const cookie = session.split(';')[0];
    const status = await fetch(`${app.url}/auth/status`, { headers: { cookie } });
    expect(await status.json()).toMatchObject({ authenticated: true, user_id: 'oidc:alice' });

    const refreshed = await fetch(`${app.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie, origin: app.url },
    });
    expect(await refreshed.json()).toMatchObject({ refreshed: true });
    const loggedOut = await fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie, origin: app.url },
    });
    expect(await loggedOut.json()).toEqual({ logged_out: true });
  }, 60_000);

  it.each([
    ['without NODE_EXTRA_CA_CERTS', ca, ['IP:127.0.0.1'], false],
    ['with a certificate from a CA Node was not given', otherCa, ['IP:127.0.0.1'], true],
    ['with a certificate for another host name', ca, ['DNS:idp.invalid'], true],
  ])(
    'refuses the issuer %s: no transaction, no session',
    async (_case, issuerCa, altNames, trust) => {
      const port = await freePort();
      const idp = await startIdp(issuerCa, altNames, `http://127.0.0.1:${port}/auth/callback`);
      const app = await startApp(port, idp.issuer, trust ? { NODE_EXTRA_CA_CERTS: ca.caFile } : {});

      const start = await fetch(`${app.url}/auth/login`, { redirect: 'manual' });
      expect(start.status).toBe(502);
      expect(start.headers.get('location')).toBeNull();
      expect(start.headers.getSetCookie()).toEqual([]);
      expect(await start.json()).toEqual({
        error: 'provider_unavailable',
        message: expect.stringMatching(
          /could not be discovered: the provider's TLS certificate was refused \([A-Z_]+\)$/,
        ),
      });
    },
    60_000,
  );

  it('will not start with a plain-http issuer in production, even when asked to allow it', async () => {
    const port = await freePort();
    await expect(
      startApp(port, `http://127.0.0.1:${await freePort()}`, {
        LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
      }),
    ).rejects.toThrow(/ALLOW_INSECURE_ISSUER/);
    await expect(startApp(port, `http://127.0.0.1:${await freePort()}`)).rejects.toThrow(/https/);
  }, 60_000);
});
