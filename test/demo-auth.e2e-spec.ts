import type { INestApplication } from '@nestjs/common';
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

  beforeAll(async () => {
    Object.assign(process.env, ENV);
    delete process.env.LIVEGATE_DEPLOY__STATE_BACKEND;
    ({ app, base } = await startApp([AppModule], platform));
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

  it('sends anonymous visitors of the index to /login', async () => {
    const response = await get('/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
    expect((await get('/', 'viewer')).status).toBe(200);
  });
});
