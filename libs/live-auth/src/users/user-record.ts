import type { Claim } from '@livegate/auth';

/** An identity at a provider that signs the user in: keyed by the issuer and its subject. */
export interface ProviderIdentity {
  /** The provider's issuer (an OpenID issuer URL, `https://github.com` for GitHub). */
  readonly issuer: string;
  /** The provider's stable id of the user (`sub`; GitHub's numeric id, never its login). */
  readonly subject: string;
}

/**
 * The permanent row of a user: it outlives every session. A session is a snapshot of its claims;
 * `claimsVersion` grows by one with every change of them, so snapshots and events can be ordered.
 */
export interface UserRecord {
  readonly id: string;
  /** As the user chose it (NFKC); unique in its normalized form. */
  readonly username: string;
  readonly displayName: string;
  /** An Argon2id PHC string, or `null` for users who sign in only through a provider. */
  readonly passwordHash: string | null;
  readonly disabled: boolean;
  readonly claims: readonly Claim[];
  readonly claimsVersion: number;
  readonly identities: readonly ProviderIdentity[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What `createUser` takes. */
export interface NewUser {
  username: string;
  displayName?: string;
  passwordHash?: string | null;
  claims?: readonly Claim[];
  identity?: ProviderIdentity;
}
