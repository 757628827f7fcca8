import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WidgetStore } from '@livegate/state';
import { UserStore } from '@livegate/live-auth';
import { AppModule } from '../apps/demo/src/app.module';
import { DemoConfigurationError, TOKEN_SECRET_FILE } from '../apps/demo/src/demo-data';
import { DEMO_WIDGET_ID } from '../apps/demo/src/demo-widgets';
import { DEMO_CONTENT_SECURITY_POLICY } from '../apps/demo/src/pages';

const PASSWORD = 'correct horse battery';

/** The environment of a fresh shell: no LIVEGATE_ variable but the data folder. */
function freshEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('LIVEGATE_') || key === 'NODE_ENV') {
      delete env[key];
    }
  }
  return { ...env, LIVEGATE_DEMO_DATA_DIR: dataDir, ...extra };
}

async function boot(env: NodeJS.ProcessEnv): Promise<{ app: INestApplication; base: string }> {
  const saved = process.env;
  // The modules below read process.env while they are built.
  process.env = env;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(env)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    return { app, base: `http://127.0.0.1:${port}` };
  } finally {
    process.env = saved;
  }
}

describe('demo app (HTTP, the defaults: memory state, auth on, live auth)', () => {
  let app: INestApplication;
  let base: string;
  let cookie: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'livegate-demo-'));

  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        origin: base,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = { cookie }) =>
    fetch(`${base}${path}`, { headers, redirect: 'manual' });

  beforeAll(async () => {
    ({ app, base } = await boot(freshEnv(dataDir)));
    expect(
      (await post('/auth/local/register', { username: 'dora', password: PASSWORD })).status,
    ).toBe(201);
    const login = await post('/auth/local/login', { username: 'dora', password: PASSWORD });
    expect(login.status).toBe(200);
    cookie = login.headers.getSetCookie()[0].split(';')[0];
    // Development on plain HTTP: no `Secure`, no `__Host-` prefix.
    expect(cookie).toMatch(/^livegate_session=/);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('GET /health answers ok with the backend, without a session', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', backend: 'memory' });
  });

  it('makes the development token secret once in the data folder, readable by its owner only', () => {
    const file = join(dataDir, TOKEN_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('sends anonymous visitors of every page to /login', async () => {
    for (const path of ['/', '/live', '/reports']) {
      const response = await get(path, {});
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/login');
    }
    expect((await get('/admin', {})).status).toBe(401);
  });

  it('GET / lists the registered widgets, escaped, for a signed-in user', async () => {
    await app.get(WidgetStore).register('<script>x</script>', 'nope', {
      metadata: { title: '"quoted" & <b>bold</b>' },
    });
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain(`<a href="/widgets/${DEMO_WIDGET_ID}">${DEMO_WIDGET_ID}</a>`);
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page).toContain('&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(page).not.toContain('<script>');
    expect(page).toContain('Signed in as dora');
    await app.get(WidgetStore).delete('<script>x</script>');
  });

  it('GET /widgets/:id serves the demo widget registered at boot', async () => {
    const response = await fetch(`${base}/widgets/${DEMO_WIDGET_ID}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<h1>Hello from Livegate</h1>');
  });

  it('answers 404 with the JSON error body for an unknown widget', async () => {
    const response = await fetch(`${base}/widgets/unknown`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'not_found', message: 'No such widget' });
  });

  it.each([
    ['a control character', encodeURIComponent('bad\nid')],
    ['an over-long id', 'x'.repeat(257)],
    ['surrounding white space', encodeURIComponent(' padded ')],
  ])('answers 400 with the JSON error body for %s, changing nothing', async (_case, id) => {
    const before = await app.get(WidgetStore).listActive();
    const response = await fetch(`${base}/widgets/${id}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_input');
    expect(body.message).toMatch(/^widgetId: /);
    expect(Object.keys(body).sort()).toEqual(['error', 'message']);
    expect(await app.get(WidgetStore).listActive()).toEqual(before);
  });

  it('sends the strict policy on every answer: pages, redirects, errors, widgets', async () => {
    for (const [path, headers] of [
      ['/login', {}],
      ['/live', { cookie }],
      ['/live', {}],
      ['/', { cookie }],
      ['/admin', { cookie }],
      ['/no-such-page', {}],
      [`/widgets/${DEMO_WIDGET_ID}`, {}],
      ['/health', {}],
    ] as const) {
      const response = await get(path, headers);
      expect([path, response.headers.get('content-security-policy')]).toEqual([
        path,
        DEMO_CONTENT_SECURITY_POLICY,
      ]);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('has no inline script or style on its pages, and serves its stylesheet and scripts', async () => {
    for (const path of ['/login', '/live', '/']) {
      const text = await (await get(path)).text();
      expect(text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      for (const [, src] of text.matchAll(
        /<(?:script src|link rel="stylesheet" href)="([^"]+)"/g,
      )) {
        const asset = await fetch(`${base}${src}`);
        expect([src, asset.status]).toEqual([src, 200]);
      }
    }
    const css = await fetch(`${base}/demo/demo.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const script = await fetch(`${base}/demo/login.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('shows the live page: claims, the regions and the live-auth script with the row version', async () => {
    const text = await (await get('/live')).text();
    expect(text).toContain('<script src="/socket.io/socket.io.js"></script>');
    expect(text).toContain(
      '<script src="/livegate/live-auth.js" data-page="live" data-version="0"></script>',
    );
    expect(text).toMatch(/<div data-auth-region="admin-panel" data-auth-state="denied">/);
    expect(text).toMatch(/<div data-auth-region="beta-panel" data-auth-state="denied">/);
    expect(text).toMatch(/<div data-auth-region="reports-panel" data-auth-state="authorizing">/);
    expect(text).toContain('<li><code>role</code> = viewer</li>');
  });

  it('grants and revokes through AuthActions from same-origin form posts only', async () => {
    const users = app.get(UserStore);
    const before = (await users.findByUsername('dora'))!;
    // A post from another site, or with no origin at all, changes nothing.
    for (const headers of [
      { origin: 'http://evil.example', cookie },
      { origin: '', cookie },
    ]) {
      const refused = await post('/live/grant-admin', undefined, headers);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: 'forbidden', message: expect.any(String) });
    }
    expect((await users.findByUsername('dora'))!.claimsVersion).toBe(before.claimsVersion);

    const granted = await post('/live/grant-admin', undefined, { cookie });
    expect(granted.status).toBe(303);
    expect(granted.headers.get('location')).toBe('/live');
    const row = (await users.findByUsername('dora'))!;
    expect(row.claims).toEqual([{ type: 'role', value: 'admin' }]);
    expect(row.claimsVersion).toBe(before.claimsVersion + 1);
    const live = await (await get('/live')).text();
    expect(live).toMatch(/data-auth-region="admin-panel" data-auth-state="allowed"/);
    expect(live).toContain(`data-version="${row.claimsVersion}"`);
    const admin = await get('/admin');
    expect(admin.status).toBe(200);
    expect(await admin.text()).toMatch(/<tr data-user="dora">.*Revoke admin/);

    expect((await post('/live/revoke-admin', undefined, { cookie })).status).toBe(303);
    expect((await users.findByUsername('dora'))!.claims).toEqual([]);
    expect((await get('/admin')).status).toBe(403);
  });

  it('signs out: the session is gone and its next post lands on /login', async () => {
    const login = await post('/auth/local/login', { username: 'dora', password: PASSWORD });
    const other = login.headers.getSetCookie()[0].split(';')[0];
    const out = await post('/live/sign-out', undefined, { cookie: other });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect(out.headers.getSetCookie()[0]).toMatch(/^livegate_session=;/);
    const after = await post('/live/grant-admin', undefined, { cookie: other });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login');
    // The first session is untouched; "everywhere" ends it too.
    expect((await get('/live')).status).toBe(200);
    expect((await post('/live/sign-out-everywhere', undefined, { cookie })).status).toBe(303);
    expect((await get('/live')).status).toBe(303);
  });
});

describe('demo app configuration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'livegate-demo-config-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reuses the development secret across restarts', async () => {
    const first = await boot(freshEnv(dataDir));
    const secret = readFileSync(join(dataDir, TOKEN_SECRET_FILE), 'utf8');
    await first.app.close();
    const second = await boot(freshEnv(dataDir));
    await second.app.close();
    expect(readFileSync(join(dataDir, TOKEN_SECRET_FILE), 'utf8')).toBe(secret);
  });

  it('refuses a secret file others may read, or one that holds something else', () => {
    const folder = mkdtempSync(join(tmpdir(), 'livegate-demo-secret-'));
    try {
      const file = join(folder, TOKEN_SECRET_FILE);
      writeFileSync(file, 'x'.repeat(43), { mode: 0o644 });
      chmodSync(file, 0o644);
      expect(() => AppModule.forRoot(freshEnv(folder))).toThrow(/chmod 600/);
      chmodSync(file, 0o600);
      writeFileSync(file, 'not a secret');
      expect(() => AppModule.forRoot(freshEnv(folder))).toThrow(
        /does not hold a development token secret/,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses to start in production without an explicit TOKEN_SECRET, and makes no file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'livegate-demo-prod-'));
    try {
      const attempt = () => AppModule.forRoot(freshEnv(folder, { NODE_ENV: 'production' }));
      expect(attempt).toThrow(DemoConfigurationError);
      expect(attempt).toThrow(/NODE_ENV=production needs LIVEGATE_DEPLOY__TOKEN_SECRET/);
      expect(() => statSync(join(folder, TOKEN_SECRET_FILE))).toThrow(/ENOENT/);
      expect(() =>
        AppModule.forRoot(
          freshEnv(folder, {
            NODE_ENV: 'production',
            LIVEGATE_DEPLOY__TOKEN_SECRET: 'a-production-secret-of-at-least-32-chars',
          }),
        ),
      ).not.toThrow();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('still runs with auth disabled explicitly: every request is the local admin', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'livegate-demo-noauth-'));
    const { app, base } = await boot(freshEnv(folder, { LIVEGATE_DEPLOY__AUTH_ENABLED: 'false' }));
    try {
      expect((await fetch(`${base}/`)).status).toBe(200);
      expect((await fetch(`${base}/admin`)).status).toBe(200);
      expect(() => statSync(join(folder, TOKEN_SECRET_FILE))).toThrow(/ENOENT/);
    } finally {
      await app.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
