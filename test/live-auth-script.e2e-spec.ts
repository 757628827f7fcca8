import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/chromium';
import { ClaimsPrincipal } from '@livegate/auth';
import {
  AUTH_NAVIGATE_EVENT,
  AUTH_UPDATE_EVENT,
  LIVE_AUTH_CLIENT_SCRIPT,
  LIVE_AUTH_CLIENT_SCRIPT_SHA256,
  LIVE_AUTH_SCRIPT_PATH,
  LIVE_AUTH_UPDATE_DOM_EVENT,
  type AuthNavigateMessage,
  type AuthUpdateMessage,
  type RenderedRegion,
} from '@livegate/live-auth';
import { PLATFORMS, startApp } from './support/platform';
import {
  FIRST_VIEWER,
  ProbeLiveGateway,
  STRICT_CSP,
  demoRegions,
  liveAuthScriptModule,
} from './support/live-auth-script-app';

// The browser script in Debian's Chromium, under a strict content security policy, against a
// stand-in gateway on the live-auth namespace (the real gateway has suites of its own).

const ADMIN = new ClaimsPrincipal({
  isAuthenticated: true,
  userId: 'alice',
  name: 'Alice <b>admin</b>',
  claims: [{ type: 'role', value: 'admin' }],
});

/** Polls `probe` until it returns something truthy, for at most `timeoutMs`. */
async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) {
      return value as NonNullable<T>;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What a browser context saw: policy violations, console lines, page errors and requests. */
interface Recorder {
  context: BrowserContext;
  page: Page;
  violations: string[];
  console: string[];
  errors: string[];
  requests: string[];
}

// Installed before any page script: records policy violations and the script's DOM events.
const INIT_SCRIPT = `
  window.__authUpdates = [];
  document.addEventListener(${JSON.stringify(LIVE_AUTH_UPDATE_DOM_EVENT)}, (event) => {
    window.__authUpdates.push(event.detail);
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    window.reportViolation(event.violatedDirective + ' ' + event.blockedURI);
  });
`;

async function openPage(browser: Browser, base: string): Promise<Recorder> {
  const context = await browser.newContext();
  const recorder: Recorder = {
    context,
    page: undefined as unknown as Page,
    violations: [],
    console: [],
    errors: [],
    requests: [],
  };
  // Nothing leaves loopback: every request to another origin is refused (and recorded below).
  await context.route(
    (url) => url.origin !== base,
    (route) => route.abort(),
  );
  await context.exposeBinding('reportViolation', (_source, text: string) => {
    recorder.violations.push(text);
  });
  await context.addInitScript({ content: INIT_SCRIPT });
  recorder.page = await context.newPage();
  recorder.page.on('console', (message) =>
    recorder.console.push(`${message.type()}: ${message.text()}`),
  );
  recorder.page.on('pageerror', (error) => recorder.errors.push(String(error)));
  recorder.page.on('request', (request) => recorder.requests.push(request.url()));
  return recorder;
}

/** A region element's state and inner HTML, read in the page. */
async function regionOf(page: Page, name: string): Promise<RenderedRegion> {
  return (await page.evaluate(`(() => {
    const element = document.querySelector('[data-auth-region="${name}"]');
    return { state: element.getAttribute('data-auth-state'), html: element.innerHTML };
  })()`)) as RenderedRegion;
}

function updateOf(
  version: number,
  principal: ClaimsPrincipal,
  regions: Record<string, RenderedRegion>,
): AuthUpdateMessage {
  return {
    version,
    principal: {
      isAuthenticated: principal.isAuthenticated,
      userId: principal.userId,
      name: principal.name,
      claims: [...principal.claims],
      roles: [...principal.roles],
    },
    regions,
  };
}

describe('the live-auth browser script', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30000);

  afterAll(async () => {
    await browser?.close();
  });

  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication;
    let base: string;
    let gateway: ProbeLiveGateway;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      ({ app, base } = await startApp([liveAuthScriptModule()], platform));
      gateway = app.get(ProbeLiveGateway);
    });

    afterAll(async () => {
      await Promise.all(contexts.map((context) => context.close()));
      await app?.close();
    });

    async function recorder(): Promise<Recorder> {
      const opened = await openPage(browser, base);
      contexts.push(opened.context);
      return opened;
    }

    describe('GET the script', () => {
      it('serves it as JavaScript that is revalidated every time, with its ETag', async () => {
        const response = await fetch(`${base}${LIVE_AUTH_SCRIPT_PATH}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('cache-control')).toBe('no-cache');
        expect(response.headers.get('etag')).toBe(`"${LIVE_AUTH_CLIENT_SCRIPT_SHA256}"`);
        expect(await response.text()).toBe(LIVE_AUTH_CLIENT_SCRIPT);
      });

      it('answers 304 without a body when the browser has it', async () => {
        const etag = `"${LIVE_AUTH_CLIENT_SCRIPT_SHA256}"`;
        for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
          const response = await fetch(`${base}${LIVE_AUTH_SCRIPT_PATH}`, {
            headers: { 'if-none-match': ifNoneMatch },
          });
          expect(response.status).toBe(304);
          expect(response.headers.get('etag')).toBe(etag);
          expect(await response.text()).toBe('');
        }
        const stale = await fetch(`${base}${LIVE_AUTH_SCRIPT_PATH}`, {
          headers: { 'if-none-match': '"stale"' },
        });
        expect(stale.status).toBe(200);
        expect(await stale.text()).toBe(LIVE_AUTH_CLIENT_SCRIPT);
      });
    });

    it('sees a violation of the policy when a page breaks it (the check below works)', async () => {
      const { page, violations } = await recorder();
      const response = await page.goto(`${base}/csp-probe`, { timeout: 10000 });
      expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP);
      await until(() => violations.length > 0, 'a securitypolicyviolation event');
      expect(violations[0]).toMatch(/^script-src/);
      expect(await page.title()).toBe('Probe');
    });

    describe('on a live page', () => {
      let tab: Recorder;
      let page: Page;

      beforeAll(async () => {
        tab = await recorder();
        page = tab.page;
      });

      const authUpdates = () =>
        page.evaluate('window.__authUpdates') as Promise<AuthUpdateMessage[]>;
      const authVersion = () =>
        page.evaluate('document.documentElement.dataset.authVersion') as Promise<
          string | undefined
        >;

      it('connects with the page and version of its script tag', async () => {
        await page.goto(`${base}/demo`, { timeout: 10000 });
        await until(() => gateway.handshakes.length === 1, 'the handshake');
        expect(gateway.handshakes[0]).toEqual({ page: 'demo', version: 3 });
        expect(await regionOf(page, 'admin-panel')).toEqual({
          state: 'denied',
          html: '<p class="ask">Request access from an admin.</p>',
        });
        expect(await regionOf(page, 'greeting')).toEqual({
          state: 'allowed',
          html: '<p class="hello">Hello, &lt;img src=x id=injected&gt;</p>',
        });
        expect(await page.evaluate('document.getElementById("injected") === null')).toBe(true);
        expect(FIRST_VIEWER.userId).toBe('carol');
      });

      it('swaps every region on a newer auth:update and tells the page', async () => {
        const regions = await demoRegions().renderAll(['admin-panel', 'greeting'], ADMIN);
        gateway.namespace.emit(AUTH_UPDATE_EVENT, updateOf(4, ADMIN, regions));
        await until(async () => (await authVersion()) === '4', 'data-auth-version 4');
        expect(await regionOf(page, 'admin-panel')).toEqual({
          state: 'allowed',
          html: '<p class="admin">Admin-only panel.</p>',
        });
        expect(await regionOf(page, 'greeting')).toEqual({
          state: 'allowed',
          html: '<p class="hello">Hello, Alice &lt;b&gt;admin&lt;/b&gt;</p>',
        });
        const updates = await authUpdates();
        expect(updates).toHaveLength(1);
        expect(updates[0]).toMatchObject({
          version: 4,
          principal: { userId: 'alice', name: 'Alice <b>admin</b>', roles: ['admin'] },
        });
      });

      it('ignores an older or malformed auth:update', async () => {
        const stale = { state: 'denied', html: '<p>stale</p>' } as const;
        gateway.namespace.emit(
          AUTH_UPDATE_EVENT,
          updateOf(2, FIRST_VIEWER, { 'admin-panel': stale, greeting: stale }),
        );
        gateway.namespace.emit(AUTH_UPDATE_EVENT, { version: '9', regions: { greeting: stale } });
        gateway.namespace.emit(AUTH_UPDATE_EVENT, null);
        // The same version again is applied: it proves the ones before were handled (in order).
        gateway.namespace.emit(
          AUTH_UPDATE_EVENT,
          updateOf(4, ADMIN, {
            greeting: { state: 'bogus', html: '<p>bogus</p>' } as unknown as RenderedRegion,
          }),
        );
        await until(async () => (await authUpdates()).length === 2, 'the second applied update');
        expect((await authUpdates()).map((update) => update.version)).toEqual([4, 4]);
        expect(await authVersion()).toBe('4');
        expect((await regionOf(page, 'admin-panel')).state).toBe('allowed');
        expect((await regionOf(page, 'greeting')).html).toContain('Hello, Alice');
      });

      it('sends the newest version when it reconnects', async () => {
        // Closing the transport (not a socket.io disconnect) makes the client reconnect.
        gateway.sockets().forEach((socket) => socket.conn.close());
        await until(() => gateway.handshakes.length === 2, 'the reconnection', 10000);
        expect(gateway.handshakes[1]).toEqual({ page: 'demo', version: 4 });
      });

      it('refuses to navigate anywhere but a path of this origin', async () => {
        await until(() => gateway.sockets().length === 1, 'the reconnected socket');
        const hostile: unknown[] = [
          { to: '//evil.example', reason: 'revoked' },
          { to: 'https://evil.example/', reason: 'revoked' },
          { to: '/\\evil.example', reason: 'revoked' },
          { to: '/\t/evil.example', reason: 'revoked' },
          { to: 'javascript:alert(1)', reason: 'revoked' },
          { to: 42, reason: 'revoked' },
          null,
        ];
        for (const message of hostile) {
          gateway.namespace.emit(AUTH_NAVIGATE_EVENT, message);
        }
        gateway.namespace.emit(AUTH_UPDATE_EVENT, updateOf(5, ADMIN, {}));
        await until(async () => (await authVersion()) === '5', 'data-auth-version 5');
        expect(page.url()).toBe(`${base}/demo`);
        expect(tab.requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
      });

      it('follows auth:navigate to a path of this origin', async () => {
        const message: AuthNavigateMessage = { to: '/login', reason: 'revoked' };
        gateway.namespace.emit(AUTH_NAVIGATE_EVENT, message);
        await page.waitForURL(`${base}/login`, { timeout: 5000 });
        expect(await page.evaluate('document.getElementById("login").textContent')).toBe('Sign in');
      });

      it('never emitted an event, and broke no rule of the policy', () => {
        expect(gateway.clientEvents).toEqual([]);
        expect(tab.violations).toEqual([]);
        expect(tab.errors).toEqual([]);
        expect(tab.console.filter((line) => /security policy|refused to/i.test(line))).toEqual([]);
        expect(tab.requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
      });
    });
  });
});
