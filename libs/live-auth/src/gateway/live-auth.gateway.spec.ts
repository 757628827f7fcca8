import { ClaimsPrincipal, type Claim } from '@livegate/auth';
import type { SessionChange, UserSession } from '@livegate/state';
import { LiveConnections } from './live-connections';
import { LiveAuthGateway } from './live-auth.gateway';
import { DEFAULT_LIVE_OPTIONS } from './live-auth.options';

// The gateway's repair of a session snapshot from the user row, against stores that change
// between its reads (as AuthActions on another worker would): the snapshot must end as the row
// is, never older.

const admin: Claim[] = [{ type: 'role', value: 'admin' }];
const none: Claim[] = [];

function snapshotWith(claims: readonly Claim[], version: number): UserSession {
  return {
    sessionId: 's'.repeat(43),
    userId: 'alice',
    roles: ['viewer'],
    metadata: { claims },
    createdAt: Date.now(),
    expiresAt: Date.now() + 3_600_000,
    ttl: 3600,
    version,
  };
}

function gatewayWith(rows: { claims: Claim[]; claimsVersion: number }[], session: UserSession) {
  let stored = session;
  const writes: (readonly Claim[])[] = [];
  const users = {
    findById: async () => ({ id: 'alice', disabled: false, ...(rows.shift() ?? rows.at(-1)!) }),
  };
  const sessions = {
    getSession: async () => stored,
    updateSession: async (_id: string, change: SessionChange) => {
      writes.push(change.claims!);
      stored = { ...stored, metadata: { claims: change.claims }, version: stored.version + 1 };
      return stored;
    },
    deleteSession: async () => true,
  };
  const gateway = new LiveAuthGateway(
    {} as never,
    {} as never,
    users as never,
    sessions as never,
    {} as never,
    {} as never,
    DEFAULT_LIVE_OPTIONS,
  );
  return { gateway, writes, stored: () => stored };
}

describe('LiveAuthGateway reconciliation', () => {
  it('repairs again when the row moved during the repair, ending as the row is', async () => {
    // The first row read is older than the snapshot (another worker's grant landed between the
    // two reads); after the first repair the row is read again and is newer.
    const rows = [
      { claims: none, claimsVersion: 1 },
      { claims: admin, claimsVersion: 2 },
      { claims: admin, claimsVersion: 2 },
    ];
    const { gateway, writes, stored } = gatewayWith(rows, snapshotWith(admin, 2));
    const entry = new LiveConnections().sessionFor(
      'key',
      stored(),
      ClaimsPrincipal.fromSession(stored()),
    ).entry;
    await (gateway as unknown as { refresh: (e: unknown, p: boolean) => Promise<void> }).refresh(
      entry,
      false,
    );
    expect(writes).toEqual([none, admin]);
    expect(stored().metadata.claims).toEqual(admin);
    expect(entry.version).toBe(2);
    expect(entry.principal.hasClaim('role', 'admin')).toBe(true);
    await gateway.onApplicationShutdown();
  });

  it('keeps a newer principal an event brought while the stores were read', async () => {
    const rows = [{ claims: none, claimsVersion: 1 }];
    const { gateway, stored } = gatewayWith(rows, snapshotWith(none, 1));
    const entry = new LiveConnections().sessionFor(
      'key',
      stored(),
      ClaimsPrincipal.fromSession(stored()),
    ).entry;
    // An event of version 2 was applied first.
    entry.version = 2;
    entry.principal = ClaimsPrincipal.fromSession(snapshotWith(admin, 2));
    await (gateway as unknown as { refresh: (e: unknown, p: boolean) => Promise<void> }).refresh(
      entry,
      false,
    );
    expect(entry.version).toBe(2);
    expect(entry.principal.hasClaim('role', 'admin')).toBe(true);
    await gateway.onApplicationShutdown();
  });
});
