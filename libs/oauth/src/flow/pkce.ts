import { createHash, randomBytes } from 'node:crypto';
import { AuthenticationError } from '../oauth.errors';

/** RFC 7636's bounds on a code verifier's length. */
export const PKCE_VERIFIER_MIN_LENGTH = 43;
export const PKCE_VERIFIER_MAX_LENGTH = 128;

/**
 * A PKCE pair (RFC 7636), always S256: the verifier sent with the token request and the challenge
 * (the base64url SHA-256 of the verifier) sent with the authorization request. Every login of the
 * providers makes one; a custom flow can too.
 */
export class PkceChallenge {
  readonly method = 'S256' as const;

  private constructor(
    readonly verifier: string,
    readonly challenge: string,
  ) {}

  /** A fresh pair whose verifier has `length` (43 to 128, default 64) random characters. */
  static generate(length = 64): PkceChallenge {
    if (
      !Number.isInteger(length) ||
      length < PKCE_VERIFIER_MIN_LENGTH ||
      length > PKCE_VERIFIER_MAX_LENGTH
    ) {
      throw new AuthenticationError(
        `A PKCE verifier is ${PKCE_VERIFIER_MIN_LENGTH} to ${PKCE_VERIFIER_MAX_LENGTH} characters long (got ${length})`,
      );
    }
    // base64url's characters are all in RFC 7636's unreserved set; 6 random bits each.
    const verifier = randomBytes(Math.ceil((length * 3) / 4))
      .toString('base64url')
      .slice(0, length);
    return new PkceChallenge(verifier, PkceChallenge.challengeOf(verifier));
  }

  /** The S256 challenge of a verifier. */
  static challengeOf(verifier: string): string {
    return createHash('sha256').update(verifier, 'ascii').digest('base64url');
  }
}
