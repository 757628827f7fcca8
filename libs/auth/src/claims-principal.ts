import { effectiveRoles, type UserSession } from '@livegate/state';

/** One statement about a principal: `{ type: 'role', value: 'admin' }`. */
export interface Claim {
  readonly type: string;
  readonly value: string;
}

export interface ClaimsPrincipalInit {
  isAuthenticated: boolean;
  userId: string | null;
  name?: string | null;
  claims?: readonly Claim[];
  raw?: Readonly<Record<string, unknown>>;
}

function freezeClaims(claims: readonly Claim[]): readonly Claim[] {
  return Object.freeze(
    claims.map((claim) => Object.freeze({ type: claim.type, value: claim.value })),
  );
}

function isClaim(value: unknown): value is Claim {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Claim).type === 'string' &&
    typeof (value as Claim).value === 'string'
  );
}

/**
 * Who is making a request: a user id, a display name and claims. Immutable; server-side
 * authoritative. Anonymous requests get `ANONYMOUS`, never `null`.
 */
export class ClaimsPrincipal {
  readonly isAuthenticated: boolean;
  readonly userId: string | null;
  readonly name: string | null;
  readonly claims: readonly Claim[];
  /** The provider's or session's raw user information. */
  readonly raw: Readonly<Record<string, unknown>>;
  /** The roles of the principal (its `role` claims). */
  readonly roles: readonly string[];

  constructor(init: ClaimsPrincipalInit) {
    this.isAuthenticated = init.isAuthenticated;
    this.userId = init.userId;
    this.name = init.name ?? init.userId;
    this.claims = freezeClaims(init.claims ?? []);
    this.raw = Object.freeze({ ...(init.raw ?? {}) });
    this.roles = Object.freeze(this.claimValues('role'));
    Object.freeze(this);
  }

  /** Whether a claim of this type (and, when given, this value) is present. */
  hasClaim(type: string, value?: string): boolean {
    return this.claims.some(
      (claim) => claim.type === type && (value === undefined || claim.value === value),
    );
  }

  /** Every value of claims of this type. */
  claimValues(type: string): string[] {
    return this.claims.filter((claim) => claim.type === type).map((claim) => claim.value);
  }

  /**
   * The principal of a session: `sub`, one `role` claim per effective role (`effectiveRoles`: the
   * session's roles and its role claims, the same list every permission check uses), plus the
   * other claims kept in `metadata.claims` (the session snapshot live updates write).
   */
  static fromSession(session: UserSession): ClaimsPrincipal {
    const metadata = session.metadata ?? {};
    const userInfo =
      typeof metadata.user_info === 'object' && metadata.user_info !== null
        ? (metadata.user_info as Record<string, unknown>)
        : {};
    // Role claims come only from `effectiveRoles`, so `roles` here and in every store agree.
    const extra = Array.isArray(metadata.claims)
      ? metadata.claims.filter((claim) => isClaim(claim) && claim.type !== 'role')
      : [];
    const claims: Claim[] = [
      { type: 'sub', value: session.userId },
      ...effectiveRoles(session).map((role) => ({ type: 'role', value: role })),
      ...extra,
    ];
    const name =
      typeof userInfo.name === 'string'
        ? userInfo.name
        : typeof metadata.name === 'string'
          ? metadata.name
          : session.userId;
    return new ClaimsPrincipal({
      isAuthenticated: true,
      userId: session.userId,
      name,
      claims: claims.filter(
        (claim, index) =>
          claims.findIndex((other) => other.type === claim.type && other.value === claim.value) ===
          index,
      ),
      raw: userInfo,
    });
  }
}

/** The principal of every request without valid credentials. Frozen. */
export const ANONYMOUS: ClaimsPrincipal = new ClaimsPrincipal({
  isAuthenticated: false,
  userId: null,
  name: null,
});

/** The principal of every request while auth is disabled (development). */
export const LOCAL_ADMIN: ClaimsPrincipal = new ClaimsPrincipal({
  isAuthenticated: true,
  userId: 'local-admin',
  name: 'Local admin (auth disabled)',
  claims: [
    { type: 'sub', value: 'local-admin' },
    { type: 'role', value: 'admin' },
  ],
});
