import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/chromium';
import { PostgresTestDatabase } from '@livegate/live-auth/testing';
import { RedisTestServer } from '@livegate/state/testing';
import { WorkerProcess } from './support/worker-process';

// The demo in Debian's Chromium: two demo worker processes (apps/demo/src/main.ts, configured
// only by the environment) on a Redis of this suite's own and a PostgreSQL user store, each tab
// on the worker it names. Screenshots of the key states go to test-artifacts/demo-browser/; with
// LIVEGATE_UPDATE_DOCS_SCREENSHOT=1 the live page's also replaces docs/demo-live.png.

const ROOT = join(__dirname, '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'demo-browser');
const PASSWORD = 'correct horse battery staple';

// Installed before any page script: reports violations of the content security policy.
const INIT_SCRIPT = `
  document.addEventListener('securitypolicyviolation', (event) => {
    window.reportViolation(event.violatedDirective + ' ' + event.blockedURI);
  });
`;

/** What went wrong in the pages of all contexts: policy violations and page errors. */
const problems: string[] = [];

describe('the demo in a browser, on two workers sharing Redis and PostgreSQL', () => {
  let redis: RedisTestServer;
  let database: PostgresTestDatabase;
  let workers: WorkerProcess[] = [];
  let browser: Browser;
  let dataDir: string;
  const contexts: BrowserContext[] = [];
  let a: string;
  let b: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'livegate-demo-browser-'));
    [redis, database] = await Promise.all([RedisTestServer.start(), PostgresTestDatabase.create()]);
    const env = {
      NO_COLOR: '1',
      LIVEGATE_DEMO_DATA_DIR: dataDir,
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
      LIVEGATE_DEPLOY__TOKEN_SECRET: 'demo-browser-secret-of-at-least-32-chars',
      LIVEGATE_DEPLOY__ADMIN_USERS: 'local:root',
      LIVEGATE_LIVE_AUTH__USER_STORE: 'postgres',
      LIVEGATE_LIVE_AUTH__DATABASE_URL: database.url,
    };
    const script = '../../apps/demo/src/main.ts';
    [workers, browser] = await Promise.all([
      Promise.all(['demo-a', 'demo-b'].map((id) => WorkerProcess.start(id, env, { script }))),
      launchChromium(),
    ]);
    [a, b] = workers.map((worker) => worker.url);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await browser?.close();
    await Promise.all(workers.map((worker) => worker.stop()));
    workers = [];
    await redis?.dispose();
    await database?.drop();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** A browser of its own (cookies and all): requests leave loopback never. */
  async function newContext(name: string): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contexts.push(context);
    await context.route(
      (url) => url.origin !== a && url.origin !== b,
      (route) => route.abort(),
    );
    await context.exposeBinding('reportViolation', (_source, text: string) => {
      problems.push(`${name}: ${text}`);
    });
    await context.addInitScript({ content: INIT_SCRIPT });
    context.on('page', (page) =>
      page.on('pageerror', (error) => problems.push(`${name}: ${String(error)}`)),
    );
    return context;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** The state of an auth region of the page. */
  const regionState = (page: Page, region: string) =>
    page.getAttribute(`[data-auth-region="${region}"]`, 'data-auth-state');

  /** Waits until the region of the page is in `state` (bounded). */
  const waitForRegion = (page: Page, region: string, state: string, timeout = 5000) =>
    page.waitForSelector(`[data-auth-region="${region}"][data-auth-state="${state}"]`, {
      timeout,
    });

  /**
   * Clicks and waits (bounded) until the page shows `url`. The click's own redirect and the live
   * connection's `auth:navigate` may both send the page there at once, and the one that loses is
   * an aborted navigation: only where the page ends counts.
   */
  async function clickAndLand(page: Page, selector: string, url: string, timeout = 10000) {
    const deadline = Date.now() + timeout;
    const landed = (async () => {
      for (;;) {
        try {
          await page.waitForURL(url, { timeout: Math.max(1, deadline - Date.now()) });
          await page.waitForLoadState('load', { timeout: Math.max(1, deadline - Date.now()) });
          return;
        } catch (error) {
          if (Date.now() >= deadline || !/ERR_ABORTED|detached|interrupted/i.test(String(error))) {
            throw error;
          }
        }
      }
    })();
    await page.click(selector).catch((error: unknown) => {
      // The page may already be on its way elsewhere when the click settles.
      if (!/detached|navigat|closed/i.test(String(error))) {
        throw error;
      }
    });
    await landed;
    expect(page.url()).toBe(url);
  }

  /** Waits until the page's live connection delivered its first update (bounded). */
  const waitForLive = (page: Page) =>
    page.waitForSelector('html[data-auth-version]', { state: 'attached', timeout: 10000 });

  /** Registers (once) and signs in through the login page's forms; ends on the live page. */
  async function signIn(page: Page, base: string, username: string, register: boolean) {
    await page.goto(`${base}/login`, { timeout: 10000 });
    const form = register ? '#register-form' : '#login-form';
    await page.fill(`${form} input[name="username"]`, username);
    await page.fill(`${form} input[name="password"]`, PASSWORD);
    await Promise.all([
      page.waitForURL(`${base}/live`, { timeout: 10000 }),
      page.click(`${form} button[type="submit"]`),
    ]);
    await waitForLive(page);
  }

  /** Sets a marker in the page's window: it survives only as long as the page is not reloaded. */
  const mark = (page: Page) => page.evaluate('window.__notReloaded = true');
  const marked = (page: Page) => page.evaluate('window.__notReloaded === true');

  let user: BrowserContext;
  let tabA: Page;
  let tabB: Page;

  it('signs in on worker A and opens the live page in a second tab on worker B', async () => {
    user = await newContext('uma');
    tabA = await user.newPage();
    await signIn(tabA, a, 'uma', true);
    await shot(tabA, '01-login-then-live');
    tabB = await user.newPage();
    await tabB.goto(`${b}/live`, { timeout: 10000 });
    // The async policy's region shows its "authorizing" branch first, then its outcome.
    expect(await regionState(tabB, 'reports-panel')).toBe('authorizing');
    await shot(tabB, '02-authorizing');
    await waitForLive(tabB);
    await waitForRegion(tabB, 'reports-panel', 'denied');
    for (const tab of [tabA, tabB]) {
      expect(await regionState(tab, 'admin-panel')).toBe('denied');
      expect(await tab.textContent('#user-name')).toBe('uma');
      expect(await tab.textContent('#roles')).toBe('viewer');
    }
  }, 40_000);

  it('grant admin in tab A: tab B on the other worker shows the admin panel without a reload', async () => {
    await mark(tabB);
    await Promise.all([
      tabA.waitForURL(`${a}/live`, { timeout: 10000 }),
      tabA.click('#grant-admin'),
    ]);
    await waitForRegion(tabB, 'admin-panel', 'allowed');
    expect(await marked(tabB)).toBe(true);
    expect(await tabB.textContent('[data-auth-region="admin-panel"]')).toContain(
      'Only admins see this, uma',
    );
    // The claims card follows the livegate:auth-update event.
    await tabB.waitForFunction(
      "document.getElementById('roles')?.textContent === 'viewer, admin'",
      undefined,
      {
        timeout: 5000,
      },
    );
    expect(await tabB.textContent('#claims')).toContain('role = admin');
    // The async region's outcome for an admin arrives after its "authorizing" branch.
    await waitForRegion(tabB, 'reports-panel', 'allowed');
    expect(await marked(tabB)).toBe(true);
    expect(await regionState(tabA, 'admin-panel')).toBe('allowed');
    await shot(tabB, '03-live-admin-granted');
    if (process.env.LIVEGATE_UPDATE_DOCS_SCREENSHOT === '1') {
      copyFileSync(join(ARTIFACTS, '03-live-admin-granted.png'), join(ROOT, 'docs/demo-live.png'));
    }
  }, 30_000);

  it('join beta in tab B: tab A shows the beta panel without a reload', async () => {
    await mark(tabA);
    await Promise.all([tabB.waitForURL(`${b}/live`, { timeout: 10000 }), tabB.click('#join-beta')]);
    await waitForRegion(tabA, 'beta-panel', 'allowed');
    expect(await marked(tabA)).toBe(true);
    expect(await tabA.textContent('#claims')).toContain('tier = beta');
  }, 30_000);

  it("an admin in another browser demotes the user: the user's tab loses its admin panel", async () => {
    const admin = await newContext('root');
    const adminTab = await admin.newPage();
    await signIn(adminTab, b, 'root', true);
    await adminTab.goto(`${b}/admin`, { timeout: 10000 });
    await waitForLive(adminTab);
    await shot(adminTab, '04-admin-users');
    await mark(tabA);
    await Promise.all([
      adminTab.waitForURL(`${b}/admin`, { timeout: 10000 }),
      adminTab.click('button[data-user="uma"][data-action="revoke-admin"]'),
    ]);
    await waitForRegion(tabA, 'admin-panel', 'denied');
    await waitForRegion(tabB, 'admin-panel', 'denied');
    expect(await marked(tabA)).toBe(true);
    expect(await tabA.textContent('#roles')).toBe('viewer');
    expect(await adminTab.textContent('tr[data-user="uma"]')).toContain('Grant admin');
    await shot(tabA, '05-live-demoted');
  }, 40_000);

  it('sign out in tab A: both tabs land on the login page', async () => {
    await clickAndLand(tabA, '#sign-out', `${a}/login`);
    await tabB.waitForURL(`${b}/login`, { timeout: 5000 });
    await shot(tabB, '06-signed-out');
    const live = await tabB.goto(`${b}/live`, { timeout: 10000 });
    expect(live?.url()).toBe(`${b}/login`);
  }, 30_000);

  it("a revoked session's tab cannot act any more", async () => {
    // A tab whose live connection never reaches the server misses the push of the revocation.
    const stale = await newContext('uma-stale');
    const staleTab = await stale.newPage();
    await signIn(staleTab, a, 'uma', false);
    await staleTab.routeWebSocket(/\/socket\.io\//, () => {
      // Never connected to the server: the page keeps showing what it has.
    });
    await staleTab.reload({ timeout: 10000 });
    expect(staleTab.url()).toBe(`${a}/live`);
    // Another browser of the same user ends every session.
    const other = await newContext('uma-other');
    const otherTab = await other.newPage();
    await signIn(otherTab, b, 'uma', false);
    await clickAndLand(otherTab, '#sign-out-everywhere', `${b}/login`);
    // The stale tab still shows the live page; its next action lands on the login page.
    expect(staleTab.url()).toBe(`${a}/live`);
    await clickAndLand(staleTab, '#grant-admin', `${a}/login`);
    await shot(staleTab, '07-revoked-session-cannot-act');
    // Nothing was granted: the admin sees uma without the role.
    const admin = contexts[1];
    const adminTab = admin.pages()[0];
    await adminTab.goto(`${b}/admin`, { timeout: 10000 });
    expect(await adminTab.textContent('tr[data-user="uma"]')).toContain('Grant admin');
  }, 40_000);

  it('broke no rule of the content security policy and threw no page error', () => {
    expect(problems).toEqual([]);
  });
});
