import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthModule } from '@livegate/auth';
import { LiveAuthModule, UserStore, createUserStore } from '@livegate/live-auth';
import { OAuthModule } from '@livegate/oauth';
import { StateModule } from '@livegate/state';
import { freePort } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';
import { PLATFORMS, startApp } from './support/platform';
import { racingUserStore } from './support/racing-user-store';

// An OAuth login finds or creates the user row of its provider identity, and the session is the
// row's: its id, its claims; a disabled user gets no session.

describe.each(PLATFORMS)('OAuth logins on the user store, on %s', (platform) => {
  let idp: OidcTestProvider;
  let app: INestApplication;
  let base: string;
  let folder: string;
  let users: UserStore;
  /** Arms a change that runs at the next `findById`, before it answers. */
  let race: (change: (id: string) => Promise<unknown>) => void;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-oauth-users-'));
    users = await createUserStore({
      userStore: 'sqlite',
      sqlitePath: join(folder, 'users.db'),
      sqliteEncrypted: false,
      keyring: null,
    });
    const racing = racingUserStore(users);
    race = racing.race;
    const store = racing.store;
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/auth/callback`;
    idp = await OidcTestProvider.start([
      { client_id: 'users-app', client_secret: 'users-app-secret', redirect_uris: [callback] },
    ]);
    ({ app, base } = await startApp(
      [
        StateModule.forRoot({ backend: 'memory' }),
        AuthModule.forRoot({
          enabled: true,
          tokenSecret: 'oauth-users-secret-of-at-least-32-chars',
          secureCookies: false,
          defaultRoles: ['viewer'],
          adminUsers: ['oidc:bob'],
        }),
        OAuthModule.forRoot({
          provider: 'oidc',
          clientId: 'users-app',
          clientSecret: 'users-app-secret',
          issuerUrl: idp.issuer,
          allowInsecureIssuer: true,
          redirectUri: callback,
        }),
        LiveAuthModule.forRoot({ store }),
      ],
      platform,
      port,
    ));
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await users?.close();
    await idp?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A whole login as alice; the callback's answer and the session cookie, if any. */
  async function signIn(loginHint = 'alice') {
    const start = await fetch(`${base}/auth/login`, { redirect: 'manual' });
    const transaction = start.headers.getSetCookie()[0].split(';')[0];
    const authorization = new URL(start.headers.get('location')!);
    authorization.searchParams.set('login_hint', loginHint);
    const callback = await idp.login(authorization);
    const finished = await fetch(callback, {
      headers: { cookie: transaction },
      redirect: 'manual',
    });
    const cookie = finished.headers
      .getSetCookie()
      .find((line) => line.startsWith('livegate_session='))
      ?.split(';')[0];
    return { finished, cookie };
  }

  const status = async (cookie: string) =>
    (await (await fetch(`${base}/auth/status`, { headers: { cookie } })).json()) as {
      authenticated: boolean;
      user_id: string;
      roles: string[];
    };

  it('creates the user row at the first login and signs in as it again at the next', async () => {
    const first = await signIn();
    expect(first.finished.status).toBe(303);
    const row = await users.findByIdentity({ issuer: idp.issuer, subject: 'alice' });
    expect(row).toMatchObject({
      username: 'alice',
      displayName: 'Alice Example',
      passwordHash: null,
    });
    expect(await status(first.cookie!)).toMatchObject({
      authenticated: true,
      user_id: row!.id,
      roles: ['viewer'],
    });

    const second = await signIn();
    expect((await status(second.cookie!)).user_id).toBe(row!.id);
    expect((await users.listUsers()).users).toHaveLength(1);
  });

  it('gives the session the row’s claims, and no session to a disabled user', async () => {
    const row = (await users.findByIdentity({ issuer: idp.issuer, subject: 'alice' }))!;
    await users.updateClaims(row.id, () => [
      { type: 'role', value: 'admin' },
      { type: 'tier', value: 'beta' },
    ]);
    const granted = await signIn();
    // The row's roles come on top of the default ones, which every signed-in user has.
    expect((await status(granted.cookie!)).roles.sort()).toEqual(['admin', 'viewer']);

    await users.setDisabled(row.id, true);
    const refused = await signIn();
    expect(refused.finished.status).toBe(400);
    expect(await refused.finished.text()).toContain('This account is disabled');
    expect(refused.cookie).toBeUndefined();
    await users.setDisabled(row.id, false);
  });

  it('brings the new session up to a change of the user made while it was being made', async () => {
    const row = (await users.findByIdentity({ issuer: idp.issuer, subject: 'alice' }))!;
    race((id) => users.updateClaims(id, () => [{ type: 'role', value: 'editor' }]));
    const raced = await signIn();
    expect(raced.finished.status).toBe(303);
    expect((await status(raced.cookie!)).roles.sort()).toEqual(['editor', 'viewer']);

    race((id) => users.setDisabled(id, true));
    const refused = await signIn();
    expect(refused.finished.status).toBe(400);
    if (refused.cookie) {
      expect((await status(refused.cookie)).authenticated).toBe(false);
    }
    await users.setDisabled(row.id, false);
    await users.updateClaims(row.id, () => []);
  });

  it('promotes the provider-qualified ids ADMIN_USERS names, though the session is the row’s', async () => {
    const { cookie } = await signIn('bob');
    const bob = (await users.findByIdentity({ issuer: idp.issuer, subject: 'bob' }))!;
    expect(await status(cookie!)).toMatchObject({ user_id: bob.id });
    expect((await status(cookie!)).roles.sort()).toEqual(['admin', 'viewer']);
  });
});
