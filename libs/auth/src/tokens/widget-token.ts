import { isValidSubject, issueToken, MAX_SUBJECT_LENGTH, verifyTokenClaims } from './token-claims';
import { MAX_WIDGET_TOKEN_TTL_SECONDS } from './token-purpose';
import { normalizeTokenSecrets, type TokenSecrets } from './token-secrets';

/** Lifetime of a widget token when no TTL is given, in seconds. */
export const DEFAULT_WIDGET_TOKEN_TTL_SECONDS = 300;

/**
 * Signs a short-lived token that grants access to one widget.
 *
 * @param widgetId 1 to 256 characters, without control characters.
 * @param secret the shared token secret or rotation set; signed with `current`.
 * @param ttl lifetime in whole seconds, 1 to 3600.
 * @throws TypeError for an invalid widget id or secret, RangeError for an out-of-bounds TTL.
 */
export function generateWidgetToken(
  widgetId: string,
  secret: TokenSecrets,
  ttl: number = DEFAULT_WIDGET_TOKEN_TTL_SECONDS,
): string {
  if (!isValidSubject(widgetId)) {
    throw new TypeError(
      `widgetId must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters without control characters`,
    );
  }
  const secrets = normalizeTokenSecrets(secret);
  if (typeof ttl !== 'number') {
    throw new TypeError('ttl must be a number of seconds');
  }
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_WIDGET_TOKEN_TTL_SECONDS) {
    throw new RangeError(
      `ttl must be a whole number of seconds from 1 to ${MAX_WIDGET_TOKEN_TTL_SECONDS}`,
    );
  }
  const issuedAtSeconds = Math.floor(Date.now() / 1000);
  return issueToken('widget', widgetId, secrets, issuedAtSeconds, issuedAtSeconds + ttl);
}

/**
 * True only for a valid, unexpired widget token issued for exactly `widgetId`. Never throws;
 * false for anything else, including a missing or too short secret.
 *
 * @param now the current time in milliseconds since the epoch.
 */
export function validateWidgetToken(
  token: unknown,
  widgetId: unknown,
  secret: TokenSecrets,
  now: number = Date.now(),
): boolean {
  if (!isValidSubject(widgetId)) {
    return false;
  }
  const result = verifyTokenClaims(token, 'widget', secret, now);
  return result.ok && result.claims.subject === widgetId;
}
