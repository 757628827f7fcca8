import { isValidSubject, issueToken, MAX_SUBJECT_LENGTH, verifyTokenClaims } from './token-claims';
import type { TokenErrorCode } from './token-format';
import { MAX_SESSION_TOKEN_LIFETIME_SECONDS } from './token-purpose';
import { normalizeTokenSecrets, type TokenSecrets } from './token-secrets';

/** Lifetime of a session token when no expiry is given: 24 hours, in milliseconds. */
export const DEFAULT_SESSION_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Result of {@link validateSessionToken}. */
export type SessionTokenValidation =
  | {
      readonly valid: true;
      readonly userId: string;
      readonly error: null;
      /** When the token expires, in milliseconds since the epoch (a whole second). */
      readonly expiresAt: number;
    }
  | { readonly valid: false; readonly userId: null; readonly error: TokenErrorCode };

/**
 * Signs a session token for a user.
 *
 * @param userId 1 to 256 characters, without control characters.
 * @param secret the shared token secret or rotation set; signed with `current`.
 * @param expiresAt expiry in **milliseconds** since the epoch (as `Date.now()`), truncated to whole
 *   seconds; defaults to 24 hours from now. It must be in the future and at most 30 days ahead.
 * @throws TypeError for an invalid user id or secret, RangeError for an out-of-bounds expiry.
 */
export function generateSessionToken(
  userId: string,
  secret: TokenSecrets,
  expiresAt?: number,
): string {
  if (!isValidSubject(userId)) {
    throw new TypeError(
      `userId must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters without control characters`,
    );
  }
  const secrets = normalizeTokenSecrets(secret);
  const now = Date.now();
  const expiry = expiresAt === undefined ? now + DEFAULT_SESSION_TOKEN_LIFETIME_MS : expiresAt;
  if (typeof expiry !== 'number') {
    throw new TypeError('expiresAt must be a number of milliseconds since the epoch');
  }
  if (!Number.isFinite(expiry) || expiry <= now) {
    throw new RangeError(
      'expiresAt must be in the future, in milliseconds since the epoch (not seconds)',
    );
  }
  if (expiry - now > MAX_SESSION_TOKEN_LIFETIME_SECONDS * 1000) {
    throw new RangeError('expiresAt must be at most 30 days ahead');
  }
  const issuedAtSeconds = Math.floor(now / 1000);
  const expiresAtSeconds = Math.floor(expiry / 1000);
  if (expiresAtSeconds <= issuedAtSeconds) {
    throw new RangeError(
      'expiresAt must be after the current second (tokens expire on whole seconds)',
    );
  }
  return issueToken('session', userId, secrets, issuedAtSeconds, expiresAtSeconds);
}

/**
 * Checks a session token and returns the user it names. Never throws: any input that is not a
 * valid, unexpired session token signed with one of the secrets gives `valid: false` and a stable
 * error code (`invalid_secret` when the secret itself is missing or too short).
 *
 * @param now the current time in milliseconds since the epoch.
 */
export function validateSessionToken(
  token: unknown,
  secret: TokenSecrets,
  now: number = Date.now(),
): SessionTokenValidation {
  const result = verifyTokenClaims(token, 'session', secret, now);
  if (!result.ok) {
    return { valid: false, userId: null, error: result.error };
  }
  return {
    valid: true,
    userId: result.claims.subject,
    error: null,
    expiresAt: result.claims.expiresAt * 1000,
  };
}
