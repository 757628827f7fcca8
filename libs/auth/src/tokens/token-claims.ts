import { randomBytes } from 'node:crypto';
import {
  decodeBase64Url,
  encodeBase64Url,
  signToken,
  verifyToken,
  type TokenErrorCode,
} from './token-format';
import { TOKEN_PURPOSES, type TokenPurpose } from './token-purpose';
import {
  deriveTokenKey,
  tryNormalizeTokenSecrets,
  type NormalizedTokenSecrets,
} from './token-secrets';

/** Longest user id or widget id a token may carry, in UTF-16 code units (as `string.length`). */
export const MAX_SUBJECT_LENGTH = 256;
/** How far in the future a token's issued-at may lie, to allow for clock drift between workers. */
export const CLOCK_SKEW_SECONDS = 60;

const NONCE_BYTES = 16;
// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators (as @livegate/state).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// A lone surrogate has no UTF-8 form: stores and logs would turn it into U+FFFD, merging ids.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What a token says. Times are whole seconds since the epoch. */
export interface TokenClaims {
  readonly subject: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Random per token (`jti`), so two tokens issued in the same second still differ. */
  readonly nonce: string;
}

export type ClaimsVerification =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly error: TokenErrorCode };

/** A user id or widget id: 1 to 256 characters, well-formed Unicode, no control characters. */
export function isValidSubject(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_SUBJECT_LENGTH &&
    !CONTROL_CHARACTERS.test(value) &&
    !LONE_SURROGATE.test(value)
  );
}

function isNonce(value: unknown): value is string {
  return typeof value === 'string' && decodeBase64Url(value)?.length === NONCE_BYTES;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** The one serialization a payload may have: compact JSON, keys in this order. */
export function serializeClaims(purpose: TokenPurpose, claims: TokenClaims): string {
  return JSON.stringify({
    [TOKEN_PURPOSES[purpose].subjectClaim]: claims.subject,
    iat: claims.issuedAt,
    exp: claims.expiresAt,
    jti: claims.nonce,
  });
}

/**
 * Reads a payload strictly: a plain object with exactly the expected keys and types, byte for byte
 * its canonical serialization (which rules out duplicate keys, white space, reordered keys,
 * escapes and other number spellings), and a lifetime within the purpose's bound.
 */
export function parseClaims(purpose: TokenPurpose, payload: Buffer): TokenClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const { subjectClaim, maxLifetimeSeconds } = TOKEN_PURPOSES[purpose];
  const fields = value as Record<string, unknown>;
  const expectedKeys = [subjectClaim, 'iat', 'exp', 'jti'];
  const keys = Object.keys(fields);
  if (
    keys.length !== expectedKeys.length ||
    !expectedKeys.every((key) => Object.hasOwn(fields, key))
  ) {
    return null;
  }
  const { iat, exp, jti } = fields;
  const subject = fields[subjectClaim];
  if (!isValidSubject(subject) || !isTime(iat) || !isTime(exp) || !isNonce(jti)) {
    return null;
  }
  if (exp <= iat || exp - iat > maxLifetimeSeconds) {
    return null;
  }
  const claims: TokenClaims = { subject, issuedAt: iat, expiresAt: exp, nonce: jti };
  return Buffer.from(serializeClaims(purpose, claims), 'utf8').equals(payload) ? claims : null;
}

/**
 * Signs a new token with the current secret. The caller has checked the subject and the times;
 * this only adds the nonce.
 */
export function issueToken(
  purpose: TokenPurpose,
  subject: string,
  secrets: NormalizedTokenSecrets,
  issuedAt: number,
  expiresAt: number,
): string {
  const claims: TokenClaims = {
    subject,
    issuedAt,
    expiresAt,
    nonce: encodeBase64Url(randomBytes(NONCE_BYTES)),
  };
  return signToken(
    purpose,
    serializeClaims(purpose, claims),
    deriveTokenKey(secrets.current, purpose),
  );
}

function* verificationKeys(
  secrets: NormalizedTokenSecrets,
  purpose: TokenPurpose,
): Generator<Buffer> {
  for (const secret of secrets.verification) {
    yield deriveTokenKey(secret, purpose);
  }
}

/**
 * Verifies a token of `purpose` completely: secret, format, signature, payload and times
 * (`now` in milliseconds since the epoch). Never throws.
 */
export function verifyTokenClaims(
  token: unknown,
  purpose: TokenPurpose,
  secret: unknown,
  now: unknown,
): ClaimsVerification {
  const secrets = tryNormalizeTokenSecrets(secret);
  if (secrets === null) {
    return { ok: false, error: 'invalid_secret' };
  }
  const verified = verifyToken(token, purpose, verificationKeys(secrets, purpose));
  if (!verified.ok) {
    return verified;
  }
  const claims = parseClaims(purpose, verified.payload);
  if (claims === null) {
    return { ok: false, error: 'malformed' };
  }
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    // Without a clock reading no token can be shown to be unexpired: fail closed.
    return { ok: false, error: 'expired' };
  }
  if (claims.issuedAt * 1000 > now + CLOCK_SKEW_SECONDS * 1000) {
    // Signed by us but not issued yet by any sane clock: not a token we would have produced.
    return { ok: false, error: 'malformed' };
  }
  if (now >= claims.expiresAt * 1000) {
    return { ok: false, error: 'expired' };
  }
  return { ok: true, claims };
}
