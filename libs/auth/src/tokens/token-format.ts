import { createHmac, timingSafeEqual } from 'node:crypto';
import { TOKEN_PURPOSES, type TokenPurpose } from './token-purpose';

/**
 * Wire format: `lg1.<purpose tag>.<payload>.<signature>`, where payload is the canonical base64url
 * (no padding) of a compact JSON object and signature the base64url HMAC-SHA256, under the
 * purpose's derived key, of the ASCII text `lg1.<purpose tag>.<payload>`.
 */
export const TOKEN_VERSION = 'lg1';
/** Longest token accepted, in characters; checked before any decoding or HMAC. */
export const MAX_TOKEN_LENGTH = 2048;

/** Why a token was refused; stable strings, safe to log and to return to clients. */
export type TokenErrorCode =
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'wrong_purpose'
  | 'unsupported_version'
  | 'invalid_secret';

/** The failures the wire format itself can detect. */
export type TokenFormatErrorCode = Extract<
  TokenErrorCode,
  'malformed' | 'bad_signature' | 'wrong_purpose' | 'unsupported_version'
>;

export type VerifiedToken =
  | { readonly ok: true; readonly payload: Buffer }
  | { readonly ok: false; readonly error: TokenFormatErrorCode };

const SIGNATURE_BYTES = 32;
const SIGNATURE_CHARS = 43;
const BASE64URL_TEXT = /^[A-Za-z0-9_-]+$/;
// Looks like one of our versions, just not one this code reads: a newer (or retired) format.
const VERSION_LIKE = /^lg[1-9][0-9]{0,3}$/;
const KNOWN_TAGS: ReadonlySet<string> = new Set(
  Object.values(TOKEN_PURPOSES).map((purpose) => purpose.tag),
);

/** Base64url without padding. */
export function encodeBase64Url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/**
 * Decodes canonical base64url, or returns null. Buffer.from(…, 'base64url') alone is lenient (it
 * skips unknown characters, accepts padding, `+` and `/`, and ignores trailing bits), which would
 * let many strings stand for one token; requiring the re-encoding to match closes that.
 */
export function decodeBase64Url(text: string): Buffer | null {
  if (!BASE64URL_TEXT.test(text) || text.length % 4 === 1) {
    return null;
  }
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function sign(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body, 'ascii').digest();
}

/**
 * Builds a token from payload bytes (or JSON text) and the purpose's derived key. Internal: it
 * signs whatever it is given, so only the claims layer should call it.
 */
export function signToken(purpose: TokenPurpose, payload: Buffer | string, key: Buffer): string {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const body = `${TOKEN_VERSION}.${TOKEN_PURPOSES[purpose].tag}.${encodeBase64Url(bytes)}`;
  return `${body}.${encodeBase64Url(sign(key, body))}`;
}

function fail(error: TokenFormatErrorCode): VerifiedToken {
  return { ok: false, error };
}

/**
 * Checks the format and the signature of a token of `purpose` and returns its payload bytes.
 * Never throws: every problem is a typed failure. `keys` is iterated lazily, so input rejected by
 * the format checks costs no key derivation and no HMAC.
 */
export function verifyToken(
  token: unknown,
  purpose: TokenPurpose,
  keys: Iterable<Buffer>,
): VerifiedToken {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return fail('malformed');
  }
  const firstDot = token.indexOf('.');
  const version = firstDot === -1 ? token : token.slice(0, firstDot);
  if (version !== TOKEN_VERSION) {
    return fail(VERSION_LIKE.test(version) ? 'unsupported_version' : 'malformed');
  }
  const parts = token.split('.');
  if (parts.length !== 4) {
    return fail('malformed');
  }
  const [, tag, payloadText, signatureText] = parts;
  if (tag !== TOKEN_PURPOSES[purpose].tag) {
    return fail(KNOWN_TAGS.has(tag) ? 'wrong_purpose' : 'malformed');
  }
  const payload = decodeBase64Url(payloadText);
  if (payload === null) {
    return fail('malformed');
  }
  const signature =
    signatureText.length === SIGNATURE_CHARS ? decodeBase64Url(signatureText) : null;
  if (signature === null || signature.length !== SIGNATURE_BYTES) {
    return fail('malformed');
  }
  const body = token.slice(0, token.length - signatureText.length - 1);
  for (const key of keys) {
    // Both buffers are 32 bytes here, so timingSafeEqual cannot throw.
    if (timingSafeEqual(sign(key, body), signature)) {
      return { ok: true, payload };
    }
  }
  return fail('bad_signature');
}
