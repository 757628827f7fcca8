import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module } from '@nestjs/common';
import { AuthModule, CurrentUser, type ClaimsPrincipal } from '@livegate/auth';
import { LiveAuthModule, PasswordHasher, UserStore } from '@livegate/live-auth';
import { StateModule } from '@livegate/state';
import { PLATFORMS, startApp } from './support/platform';

@Controller('me')
class MeController {
  @Get()
  me(@CurrentUser() user: ClaimsPrincipal) {
    return { user_id: user.userId, name: user.name };
  }
}

@Module({ controllers: [MeController] })
class MeModule {}

const PASSWORD = 'correct horse battery staple';

describe.each(PLATFORMS)('the local identity provider on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let folder: string;
  let users: UserStore;
  let hasher: PasswordHasher;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-idp-'));
    ({ app, base } = await startApp(
      [
        StateModule.forRoot({ backend: 'memory' }),
        AuthModule.forRoot({
          enabled: true,
          tokenSecret: 'local-idp-secret-of-at-least-32-characters',
          secureCookies: false,
          defaultRoles: ['viewer'],
          adminUsers: ['local:grace'],
        }),
        LiveAuthModule.forRoot({
          sqlitePath: join(folder, 'users.db'),
          keyring: null,
          localIdp: { limits: { perAccount: 5, perAddress: 1000, windowSeconds: 60 } },
        }),
        MeModule,
      ],
      platform,
    ));
    users = app.get(UserStore);
    hasher = app.get(PasswordHasher);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A JSON POST from the app's own page (`origin: undefined` leaves the header out). */
  const post = (path: string, body: unknown, headers: Record<string, string | undefined> = {}) =>
    fetch(`${base}/auth/local/${path}`, {
      method: 'POST',
      headers: Object.fromEntries(
        Object.entries({ 'content-type': 'application/json', origin: base, ...headers }).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        ),
      ),
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const json = async (response: Response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  });
  const register = (username: string, password = PASSWORD) =>
    post('register', { username, password });

  it('registers a user with the default roles only, and refuses the same name in another spelling', async () => {
    const created = await json(await register('Alice'));
    expect(created).toEqual({
      status: 201,
      body: { user_id: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'Alice' },
    });
    const row = await users.findByUsername('alice');
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.claims).toEqual([]);
    expect(await json(await register('ALICE'))).toEqual({
      status: 409,
      body: { error: 'conflict', message: 'The username is taken' },
    });
  });

  it.each([
    ['roles', { username: 'mallory', password: PASSWORD, roles: ['admin'] }],
    ['permissions', { username: 'mallory', password: PASSWORD, permissions: ['admin'] }],
    ['metadata', { username: 'mallory', password: PASSWORD, metadata: { admin: true } }],
    [
      'claims',
      { username: 'mallory', password: PASSWORD, claims: [{ type: 'role', value: 'admin' }] },
    ],
    ['a short password', { username: 'mallory', password: 'short' }],
    ['an over-long password', { username: 'mallory', password: 'x'.repeat(1025) }],
    ['a zero-width username', { username: 'mal\u200blory', password: PASSWORD }],
    ['a username with a space', { username: 'mal lory', password: PASSWORD }],
    ['a number for a username', { username: 7, password: PASSWORD }],
    ['no password', { username: 'mallory' }],
    ['a list', [{ username: 'mallory', password: PASSWORD }]],
  ])('refuses a registration with %s: 400 and nothing created', async (_case, body) => {
    const answer = await json(await post('register', body));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_input', message: expect.any(String) });
    expect(await users.findByUsername('mallory')).toBeNull();
  });

  it.each(['login', 'token', 'verify-token', 'revoke'])(
    'answers bad bodies on %s with 400 invalid_input, signing no one in',
    async (route) => {
      await register('henry').catch(() => undefined);
      const fields = route === 'login' || route === 'token' ? ['username', 'password'] : ['token'];
      const good: Record<string, unknown> =
        fields.length === 2 ? { username: 'henry', password: PASSWORD } : { token: 'x'.repeat(43) };
      // JSON that is not the expected object. (Text that is not JSON at all is refused by the
      // platform's body parser before any route runs, with the platform's own error body.)
      const bodies: unknown[] = [
        '[]',
        '[{"username":"henry"}]',
        '{}',
        JSON.stringify({ ...good, extra: 'field' }),
        JSON.stringify({ ...good, roles: ['admin'] }),
        ...fields.map((field) => JSON.stringify({ ...good, [field]: 42 })),
        ...fields.map((field) => JSON.stringify({ ...good, [field]: null })),
        ...fields.map((field) =>
          JSON.stringify(Object.fromEntries(Object.entries(good).filter(([key]) => key !== field))),
        ),
      ];
      if (fields.length === 2) {
        bodies.push(JSON.stringify({ ...good, username: 'hen​ry' }));
        bodies.push(JSON.stringify({ ...good, username: 'x'.repeat(65) }));
        bodies.push(JSON.stringify({ ...good, password: 'short' }));
        bodies.push(JSON.stringify({ ...good, password: 'x'.repeat(1025) }));
      }
      for (const body of bodies) {
        const response = await post(route, body as string);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect(await response.json()).toEqual({
          error: 'invalid_input',
          message: expect.any(String),
        });
        expect(response.headers.getSetCookie()).toEqual([]);
      }
    },
  );

  it('refuses cross-site registrations and logins', async () => {
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: undefined, referer: 'https://evil.example/page' },
    ] as Record<string, string | undefined>[]) {
      expect(
        (await post('register', { username: 'mallory', password: PASSWORD }, headers)).status,
      ).toBe(403);
      expect((await post('login', { username: 'alice', password: PASSWORD }, headers)).status).toBe(
        403,
      );
      expect((await post('token', { username: 'alice', password: PASSWORD }, headers)).status).toBe(
        403,
      );
    }
    // Without Origin or Referer: refused for the routes that set a cookie.
    expect(
      (await post('login', { username: 'alice', password: PASSWORD }, { origin: undefined }))
        .status,
    ).toBe(403);
    expect(
      (await post('register', { username: 'mallory', password: PASSWORD }, { origin: undefined }))
        .status,
    ).toBe(403);
    expect(await users.findByUsername('mallory')).toBeNull();
  });

  it('logs in with a fresh session cookie, and answers every failure the same', async () => {
    await register('bob');
    const ok = await post('login', { username: 'BOB', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ username: 'bob', roles: ['viewer'] });
    const cookie = ok.headers.getSetCookie().find((line) => line.startsWith('livegate_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    const me = await fetch(`${base}/me`, { headers: { cookie: cookie.split(';')[0] } });
    expect(await me.json()).toMatchObject({ name: 'bob' });

    const carol = await users.createUser({
      username: 'carol',
      passwordHash: await hasher.hash(PASSWORD),
    });
    await users.setDisabled(carol.id, true);
    const answers = [];
    for (const body of [
      { username: 'bob', password: 'wrong password here' },
      { username: 'nobody', password: PASSWORD },
      { username: 'carol', password: PASSWORD },
    ]) {
      const response = await post('login', body);
      answers.push({ ...(await json(response)), cookie: response.headers.getSetCookie() });
    }
    // The same work for each: one Argon2id verification (a dummy hash for the unknown user).
    const verify = jest.spyOn(hasher, 'verify');
    for (const body of [
      { username: 'bob', password: 'wrong password here' },
      { username: 'nobody', password: PASSWORD },
      { username: 'carol', password: PASSWORD },
    ]) {
      verify.mockClear();
      await post('login', body);
      expect(verify).toHaveBeenCalledTimes(1);
    }
    verify.mockRestore();
    expect(answers).toEqual(
      Array(3).fill({
        status: 401,
        body: { error: 'unauthorized', message: 'The username or password is wrong' },
        cookie: [],
      }),
    );
  });

  it('limits attempts per account: 429 with Retry-After, and no hash computed', async () => {
    await register('dave');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await post('login', { username: 'dave', password: 'not the password' })).status).toBe(
        401,
      );
    }
    const verify = jest.spyOn(hasher, 'verifyOrDummy');
    const throttled = await post('login', { username: 'DAVE', password: PASSWORD });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await throttled.json()).toEqual({
      error: 'rate_limited',
      message: 'Too many sign-in attempts: try again later',
    });
    expect((await post('token', { username: 'dave', password: PASSWORD })).status).toBe(429);
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
  });

  it('issues bearer tokens, verifies them, and revokes them for good (the same answer for unknown ones)', async () => {
    await register('erin');
    const issued = await json(
      await post('token', { username: 'erin', password: PASSWORD }, { origin: undefined }),
    );
    expect(issued).toEqual({
      status: 200,
      body: {
        access_token: expect.stringMatching(/^[\w-]{32,}$/),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
      },
    });
    const token = issued.body.access_token as string;
    const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ name: 'erin' });
    expect(await json(await post('verify-token', { token }))).toMatchObject({
      status: 200,
      body: { active: true, name: 'erin', roles: ['viewer'] },
    });

    expect(await json(await post('revoke', { token }))).toEqual({
      status: 200,
      body: { revoked: true },
    });
    expect(
      (await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(401);
    expect((await post('verify-token', { token })).status).toBe(401);
    for (const unknown of [token, 'never-issued-token', 'x'.repeat(300), '../../etc']) {
      expect(await json(await post('revoke', { token: unknown }))).toEqual({
        status: 200,
        body: { revoked: true },
      });
    }
    expect((await post('revoke', { token: 5 })).status).toBe(400);
  });

  it('makes the users ADMIN_USERS names as local:<username> admins at login, and no one else', async () => {
    await register('Grace');
    const grace = await post('login', { username: 'grace', password: PASSWORD });
    expect(((await grace.json()) as { roles: string[] }).roles.sort()).toEqual(['admin', 'viewer']);
    await register('local-grace');
    const other = await post('login', { username: 'local-grace', password: PASSWORD });
    expect(await other.json()).toMatchObject({ roles: ['viewer'] });
  });

  it('rehashes a password stored with weaker parameters at the next login', async () => {
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash(PASSWORD, {
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
      algorithm: 2,
    });
    const frank = await users.createUser({ username: 'frank', passwordHash: weak });
    expect((await post('login', { username: 'frank', password: PASSWORD })).status).toBe(200);
    expect((await users.findById(frank.id))?.passwordHash).toMatch(/m=19456,t=2,p=1/);
  });
});
