import { TokenError } from '../oauth.errors';

/** The tokens of one login, as a token store keeps them. */
export interface OAuthTokens {
  readonly accessToken: string;
  /** `Bearer` for every provider Livegate supports. */
  readonly tokenType: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** When the access token expires, in epoch milliseconds; absent when the provider did not say. */
  readonly expiresAt?: number;
  /** The scopes granted, space separated. */
  readonly scope?: string;
}

/** Longest token a store accepts, in characters (JWTs with many claims stay far below). */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** Seconds a stored entry outlives its access token, so a refresh can still find it. */
export const TOKEN_STORE_GRACE_SECONDS = 300;

/**
 * Seconds an entry with a refresh token is kept by default: a refresh token is kept until it can
 * be used, and providers let them live for weeks.
 */
export const DEFAULT_REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600;

/** Seconds an access token is taken to live when the provider gives no `expires_in`. */
export const DEFAULT_ACCESS_TOKEN_LIFETIME = 3600;

function assertToken(field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) {
    return;
  }
  if (typeof value !== 'string' || value === '' || value.length > MAX_TOKEN_LENGTH) {
    throw new TokenError(
      `${field} must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`,
    );
  }
  // Tokens are printable ASCII words: no whitespace, no control characters.
  if (field !== 'scope' && !/^[\x21-\x7e]+$/.test(value)) {
    throw new TokenError(`${field} must not contain whitespace or control characters`);
  }
}

/** Checks tokens before they are stored and returns a frozen copy holding only known fields. */
export function normalizeTokens(tokens: OAuthTokens): OAuthTokens {
  if (tokens === null || typeof tokens !== 'object') {
    throw new TokenError('tokens must be an object');
  }
  assertToken('accessToken', tokens.accessToken, true);
  assertToken('tokenType', tokens.tokenType, true);
  assertToken('refreshToken', tokens.refreshToken, false);
  assertToken('idToken', tokens.idToken, false);
  assertToken('scope', tokens.scope, false);
  if (
    tokens.expiresAt !== undefined &&
    (typeof tokens.expiresAt !== 'number' ||
      !Number.isSafeInteger(tokens.expiresAt) ||
      tokens.expiresAt <= 0)
  ) {
    throw new TokenError('expiresAt must be a time in epoch milliseconds');
  }
  const copy: Record<string, unknown> = {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
  };
  for (const field of ['refreshToken', 'idToken', 'expiresAt', 'scope'] as const) {
    if (tokens[field] !== undefined) {
      copy[field] = tokens[field];
    }
  }
  return Object.freeze(copy) as unknown as OAuthTokens;
}

/**
 * Until when a store keeps an entry (epoch ms): its access token's expiry (or the default
 * lifetime) plus `TOKEN_STORE_GRACE_SECONDS`; with a refresh token, at least
 * `refreshTokenLifetime` seconds from now.
 */
export function storedUntil(
  tokens: OAuthTokens,
  refreshTokenLifetime = DEFAULT_REFRESH_TOKEN_LIFETIME,
  now = Date.now(),
): number {
  const accessExpiry = tokens.expiresAt ?? now + DEFAULT_ACCESS_TOKEN_LIFETIME * 1000;
  const accessKept = accessExpiry + TOKEN_STORE_GRACE_SECONDS * 1000;
  return tokens.refreshToken === undefined
    ? accessKept
    : Math.max(accessKept, now + refreshTokenLifetime * 1000);
}
