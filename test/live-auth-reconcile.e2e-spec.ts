import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserStore, type LiveAuthOptions } from '@livegate/live-auth';
import { liveTestModule } from './support/live-app';
import { LiveTab, registerUser, signIn } from './support/live-clients';
import { startApp } from './support/platform';

// What keeps live tabs right when an event never comes: the row is the truth, and the gateway
// reads it again on a timer, when a tab has seen a newer version than its worker, and at the
// session's expiry. The rows here change behind AuthActions' back, so no event is ever sent.

async function start(folder: string, live: LiveAuthOptions, sessionTtl = 3600) {
  return startApp(
    [
      liveTestModule({
        state: { backend: 'memory' },
        auth: {
          enabled: true,
          tokenSecret: 'live-reconcile-secret-of-at-least-32-chars',
          secureCookies: false,
          sessionTtl,
        },
        liveAuth: { sqlitePath: join(folder, 'users.db'), keyring: null, live },
      }),
    ],
    'express',
  );
}

const betaShown = (message: { regions: Record<string, { state: string }> }) =>
  message.regions.beta?.state === 'allowed';

describe('live auth without events', () => {
  let folder: string;
  let app: INestApplication | undefined;
  let tabs: LiveTab[] = [];

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-reconcile-'));
  });

  afterEach(async () => {
    tabs.forEach((tab) => tab.close());
    tabs = [];
    await app?.close();
    app = undefined;
    rmSync(folder, { recursive: true, force: true });
  });

  it('repairs the snapshot and updates the tabs from the row on the timer', async () => {
    const started = await start(folder, { reconcileIntervalMs: 200 });
    app = started.app;
    const id = await registerUser(started.base, 'alice');
    const cookie = await signIn(started.base, 'alice');
    const tab = await LiveTab.open('alice', started.base, cookie);
    tabs.push(tab);
    expect(tab.last!.regions.beta.state).toBe('denied');
    const row = await app
      .get(UserStore)
      .updateClaims(id, (claims) => [...claims, { type: 'tier', value: 'beta' }]);
    const update = await tab.waitForUpdate(betaShown);
    expect(update.version).toBe(row.claimsVersion);
    const me = (await (await fetch(`${started.base}/me`, { headers: { cookie } })).json()) as {
      claims: { type: string; value: string }[];
    };
    expect(me.claims).toContainEqual({ type: 'tier', value: 'beta' });
  });

  it('reads the stores again when a tab has seen a newer version than its worker', async () => {
    const started = await start(folder, { reconcileIntervalMs: 600_000 });
    app = started.app;
    const id = await registerUser(started.base, 'bob');
    const cookie = await signIn(started.base, 'bob');
    const first = await LiveTab.open('bob-1', started.base, cookie);
    tabs.push(first);
    const row = await app
      .get(UserStore)
      .updateClaims(id, (claims) => [...claims, { type: 'tier', value: 'beta' }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(first.updates.some(betaShown)).toBe(false);
    // A page rendered after the change carries its version: the worker missed an event.
    const second = await LiveTab.open('bob-2', started.base, cookie, 'live', row.claimsVersion);
    tabs.push(second);
    expect(betaShown(second.last!)).toBe(true);
    expect((await first.waitForUpdate(betaShown)).version).toBe(row.claimsVersion);
  });

  it('sends a tab to login when its session expires', async () => {
    const started = await start(folder, { reconcileIntervalMs: 600_000 }, 2);
    app = started.app;
    await registerUser(started.base, 'carol');
    const cookie = await signIn(started.base, 'carol');
    const tab = await LiveTab.open('carol', started.base, cookie);
    tabs.push(tab);
    expect(await tab.waitForNavigation(5000)).toEqual({ to: '/login', reason: 'expired' });
  });

  it('sends a disabled user to login at the next reconciliation', async () => {
    const started = await start(folder, { reconcileIntervalMs: 200 });
    app = started.app;
    const id = await registerUser(started.base, 'dave');
    const cookie = await signIn(started.base, 'dave');
    const tab = await LiveTab.open('dave', started.base, cookie);
    tabs.push(tab);
    await app.get(UserStore).setDisabled(id, true);
    expect(await tab.waitForNavigation()).toEqual({ to: '/login', reason: 'revoked' });
    expect((await fetch(`${started.base}/me`, { headers: { cookie } })).status).toBe(401);
  });
});
