import type { INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionStore, type UserSession } from '@livegate/state';
import { AppModule } from '../apps/demo/src/app.module';
import { DEMO_WIDGET_ID } from '../apps/demo/src/demo-widgets';
import { PLATFORMS, startApp } from './support/platform';

const ENV = {
  LIVEGATE_DEPLOY__AUTH_ENABLED: 'true',
  LIVEGATE_DEPLOY__TOKEN_SECRET: 'demo-secret-0123456789-abcdefghijklmnopq',
  LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES: 'false',
  LIVEGATE_DEPLOY__AUTH_REQUIRE_FOR_WIDGETS: 'true',
};

describe.each(PLATFORMS)('demo app with auth enabled on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  const sessions: Record<string, UserSession> = {};
  const saved = { ...process.env };

  const dataDir = mkdtempSync(join(tmpdir(), 'livegate-demo-data-'));

  beforeAll(async () => {
    Object.assign(process.env, ENV, { LIVEGATE_DEMO_DATA_DIR: dataDir });
    delete process.env.LIVEGATE_DEPLOY__STATE_BACKEND;
    ({ app, base } = await startApp([AppModule.forRoot()], platform));
    const store = app.get(SessionStore);
    for (const [name, roles] of Object.entries({
      admin: ['admin'],
      editor: ['editor'],
      viewer: ['viewer'],
      none: [],
    })) {
      sessions[name] = await store.createSession({ userId: `${name}-user`, roles });
    }
  });

  afterAll(async () => {
    await app?.close();
    process.env = saved;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('mounts the local identity provider: register, sign in, and the viewer is no admin', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${base}/auth/local/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify(body),
      });
    const credentials = { username: 'demo-user', password: 'correct horse battery' };
    expect((await post('register', credentials)).status).toBe(201);
    const login = await post('login', credentials);
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    expect((await fetch(`${base}/`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/admin`, { headers: { cookie } })).status).toBe(403);
    // The user store is a file in the demo's data folder.
    expect(existsSync(join(dataDir, 'users.db'))).toBe(true);
  });

  const as = (name?: string) =>
    name ? { cookie: `livegate_session=${sessions[name].sessionId}` } : undefined;
  const get = (path: string, name?: string) =>
    fetch(`${base}${path}`, { headers: as(name), redirect: 'manual' });

  it('keeps /health public', async () => {
    expect((await get('/health')).status).toBe(200);
  });

  it('serves the admin page to admins only', async () => {
    expect((await get('/admin')).status).toBe(401);
    expect((await get('/admin', 'viewer')).status).toBe(403);
    const response = await get('/admin', 'admin');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You hold the admin role');
  });

  it('redirects the policy-gated page to /login with 303 when denied', async () => {
    for (const name of [undefined, 'viewer']) {
      const response = await get('/reports', name);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/login');
    }
    expect((await get('/reports', 'editor')).status).toBe(200);
    expect((await get('/login')).status).toBe(200);
  });

  it('protects the widget route and serves widgets with safe headers', async () => {
    const anonymous = await get(`/widgets/${DEMO_WIDGET_ID}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });

    const unreadable = await get(`/widgets/${DEMO_WIDGET_ID}`, 'none');
    expect(unreadable.status).toBe(404);
    expect(await unreadable.json()).toEqual({ error: 'not_found', message: expect.any(String) });

    const response = await get(`/widgets/${DEMO_WIDGET_ID}`, 'viewer');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('Hello from Livegate');
  });

  it('takes the live page buttons as browsers post them (an empty urlencoded form)', async () => {
    const post = (path: string, cookie?: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          origin: base,
          'content-type':
            body === undefined ? 'application/x-www-form-urlencoded' : 'application/json',
          ...(cookie ? { cookie } : {}),
        },
        body: body === undefined ? '' : JSON.stringify(body),
      });
    const credentials = { username: 'form-user', password: 'correct horse battery' };
    expect((await post('/auth/local/register', undefined, credentials)).status).toBe(201);
    const login = await post('/auth/local/login', undefined, credentials);
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    for (const action of ['join-beta', 'grant-admin']) {
      const answer = await post(`/live/${action}`, cookie);
      expect([action, answer.status, answer.headers.get('location')]).toEqual([
        action,
        303,
        '/live',
      ]);
    }
    const live = await (await fetch(`${base}/live`, { headers: { cookie } })).text();
    expect(live).toMatch(/data-auth-region="admin-panel" data-auth-state="allowed"/);
    expect(live).toMatch(/data-auth-region="beta-panel" data-auth-state="allowed"/);
    expect((await fetch(`${base}/admin`, { headers: { cookie } })).status).toBe(200);
    const out = await post('/live/sign-out', cookie);
    expect([out.status, out.headers.get('location')]).toEqual([303, '/login']);
    const stale = await post('/live/revoke-admin', cookie);
    expect([stale.status, stale.headers.get('location')]).toEqual([303, '/login']);
  });

  it('sends anonymous visitors of the index to /login', async () => {
    const response = await get('/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
    expect((await get('/', 'viewer')).status).toBe(200);
  });
});

const ROOT = join(__dirname, '..');

/** `npm run demo:session -- <args>` from source, in a process of its own, bounded in time. */
function demoSession(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(ROOT, 'apps/demo/src/create-session.ts'),
        ...args,
      ],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: env.HOME ?? tmpdir(),
          TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
          ...env,
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe('npm run demo:session', () => {
  jest.setTimeout(120_000);
  let directory: string;
  const saved = { ...process.env };

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'livegate-demo-session-'));
  });

  afterAll(() => {
    process.env = saved;
    rmSync(directory, { recursive: true, force: true });
  });

  it('on the memory backend explains why it cannot work and what does, and creates nothing', async () => {
    const result = await demoSession(['alice', 'admin'], {
      ...ENV,
      HOME: directory,
      LIVEGATE_DEPLOY__STATE_BACKEND: 'memory',
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    // No session id, no cookie: nothing a user could mistake for a working session.
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('No session was created');
    expect(result.stderr).toMatch(/cannot see it|could never see it/);
    expect(result.stderr).toContain('LIVEGATE_DEPLOY__STATE_BACKEND=sqlite');
    expect(result.stderr).toContain('LIVEGATE_DEPLOY__STATE_BACKEND=redis');
    expect(result.stderr).toContain('Trying auth in the demo');
  });

  it('on SQLite makes a session the demo server then accepts', async () => {
    const shared = {
      ...ENV,
      // The demo's own data folder (its user store) in this test's folder, not the repository's.
      LIVEGATE_DEMO_DATA_DIR: join(directory, 'demo-data'),
      LIVEGATE_DEPLOY__STATE_BACKEND: 'sqlite',
      LIVEGATE_DEPLOY__SQLITE_PATH: join(directory, 'demo.db'),
      LIVEGATE_DEPLOY__SQLITE_KEY: `x'${randomBytes(32).toString('hex')}'`,
    };
    const result = await demoSession(['alice', 'admin'], { ...shared, HOME: directory });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { sessionId: string; cookie: string };
    expect(printed.cookie).toBe(`livegate_session=${printed.sessionId}`);
    Object.assign(process.env, shared);
    for (const platform of PLATFORMS) {
      const { app, base } = await startApp([AppModule.forRoot()], platform);
      try {
        const admin = await fetch(`${base}/admin`, {
          headers: { cookie: printed.cookie },
          signal: AbortSignal.timeout(5000),
        });
        expect(admin.status).toBe(200);
        expect(await admin.text()).toContain('You hold the admin role');
      } finally {
        await app.close();
      }
    }
  });
});
