import type { UserSession } from '@livegate/state';
import { ANONYMOUS, ClaimsPrincipal, LOCAL_ADMIN } from './claims-principal';

const session = (overrides: Partial<UserSession> = {}): UserSession => ({
  sessionId: 's',
  userId: 'user-1',
  roles: ['editor', 'viewer'],
  metadata: {},
  createdAt: 0,
  expiresAt: 1,
  ttl: 1,
  version: 1,
  ...overrides,
});

describe('ClaimsPrincipal', () => {
  it('ANONYMOUS is frozen, unauthenticated and claimless', () => {
    expect(Object.isFrozen(ANONYMOUS)).toBe(true);
    expect(Object.isFrozen(ANONYMOUS.claims)).toBe(true);
    expect(ANONYMOUS.isAuthenticated).toBe(false);
    expect(ANONYMOUS.userId).toBeNull();
    expect(ANONYMOUS.hasClaim('role')).toBe(false);
    expect(() => {
      (ANONYMOUS as { isAuthenticated: boolean }).isAuthenticated = true;
    }).toThrow(TypeError);
    expect(ANONYMOUS.isAuthenticated).toBe(false);
  });

  it('builds sub and role claims from a session, plus the claims of its snapshot', () => {
    const principal = ClaimsPrincipal.fromSession(
      session({
        metadata: {
          user_info: { name: 'Ada', email: 'ada@example.com' },
          claims: [{ type: 'tier', value: 'beta' }, { type: 'role', value: 'editor' }, 'junk'],
        },
      }),
    );
    expect(principal.isAuthenticated).toBe(true);
    expect(principal.name).toBe('Ada');
    expect(principal.raw).toEqual({ name: 'Ada', email: 'ada@example.com' });
    expect(principal.claims).toEqual([
      { type: 'sub', value: 'user-1' },
      { type: 'role', value: 'editor' },
      { type: 'role', value: 'viewer' },
      { type: 'tier', value: 'beta' },
    ]);
    expect(principal.roles).toEqual(['editor', 'viewer']);
  });

  it('hasClaim matches any value when none is given', () => {
    const principal = ClaimsPrincipal.fromSession(session());
    expect(principal.hasClaim('role')).toBe(true);
    expect(principal.hasClaim('role', 'editor')).toBe(true);
    expect(principal.hasClaim('role', 'admin')).toBe(false);
    expect(principal.hasClaim('email')).toBe(false);
  });

  it('defaults the name to the user id and keeps claims immutable', () => {
    const principal = ClaimsPrincipal.fromSession(session());
    expect(principal.name).toBe('user-1');
    expect(() =>
      (principal.claims as { type: string; value: string }[]).push({ type: 'x', value: 'y' }),
    ).toThrow();
    expect(LOCAL_ADMIN.roles).toEqual(['admin']);
  });
});
