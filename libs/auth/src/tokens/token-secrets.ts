import { hkdfSync } from 'node:crypto';
import { TOKEN_PURPOSES, type TokenPurpose } from './token-purpose';

/**
 * The secret tokens are signed with: one string, or a rotation set. New tokens are always signed
 * with `current`; verification tries `current`, then each of `previous` in order, so tokens
 * issued before a rotation stay valid until the old secret is removed from `previous`.
 */
export type TokenSecrets =
  string | { readonly current: string; readonly previous?: readonly string[] };

/** Shortest accepted secret, in characters. */
export const MIN_SECRET_LENGTH = 32;
/**
 * Most secrets accepted in `previous`. A forged token costs one HMAC per secret, so the list is
 * bounded; a rotation needs one or two.
 */
export const MAX_PREVIOUS_SECRETS = 8;

/** A checked rotation set. */
export interface NormalizedTokenSecrets {
  /** Signs new tokens. */
  readonly current: string;
  /** Verification order: `current`, then each previous secret, without duplicates. */
  readonly verification: readonly string[];
}

const SECRET_KEYS = new Set(['current', 'previous']);

function describeType(value: unknown): string {
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (Buffer.isBuffer(value)) {
    return 'a Buffer';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function checkSecretString(value: unknown, name: string): asserts value is string {
  if (value === undefined || value === null || value === '') {
    throw new TypeError(
      `${name} is missing: set it to at least ${MIN_SECRET_LENGTH} random characters, the same on every worker`,
    );
  }
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string, got ${describeType(value)}`);
  }
  if (value.length < MIN_SECRET_LENGTH) {
    // The length is safe to report; the value never appears in a message.
    throw new TypeError(
      `${name} is too short: ${value.length} characters, at least ${MIN_SECRET_LENGTH} characters are required`,
    );
  }
}

/**
 * Checks a secret or rotation set and returns it in verification order.
 *
 * @throws TypeError naming `name` when a secret is missing, not a string or shorter than
 *   {@link MIN_SECRET_LENGTH}: that is a configuration error, not bad input.
 */
export function normalizeTokenSecrets(secret: unknown, name = 'secret'): NormalizedTokenSecrets {
  if (typeof secret === 'string' || secret === undefined || secret === null) {
    checkSecretString(secret, name);
    return { current: secret, verification: [secret] };
  }
  if (!isPlainObject(secret)) {
    throw new TypeError(
      `${name} must be a string or { current, previous? }, got ${describeType(secret)}`,
    );
  }
  // A misspelt key would silently drop the previous secrets and log every user out.
  const unknownKey = Object.keys(secret).find((key) => !SECRET_KEYS.has(key));
  if (unknownKey !== undefined) {
    throw new TypeError(
      `${name} has an unknown key "${unknownKey}": expected current and previous`,
    );
  }
  const { current, previous } = secret as { current?: unknown; previous?: unknown };
  checkSecretString(current, `${name}.current`);
  if (previous === undefined) {
    return { current, verification: [current] };
  }
  if (!Array.isArray(previous)) {
    throw new TypeError(`${name}.previous must be an array of secrets`);
  }
  if (previous.length > MAX_PREVIOUS_SECRETS) {
    throw new TypeError(
      `${name}.previous holds ${previous.length} secrets, at most ${MAX_PREVIOUS_SECRETS}`,
    );
  }
  previous.forEach((old: unknown, index) => checkSecretString(old, `${name}.previous[${index}]`));
  return { current, verification: [...new Set<string>([current, ...(previous as string[])])] };
}

/** {@link normalizeTokenSecrets} for validators, which report a bad secret instead of throwing. */
export function tryNormalizeTokenSecrets(secret: unknown): NormalizedTokenSecrets | null {
  try {
    return normalizeTokenSecrets(secret);
  } catch {
    // Also covers objects whose getters throw: a validator must fail closed, never throw.
    return null;
  }
}

/**
 * Checks a configured token secret at startup, so a missing or weak secret stops the boot with a
 * message naming the variable instead of failing on the first request.
 *
 * @param variableName the setting the secret came from, e.g. `LIVEGATE_DEPLOY__TOKEN_SECRET`.
 * @throws TypeError naming `variableName` (never the secret itself).
 */
export function assertTokenSecret(
  secret: unknown,
  variableName: string,
): asserts secret is TokenSecrets {
  normalizeTokenSecrets(secret, variableName);
}

// Fixed, not random: every worker must derive the same keys from the shared secret.
const KEY_DERIVATION_SALT = 'livegate/token-keys';
const KEY_BYTES = 32;
/** Bound of the derived-key cache: purposes × (current + previous) with room for a rotation. */
export const DERIVED_KEY_CACHE_LIMIT = 64;
const derivedKeys = new Map<string, Buffer>();

/**
 * The HMAC key of one purpose: HKDF-SHA256 of the secret with the purpose's `info`, so a key
 * (and a token) of one purpose is useless for another. Cached, since it runs on every request.
 * The returned buffer is shared: never modify it.
 */
export function deriveTokenKey(secret: string, purpose: TokenPurpose): Buffer {
  const cacheKey = `${purpose}\u0000${secret}`;
  const cached = derivedKeys.get(cacheKey);
  if (cached !== undefined) {
    return cached;
  }
  const key = Buffer.from(
    hkdfSync('sha256', secret, KEY_DERIVATION_SALT, TOKEN_PURPOSES[purpose].keyInfo, KEY_BYTES),
  );
  if (derivedKeys.size >= DERIVED_KEY_CACHE_LIMIT) {
    // Evict the oldest entry: only a rotation or a test ever fills the cache.
    const oldest = derivedKeys.keys().next();
    if (!oldest.done) {
      derivedKeys.delete(oldest.value);
    }
  }
  derivedKeys.set(cacheKey, key);
  return key;
}

/** @internal Number of cached derived keys, for tests of the bound. */
export function derivedKeyCacheSize(): number {
  return derivedKeys.size;
}
