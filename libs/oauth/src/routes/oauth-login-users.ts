import type { Claim } from '@livegate/auth';
import type { ProviderUserInfo } from '../providers/oauth-provider';

/** Who an OAuth login signs in as, when an app keeps its own users. */
export interface OAuthLoginUser {
  /** The session's user id (the app's own id of the user). */
  userId: string;
  /** The session's roles; default roles when left out. */
  roles?: readonly string[];
  /** Further claims of the session. */
  claims?: readonly Claim[];
  /** The name the principal shows. */
  displayName?: string;
}

/**
 * Maps a provider's user to the app's own (`@livegate/live-auth` provides one on its user
 * store). Without one, the session's user id is `<provider>:<subject>`. `signIn` may refuse a
 * login (a disabled user) by throwing an `AuthenticationError`: no session is made.
 */
export abstract class OAuthLoginUsers {
  /** Finds the user this identity belongs to, or creates one; the login's session is theirs. */
  abstract signIn(provider: string, user: ProviderUserInfo): Promise<OAuthLoginUser>;
  /**
   * Called once the login's session exists, to catch up with a change of the user made while it
   * was being made (on another worker): the claims the session should hold now, or `null` when
   * the user may no longer sign in (the session is then deleted and the login fails). The
   * default, `undefined`, keeps the session as it is.
   */
  async claimsNow(_userId: string): Promise<readonly Claim[] | null | undefined> {
    return undefined;
  }

  /** The user id of an identity that has signed in before, or `null` (for back-channel logout). */
  abstract userIdOf(
    provider: string,
    identity: { issuer: string; subject: string },
  ): Promise<string | null>;
}
