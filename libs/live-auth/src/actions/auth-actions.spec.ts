import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryBackend,
  type SessionChange,
  type SessionStore,
  type StateBackend,
} from '@livegate/state';
import { EventBusAuthChannel } from '../channel/event-bus-auth.channel';
import { createUserStore } from '../store/create-user-store';
import type { UserStore } from '../users/user-store';
import { AuthActions } from './auth-actions';

// Two changes of one user made at once (as two workers would): the snapshots must end as the
// row does, whichever change writes them last.

describe('AuthActions, two changes of one user at once', () => {
  let folder: string;
  let backend: StateBackend;
  let users: UserStore;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-actions-'));
    backend = await createMemoryBackend({
      widgetTtl: 60,
      connectionTtl: 60,
      sessionTtl: 60,
      sweepInterval: 60,
      workerId: 'actions-spec',
    });
    users = await createUserStore({
      userStore: 'sqlite',
      sqlitePath: join(folder, 'users.db'),
      sqliteEncrypted: false,
      keyring: null,
    });
  });

  afterEach(async () => {
    await users.close();
    await backend.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** The session store, with the first `updateUserSessions` held back until `release`. */
  function slowSessions(): { store: SessionStore; release: () => void } {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const store = new Proxy(backend.sessions, {
      get(target, property, receiver) {
        if (property === 'updateUserSessions') {
          return async (userId: string, change: SessionChange) => {
            if (first) {
              first = false;
              await held;
            }
            return target.updateUserSessions(userId, change);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    return { store, release };
  }

  it('writes the newer row into the snapshots when an older change writes them last', async () => {
    const user = await users.createUser({
      username: 'alice',
      claims: [{ type: 'role', value: 'admin' }],
    });
    const session = await backend.sessions.createSession({
      userId: user.id,
      metadata: { claims: user.claims },
    });
    const slow = slowSessions();
    const channel = new EventBusAuthChannel(backend.events);
    const first = new AuthActions(users, slow.store, channel, {});
    const second = new AuthActions(users, backend.sessions, channel, {});

    // The first change (a grant) writes the row, then waits before its snapshots...
    const granting = first.grantUser(user.id, 'tier', 'beta');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // ...while the second (a demotion) writes row and snapshots; then the first goes on.
    const demoted = await second.revokeUserClaim(user.id, 'role', 'admin');
    slow.release();
    const granted = await granting;

    expect(granted.claimsVersion).toBe(user.claimsVersion + 1);
    expect(demoted.claimsVersion).toBe(user.claimsVersion + 2);
    const row = (await users.findById(user.id))!;
    expect(row.claims).toEqual([{ type: 'tier', value: 'beta' }]);
    const snapshot = (await backend.sessions.getSession(session.sessionId))!;
    expect(snapshot.metadata.claims).toEqual(row.claims);
    expect(snapshot.roles).not.toContain('admin');
    first.onApplicationShutdown();
    second.onApplicationShutdown();
  });

  it("refuses to revoke another user's session by naming the wrong user, and ends nothing", async () => {
    const alice = await users.createUser({ username: 'alice' });
    const bob = await users.createUser({ username: 'bob' });
    const session = await backend.sessions.createSession({ userId: bob.id });
    const actions = new AuthActions(
      users,
      backend.sessions,
      new EventBusAuthChannel(backend.events),
      {},
    );
    await expect(actions.revokeUserSession(alice.id, session.sessionId)).rejects.toThrow(
      /is not a session of this user/,
    );
    expect(await backend.sessions.getSession(session.sessionId)).not.toBeNull();
    expect((await actions.revokeUserSession(bob.id, session.sessionId)).sessions).toBe(1);
    actions.onApplicationShutdown();
  });
});
