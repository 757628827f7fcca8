import { sleep } from '@livegate/state/testing';
import { LiveTab, postJson, registerUser, signIn } from './live-clients';

/** Where the flows run: three app URLs (one process three times, or three workers). */
export interface LiveTargets {
  a: string;
  b: string;
  c: string;
}

/** How long a tab that should get nothing is watched. */
const QUIET_MS = 300;

const adminVisible = (tab: LiveTab) =>
  tab.last?.regions['admin-panel']?.html.includes('Admin content visible') === true;
const adminShown = (message: { regions: Record<string, { state: string }> }) =>
  message.regions['admin-panel']?.state === 'allowed';

/**
 * The live-auth flows of issue 15 on three app URLs: alice with 3 tabs of one session on A and one
 * on B, and a second session with a tab on B; bob with 2 tabs on C; root (an admin through
 * ADMIN_USERS=local:root) acting on A. A grant updates all of alice's tabs with the new regions
 * and none of bob's; a demotion leaves the admin room; spoofed client events change nothing;
 * revoking one session navigates only its tabs; revoking alice navigates all of hers.
 */
export function describeLiveAuthFlows(targets: () => LiveTargets): void {
  let a: string;
  let b: string;
  let c: string;
  let aliceId: string;
  let bobId: string;
  let rootCookie: string;
  let aliceFirst: string;
  let aliceSecond: string;
  let bobCookie: string;
  let firstTabs: LiveTab[];
  let secondTab: LiveTab;
  let bobTabs: LiveTab[];
  let tabs: LiveTab[] = [];

  const open = async (name: string, base: string, cookie: string, page = 'live') => {
    const tab = await LiveTab.open(name, base, cookie, page);
    tabs.push(tab);
    return tab;
  };
  const aliceTabs = () => [...firstTabs, secondTab];
  const roomOf = async (base: string, room: string) =>
    (
      (await (await fetch(`${base}/test/rooms/${encodeURIComponent(room)}`)).json()) as {
        sockets: string[];
      }
    ).sockets;

  beforeAll(async () => {
    ({ a, b, c } = targets());
    const suffix = Math.random().toString(36).slice(2, 8);
    aliceId = await registerUser(a, `alice-${suffix}`);
    bobId = await registerUser(b, `bob-${suffix}`);
    await registerUser(c, 'root').catch(() => undefined);
    rootCookie = await signIn(a, 'root');
    aliceFirst = await signIn(a, `alice-${suffix}`);
    aliceSecond = await signIn(b, `alice-${suffix}`);
    bobCookie = await signIn(c, `bob-${suffix}`);
    firstTabs = await Promise.all([
      open('alice-1a', a, aliceFirst),
      open('alice-1b', a, aliceFirst),
      open('alice-1c', a, aliceFirst),
      open('alice-1d', b, aliceFirst),
    ]);
    secondTab = await open('alice-2a', b, aliceSecond);
    bobTabs = await Promise.all([open('bob-a', c, bobCookie), open('bob-b', c, bobCookie)]);
  }, 60_000);

  afterAll(() => {
    tabs.forEach((tab) => tab.close());
    tabs = [];
  });

  it('renders each tab for its own principal when it connects', () => {
    for (const tab of [...aliceTabs(), ...bobTabs]) {
      expect(tab.last!.regions['admin-panel']).toEqual({
        state: 'denied',
        html: '<p>Admin content hidden.</p>',
      });
    }
    expect(firstTabs[0].last!.principal.userId).toBe(aliceId);
    expect(bobTabs[0].last!.principal.userId).toBe(bobId);
  });

  it("updates all of alice's tabs on every worker when an admin grants her admin, and none of bob's", async () => {
    const before = firstTabs[0].last!.version;
    const bobUpdates = bobTabs.map((tab) => tab.updates.length);
    const granted = await postJson(
      a,
      `/admin/users/${aliceId}/grant`,
      { type: 'role', value: 'admin' },
      rootCookie,
    );
    expect(granted).toMatchObject({ status: 200, body: { sessions: 2, pending: false } });
    for (const tab of aliceTabs()) {
      const update = await tab.waitForUpdate(adminShown);
      expect(adminVisible(tab)).toBe(true);
      expect(update.version).toBe(before + 1);
      expect(update.principal.roles).toContain('admin');
      expect(update.regions['admin-panel'].state).toBe('allowed');
    }
    await sleep(QUIET_MS);
    expect(bobTabs.map((tab) => tab.updates.length)).toEqual(bobUpdates);
    // The next request of either session sees the grant too: the snapshots were written.
    for (const [base, cookie] of [
      [b, aliceFirst],
      [c, aliceSecond],
    ]) {
      const me = (await (await fetch(`${base}/me`, { headers: { cookie } })).json()) as {
        roles: string[];
      };
      expect(me.roles).toContain('admin');
    }
    const admins = await roomOf(c, 'role:admin');
    for (const tab of aliceTabs()) {
      expect(admins).toContain(tab.id);
    }
  });

  it('takes a demoted user out of the admin room and hides the admin region', async () => {
    const demoted = await postJson(
      b,
      `/admin/users/${aliceId}/revoke-claim`,
      { type: 'role', value: 'admin' },
      rootCookie,
    );
    expect(demoted.status).toBe(200);
    for (const tab of aliceTabs()) {
      await tab.waitForUpdate(
        (message) => message.regions['admin-panel']?.state === 'denied' && message.version > 1,
      );
      expect(adminVisible(tab)).toBe(false);
    }
    const admins = await roomOf(a, 'role:admin');
    for (const tab of aliceTabs()) {
      expect(admins).not.toContain(tab.id);
    }
    expect(await roomOf(b, `user:${aliceId}`)).toEqual(
      aliceTabs()
        .map((tab) => tab.id)
        .sort(),
    );
  });

  it('ignores auth events and room requests sent by a client', async () => {
    const counts = [...aliceTabs(), ...bobTabs].map((tab) => tab.updates.length);
    const spoofer = bobTabs[0].socket;
    spoofer.emit('auth:update', { version: 999, principal: { userId: aliceId, roles: ['admin'] } });
    spoofer.emit('auth:navigate', { to: '/login' });
    spoofer.emit('join', 'role:admin');
    spoofer.emit('subscribe', { room: `user:${aliceId}` });
    spoofer.emit('auth', { kind: 'revoke', userId: aliceId });
    await sleep(QUIET_MS);
    expect([...aliceTabs(), ...bobTabs].map((tab) => tab.updates.length)).toEqual(counts);
    expect([...aliceTabs(), ...bobTabs].every((tab) => tab.connected)).toBe(true);
    expect(await roomOf(a, 'role:admin')).not.toContain(spoofer.id);
    expect(await roomOf(a, `user:${aliceId}`)).not.toContain(spoofer.id);
    const me = (await (await fetch(`${c}/me`, { headers: { cookie: bobCookie } })).json()) as {
      roles: string[];
    };
    expect(me.roles).not.toContain('admin');
  });

  it("sends a page's tabs to login when the principal no longer passes its guard", async () => {
    await postJson(
      a,
      `/admin/users/${aliceId}/grant`,
      { type: 'role', value: 'admin' },
      rootCookie,
    );
    await firstTabs[0].waitForUpdate((message) => adminShown(message) && message.version > 2);
    const adminPage = await open('alice-admin-page', b, aliceFirst, 'admin');
    expect(adminPage.last!.regions['admin-panel'].state).toBe('allowed');
    await postJson(
      c,
      `/admin/users/${aliceId}/revoke-claim`,
      { type: 'role', value: 'admin' },
      rootCookie,
    );
    expect(await adminPage.waitForNavigation()).toEqual({ to: '/login', reason: 'denied' });
    // The live page of the same session stays, without the admin region.
    await firstTabs[3].waitForUpdate(
      (message) => message.regions['admin-panel']?.state === 'denied',
    );
    expect(firstTabs[3].connected).toBe(true);
  });

  it("revoking one of alice's sessions navigates only that session's tabs", async () => {
    const signedOut = await postJson(b, '/actions/sign-out', {}, aliceSecond);
    expect(signedOut).toMatchObject({ status: 200, body: { sessions: 1 } });
    expect(await secondTab.waitForNavigation()).toEqual({ to: '/login', reason: 'revoked' });
    await sleep(QUIET_MS);
    expect(firstTabs.every((tab) => tab.connected && tab.navigations.length === 0)).toBe(true);
    expect((await fetch(`${b}/me`, { headers: { cookie: aliceSecond } })).status).toBe(401);
  });

  it('revoking alice navigates every tab of hers and no tab of bob', async () => {
    const revoked = await postJson(
      c,
      `/admin/users/${aliceId}/sign-out-everywhere`,
      {},
      rootCookie,
    );
    expect(revoked.status).toBe(200);
    for (const tab of firstTabs) {
      expect(await tab.waitForNavigation()).toEqual({ to: '/login', reason: 'revoked' });
    }
    await sleep(QUIET_MS);
    expect(bobTabs.every((tab) => tab.connected && tab.navigations.length === 0)).toBe(true);
    expect((await fetch(`${a}/me`, { headers: { cookie: aliceFirst } })).status).toBe(401);
  });
}
