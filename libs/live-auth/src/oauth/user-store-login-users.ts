import { randomBytes } from 'node:crypto';
import {
  AuthenticationError,
  OAuthLoginUsers,
  type OAuthLoginUser,
  type ProviderUserInfo,
} from '@livegate/oauth';
import type { Claim } from '@livegate/auth';
import { StateConflictError, StateValidationError } from '@livegate/state';
import type { ProviderIdentity, UserRecord } from '../users/user-record';
import { UserStore } from '../users/user-store';
import { MAX_USERNAME_LENGTH, parseUsername } from '../users/username';

/** How often a new user's username is tried with a suffix when the plain one is taken. */
const USERNAME_ATTEMPTS = 5;

/** A username to offer a new user: the provider's login name, else the email's local part. */
function usernameCandidate(provider: string, user: ProviderUserInfo): string {
  const raw = user.raw as Record<string, unknown>;
  const offered = [raw.login, raw.preferred_username, user.email?.split('@')[0]].find(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
  const cleaned = (offered ?? '')
    .normalize('NFKC')
    .replace(/[^\p{L}\p{M}\p{N}._@+-]/gu, '')
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .slice(0, MAX_USERNAME_LENGTH - 6);
  return cleaned || `${provider}-user`;
}

/**
 * OAuth logins on the user store: a provider identity (issuer, subject) finds its user row, or a
 * new row is made for it (with a free username), and the session takes the row's id and claims.
 * A disabled user gets no session.
 */
export class UserStoreLoginUsers extends OAuthLoginUsers {
  constructor(private readonly users: UserStore) {
    super();
  }

  async signIn(provider: string, user: ProviderUserInfo): Promise<OAuthLoginUser> {
    const identity: ProviderIdentity = { issuer: user.issuer, subject: user.subject };
    const row =
      (await this.users.findByIdentity(identity)) ?? (await this.create(provider, user, identity));
    if (row.disabled) {
      throw new AuthenticationError('This account is disabled', { provider });
    }
    return {
      userId: row.id,
      // The row's claims, roles included: the snapshot live updates rewrite (see AuthActions).
      claims: row.claims.map(({ type, value }) => ({ type, value })),
      displayName: row.displayName,
    };
  }

  override async claimsNow(userId: string): Promise<readonly Claim[] | null> {
    const row = await this.users.findById(userId);
    return !row || row.disabled ? null : row.claims;
  }

  async userIdOf(
    _provider: string,
    identity: { issuer: string; subject: string },
  ): Promise<string | null> {
    return (await this.users.findByIdentity(identity))?.id ?? null;
  }

  private async create(
    provider: string,
    user: ProviderUserInfo,
    identity: ProviderIdentity,
  ): Promise<UserRecord> {
    const base = usernameCandidate(provider, user);
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt += 1) {
      const username = attempt === 0 ? base : `${base}-${randomBytes(2).toString('hex')}`;
      try {
        parseUsername(username);
      } catch (error) {
        if (error instanceof StateValidationError) {
          continue;
        }
        throw error;
      }
      try {
        return await this.users.createUser({
          username,
          displayName: user.name?.trim() || username,
          identity,
        });
      } catch (error) {
        if (!(error instanceof StateConflictError) && !(error instanceof StateValidationError)) {
          throw error;
        }
        // The identity itself may have been linked meanwhile (the same login on another worker).
        const linked = await this.users.findByIdentity(identity);
        if (linked) {
          return linked;
        }
      }
    }
    return this.users.createUser({
      username: `${provider}-${randomBytes(6).toString('hex')}`,
      identity,
    });
  }
}
