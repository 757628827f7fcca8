import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { waitFor } from '@livegate/state/testing';
import { UserStore } from '@livegate/live-auth';
import { liveTestModule } from './support/live-app';
import { LIVE_PASSWORD, LiveTab, postJson, registerUser, signIn } from './support/live-clients';
import { describeLiveAuthFlows } from './support/live-flows';
import { PLATFORMS, startApp } from './support/platform';

// Live auth in one process on the memory backend: the channel is in-process, the gateway has no
// Redis adapter, and the same flows as across workers hold.

describe.each(PLATFORMS)('live auth in one process on memory, on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-live-'));
    ({ app, base } = await startApp(
      [
        liveTestModule({
          state: { backend: 'memory' },
          auth: {
            enabled: true,
            tokenSecret: 'live-auth-secret-of-at-least-32-characters',
            secureCookies: false,
            adminUsers: ['local:root'],
          },
          liveAuth: {
            sqlitePath: join(folder, 'users.db'),
            keyring: null,
            live: { reconcileIntervalMs: 60_000, regionTimeoutMs: 50 },
          },
        }),
      ],
      platform,
    ));
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  describeLiveAuthFlows(() => ({ a: base, b: base, c: base }));

  it('refuses bad claims with 400 and changes nothing: no row, snapshot or tab', async () => {
    const id = await registerUser(base, `hal-${platform}`);
    const cookie = await signIn(base, `hal-${platform}`);
    const tab = await LiveTab.open('hal', base, cookie);
    const users = app.get(UserStore);
    const before = (await users.findById(id))!;
    const badTypes: unknown[] = [
      '',
      'Role',
      'role ',
      ' role',
      'ro\u200ble',
      'role\n',
      'a'.repeat(65),
    ];
    const badValues: unknown[] = [
      '',
      ' admin',
      'admin ',
      'ad\u0000min',
      'ad\u200bmin',
      'admin\u2028',
      'x'.repeat(257),
      'not a role!',
    ];
    const bodies: unknown[] = [
      ...badTypes.map((type) => ({ type, value: 'admin' })),
      ...[123, null, ['role'], {}, true].map((type) => ({ type, value: 'admin' })),
      ...badValues.map((value) => ({ type: 'role', value })),
      ...[5, null, ['admin'], { value: 'admin' }].map((value) => ({ type: 'role', value })),
      { type: 'tier' },
    ];
    try {
      for (const body of bodies) {
        const answer = await postJson(base, '/actions/grant', body, cookie);
        expect({ body, status: answer.status }).toEqual({ body, status: 400 });
        expect(answer.body).toEqual({ error: 'invalid_input', message: expect.any(String) });
      }
      const unknown = await postJson(base, '/actions/revoke-claim', { type: 'Ro le' }, cookie);
      expect(unknown.status).toBe(400);
      const after = (await users.findById(id))!;
      expect(after.claimsVersion).toBe(before.claimsVersion);
      expect(after.claims).toEqual(before.claims);
      const me = (await (await fetch(`${base}/me`, { headers: { cookie } })).json()) as {
        roles: string[];
      };
      expect(me.roles).toEqual(['viewer']);
      expect(tab.updates).toHaveLength(1);
    } finally {
      tab.close();
    }
  });

  it('takes no page or version a handshake makes up: no regions, the server-side version', async () => {
    await registerUser(base, `ida-${platform}`);
    const cookie = await signIn(base, `ida-${platform}`);
    const pages: unknown[] = [
      '__proto__',
      'constructor',
      '../admin',
      'admin page',
      'x'.repeat(65),
      7,
      {},
      ['live'],
      null,
    ];
    const versions: unknown[] = [-1, 1e300, 2 ** 60, 'NaN', { valueOf: 9 }, null];
    const tabs: LiveTab[] = [];
    try {
      for (const page of pages) {
        const tab = await LiveTab.open(`ida-page`, base, cookie, page as never);
        tabs.push(tab);
        expect({ page, regions: tab.last!.regions }).toEqual({ page, regions: {} });
      }
      for (const version of versions) {
        const tab = await LiveTab.open(`ida-version`, base, cookie, 'live', version as never);
        tabs.push(tab);
        expect(tab.last!.version).toBe(tabs[0].last!.version);
        expect(tab.last!.regions['admin-panel'].state).toBe('denied');
      }
      expect(tabs.every((tab) => tab.connected)).toBe(true);
    } finally {
      tabs.forEach((tab) => tab.close());
    }
  });

  it('answers 404 for an unknown user and changes nothing', async () => {
    const root = await signIn(base, 'root');
    const answer = await postJson(
      base,
      '/admin/users/00000000-0000-4000-8000-000000000000/grant',
      { type: 'role', value: 'admin' },
      root,
    );
    expect(answer).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('ends the live connections of a session that logs out (as the OAuth routes do)', async () => {
    await registerUser(base, `fay-${platform}`);
    const cookie = await signIn(base, `fay-${platform}`);
    const tabs = await Promise.all([
      LiveTab.open('fay-1', base, cookie),
      LiveTab.open('fay-2', base, cookie),
    ]);
    try {
      expect(await postJson(base, '/actions/logout', {}, cookie)).toMatchObject({
        status: 200,
        body: { logged_out: true },
      });
      for (const tab of tabs) {
        expect(await tab.waitForNavigation(2000)).toEqual({ to: '/login', reason: 'revoked' });
      }
    } finally {
      tabs.forEach((tab) => tab.close());
    }
  });

  it('shows a slow region as authorizing, then its outcome', async () => {
    await registerUser(base, `gus-${platform}`);
    const cookie = await signIn(base, `gus-${platform}`);
    const tab = await LiveTab.open('gus', base, cookie, 'slow');
    try {
      expect(tab.updates[0].regions['slow-panel']).toEqual({
        state: 'authorizing',
        html: '<small>Checking permissions…</small>',
      });
      const settled = await tab.waitForUpdate(
        (message) => message.regions['slow-panel']?.state === 'denied',
      );
      expect(settled.regions['slow-panel'].html).toBe('<p>No slow admin content.</p>');
      expect(settled.version).toBe(tab.updates[0].version);
    } finally {
      tab.close();
    }
  });

  it("ends a bearer token's live connection when the local identity provider revokes it", async () => {
    await registerUser(base, `erin-${platform}`);
    const issued = await postJson(base, '/auth/local/token', {
      username: `erin-${platform}`,
      password: LIVE_PASSWORD,
    });
    const token = issued.body.access_token as string;
    const socket = io(`${base}/live-auth`, {
      transports: ['websocket'],
      auth: { token, page: 'live' },
      reconnection: false,
    });
    const navigations: unknown[] = [];
    socket.on('auth:navigate', (message: unknown) => navigations.push(message));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('auth:update', () => resolve());
        socket.once('connect_error', reject);
      });
      expect(await postJson(base, '/auth/local/revoke', { token })).toMatchObject({
        status: 200,
        body: { revoked: true },
      });
      await waitFor(() => navigations.length === 1 && !socket.connected, {
        timeoutMs: 2000,
        description: 'the revoked token navigated and disconnected',
      });
      expect(navigations).toEqual([{ to: '/login', reason: 'revoked' }]);
    } finally {
      socket.close();
    }
  });
});
