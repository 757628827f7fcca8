import type { Claim } from '@livegate/auth';
import type { NewUser, ProviderIdentity, UserRecord } from './user-record';

/** A page of users, in id order. */
export interface UserPage {
  users: UserRecord[];
  /** Pass as `after` for the next page; `null` on the last one. */
  next: string | null;
}

/**
 * The persistent users (the injection token of the configured store). Usernames are unique in
 * their normalized form (`parseUsername`); a provider identity (issuer, subject) belongs to one
 * user. Claims change only through `updateClaims`, which bumps `claimsVersion` by one in the same
 * write. Bad input is a `StateValidationError`, a taken username or identity a
 * `StateConflictError`, an unknown user a `StateNotFoundError`; a store it cannot reach fails
 * closed with `StateBackendUnavailableError`.
 */
export abstract class UserStore {
  /** `sqlite`, `postgres`, or a custom store's name. */
  abstract readonly name: string;

  abstract createUser(user: NewUser): Promise<UserRecord>;
  abstract findById(id: string): Promise<UserRecord | null>;
  /** Compared in the normalized form: `Alice` finds `alice`. */
  abstract findByUsername(username: string): Promise<UserRecord | null>;
  abstract findByIdentity(identity: ProviderIdentity): Promise<UserRecord | null>;
  /** Links an identity to a user; linking it again to the same user changes nothing. */
  abstract linkIdentity(userId: string, identity: ProviderIdentity): Promise<UserRecord>;
  abstract setPasswordHash(userId: string, passwordHash: string | null): Promise<UserRecord>;
  abstract setDisabled(userId: string, disabled: boolean): Promise<UserRecord>;
  abstract setDisplayName(userId: string, displayName: string): Promise<UserRecord>;
  /**
   * Replaces the claims with what `change` makes of the current ones, and bumps `claimsVersion`,
   * in one write: concurrent changes of one user never lose each other's claims.
   */
  abstract updateClaims(
    userId: string,
    change: (claims: readonly Claim[]) => readonly Claim[],
  ): Promise<UserRecord>;
  abstract listUsers(options?: { limit?: number; after?: string }): Promise<UserPage>;
  abstract deleteUser(userId: string): Promise<boolean>;
  /** Closes what the store opened (not a `DataSource` the app gave it). */
  abstract close(): Promise<void>;
}
