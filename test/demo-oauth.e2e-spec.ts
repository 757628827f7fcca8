import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@livegate/state/testing';
import { AppModule } from '../apps/demo/src/app.module';
import { OidcTestProvider } from './support/oidc-test-provider';
import { PLATFORMS, startApp } from './support/platform';

// The demo with an OAuth provider configured by LIVEGATE_OAUTH2__ only: "Sign in with ..." on its
// login page leads through the provider back to the signed-in index page.

describe.each(PLATFORMS)('demo app with an OAuth provider on %s', (platform) => {
  let idp: OidcTestProvider;
  let app: INestApplication;
  let base: string;
  const saved = { ...process.env };
  let dataDir: string;

  beforeAll(async () => {
    // The demo's data folder (its user store) of this suite, not the repository's .demo-data.
    dataDir = mkdtempSync(join(tmpdir(), 'livegate-demo-oauth-'));
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/auth/callback`;
    idp = await OidcTestProvider.start([
      { client_id: 'demo-app', client_secret: 'demo-app-secret', redirect_uris: [callback] },
    ]);
    Object.assign(process.env, {
      LIVEGATE_DEPLOY__AUTH_ENABLED: 'true',
      LIVEGATE_DEPLOY__TOKEN_SECRET: 'demo-oauth-secret-of-at-least-32-chars',
      LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES: 'false',
      LIVEGATE_OAUTH2__PROVIDER: 'oidc',
      LIVEGATE_OAUTH2__CLIENT_ID: 'demo-app',
      LIVEGATE_OAUTH2__CLIENT_SECRET: 'demo-app-secret',
      LIVEGATE_OAUTH2__ISSUER_URL: idp.issuer,
      LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
      LIVEGATE_OAUTH2__REDIRECT_URI: callback,
      LIVEGATE_DEMO_DATA_DIR: dataDir,
    });
    delete process.env.LIVEGATE_DEPLOY__STATE_BACKEND;
    ({ app, base } = await startApp([AppModule.forRoot()], platform, port));
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await idp?.stop();
    process.env = saved;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('offers "Sign in with ..." and signs the visitor in through the provider', async () => {
    const denied = await fetch(`${base}/`, { redirect: 'manual' });
    expect(denied.status).toBe(303);
    expect(denied.headers.get('location')).toBe('/login');

    const loginPage = await (await fetch(`${base}/login`)).text();
    const link = /<a href="([^"]+)">Sign in with your OpenID provider<\/a>/.exec(loginPage);
    expect(link?.[1]).toBe('/auth/login');

    const start = await fetch(`${base}${link![1]}`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    expect(start.headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/`));
    const transaction = start.headers.getSetCookie()[0].split(';')[0];
    const callback = await idp.login(start.headers.get('location')!);
    const finished = await fetch(callback, {
      headers: { cookie: transaction },
      redirect: 'manual',
    });
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/');
    const session = finished.headers
      .getSetCookie()
      .find((line) => line.startsWith('livegate_session='))!
      .split(';')[0];

    const index = await fetch(`${base}/`, { headers: { cookie: session } });
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('Signed in as Alice Example');
  });
});

describe('demo app without an OAuth provider', () => {
  it('mounts no /auth routes and says how to sign in instead', async () => {
    const saved = { ...process.env };
    const dataDir = mkdtempSync(join(tmpdir(), 'livegate-demo-no-oauth-'));
    delete process.env.LIVEGATE_OAUTH2__PROVIDER;
    process.env.LIVEGATE_DEMO_DATA_DIR = dataDir;
    const { app, base } = await startApp([AppModule.forRoot()], 'express');
    try {
      const loginPage = await (await fetch(`${base}/login`)).text();
      expect(loginPage).not.toContain('Sign in with');
      expect(loginPage).toContain('No OAuth provider is configured');
      expect((await fetch(`${base}/auth/login`, { redirect: 'manual' })).status).toBe(404);
    } finally {
      await app.close();
      process.env = saved;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
