import type { INestApplication } from '@nestjs/common';
import { Controller, Get, Module } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthModule, CurrentUser, type ClaimsPrincipal } from '@livegate/auth';
import { LiveAuthModule, UserStore, createUserStore } from '@livegate/live-auth';
import { StateModule } from '@livegate/state';
import { startApp } from './support/platform';
import { racingUserStore } from './support/racing-user-store';

@Controller('me')
class MeController {
  @Get()
  me(@CurrentUser() user: ClaimsPrincipal) {
    return { user_id: user.userId, roles: user.roles };
  }
}

@Module({ controllers: [MeController] })
class MeModule {}

const PASSWORD = 'correct horse battery staple';

// A change of the user that lands while a sign-in is making its session (AuthActions on another
// worker) wrote the snapshots that existed then: the new session is brought up to the row.

describe('a sign-in racing a change of its user', () => {
  let folder: string;
  let app: INestApplication;
  let base: string;
  let real: UserStore;
  /** Arms a change that runs at the next `findById`, before it answers. */
  let race: (change: (id: string) => Promise<unknown>) => void;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-idp-race-'));
    real = await createUserStore({
      userStore: 'sqlite',
      sqlitePath: join(folder, 'users.db'),
      sqliteEncrypted: false,
      keyring: null,
    });
    const racing = racingUserStore(real);
    race = racing.race;
    const store = racing.store;
    ({ app, base } = await startApp(
      [
        StateModule.forRoot({ backend: 'memory' }),
        AuthModule.forRoot({
          enabled: true,
          tokenSecret: 'idp-race-secret-of-at-least-32-characters',
          secureCookies: false,
        }),
        LiveAuthModule.forRoot({ store, localIdp: true }),
        MeModule,
      ],
      'express',
    ));
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await real?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) =>
    fetch(`${base}/auth/local/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify(body),
    });

  it('gives the new session the claims written while it was made', async () => {
    expect((await post('register', { username: 'alice', password: PASSWORD })).status).toBe(201);
    race((id) => real.updateClaims(id, () => [{ type: 'role', value: 'editor' }]));
    const login = await post('login', { username: 'alice', password: PASSWORD });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { roles: string[] }).roles).toContain('editor');
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const me = (await (await fetch(`${base}/me`, { headers: { cookie } })).json()) as {
      roles: string[];
    };
    expect(me.roles).toContain('editor');

    race((id) => real.updateClaims(id, () => []));
    const token = await post('token', { username: 'alice', password: PASSWORD });
    const { access_token: bearer } = (await token.json()) as { access_token: string };
    const asBearer = (await (
      await fetch(`${base}/me`, { headers: { authorization: `Bearer ${bearer}` } })
    ).json()) as { roles: string[] };
    expect(asBearer.roles).not.toContain('editor');
  });

  it('gives no session to a user disabled while it was made', async () => {
    expect((await post('register', { username: 'bob', password: PASSWORD })).status).toBe(201);
    race((id) => real.setDisabled(id, true));
    const login = await post('login', { username: 'bob', password: PASSWORD });
    expect(login.status).toBe(401);
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
    if (cookie) {
      expect((await fetch(`${base}/me`, { headers: { cookie } })).status).toBe(401);
    }
  });
});
