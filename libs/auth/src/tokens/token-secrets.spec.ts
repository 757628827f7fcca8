import { hkdfSync } from 'node:crypto';
import {
  DERIVED_KEY_CACHE_LIMIT,
  MAX_PREVIOUS_SECRETS,
  MIN_SECRET_LENGTH,
  assertTokenSecret,
  deriveTokenKey,
  derivedKeyCacheSize,
  normalizeTokenSecrets,
  tryNormalizeTokenSecrets,
} from './token-secrets';

const SECRET = 'a'.repeat(MIN_SECRET_LENGTH);
const OLD_SECRET = 'b'.repeat(40);
const OLDER_SECRET = 'c'.repeat(64);

describe('normalizeTokenSecrets', () => {
  it('accepts a string of at least 32 characters', () => {
    expect(MIN_SECRET_LENGTH).toBe(32);
    expect(normalizeTokenSecrets(SECRET)).toEqual({ current: SECRET, verification: [SECRET] });
  });

  it('orders a rotation set current first, then previous, without duplicates', () => {
    expect(
      normalizeTokenSecrets({
        current: SECRET,
        previous: [OLD_SECRET, SECRET, OLDER_SECRET, OLD_SECRET],
      }),
    ).toEqual({ current: SECRET, verification: [SECRET, OLD_SECRET, OLDER_SECRET] });
    expect(normalizeTokenSecrets({ current: SECRET })).toEqual({
      current: SECRET,
      verification: [SECRET],
    });
    expect(normalizeTokenSecrets({ current: SECRET, previous: [] }).verification).toEqual([SECRET]);
  });

  it.each([
    ['undefined', undefined, /secret is missing/],
    ['null', null, /secret is missing/],
    ['an empty string', '', /secret is missing/],
    ['a number', 12345, /secret must be a string or \{ current, previous\? \}, got a number/],
    [
      'a Buffer',
      Buffer.from(SECRET),
      /secret must be a string or \{ current, previous\? \}, got a Buffer/,
    ],
    ['a String object', new String(SECRET), /got an object/],
    ['an array', [SECRET], /secret must be a string or \{ current, previous\? \}/],
    ['a 31-character string', 'x'.repeat(31), /secret is too short: 31 characters, at least 32/],
    ['a rotation set without current', { previous: [SECRET] }, /secret\.current is missing/],
    ['a short current', { current: 'short' }, /secret\.current is too short/],
    [
      'previous that is not an array',
      { current: SECRET, previous: OLD_SECRET },
      /previous must be an array/,
    ],
    [
      'a short previous secret',
      { current: SECRET, previous: [OLD_SECRET, 'short'] },
      /previous\[1\] is too short/,
    ],
    [
      'a non-string previous secret',
      { current: SECRET, previous: [42] },
      /previous\[0\] must be a string, got a number/,
    ],
    ['a misspelt key', { current: SECRET, previos: [OLD_SECRET] }, /unknown key "previos"/],
    [
      'too many previous secrets',
      {
        current: SECRET,
        previous: Array.from({ length: MAX_PREVIOUS_SECRETS + 1 }, (_, i) =>
          `${i}`.padEnd(32, 'p'),
        ),
      },
      /at most 8/,
    ],
  ])('rejects %s with a TypeError', (_label, secret, message) => {
    expect(() => normalizeTokenSecrets(secret)).toThrow(TypeError);
    expect(() => normalizeTokenSecrets(secret)).toThrow(message);
    expect(tryNormalizeTokenSecrets(secret)).toBeNull();
  });

  it('never puts the secret in an error message', () => {
    const short = 'do-not-leak-me';
    expect(() => normalizeTokenSecrets(short)).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining(short),
      }),
    );
  });

  it('returns null instead of throwing when reading the secret throws', () => {
    const hostile = {
      get current(): string {
        throw new Error('boom');
      },
    };
    expect(tryNormalizeTokenSecrets(hostile)).toBeNull();
  });
});

describe('assertTokenSecret', () => {
  const variable = 'LIVEGATE_DEPLOY__TOKEN_SECRET';

  it('names the variable when the secret is missing or too short', () => {
    expect(() => assertTokenSecret(undefined, variable)).toThrow(
      new TypeError(
        `${variable} is missing: set it to at least 32 random characters, the same on every worker`,
      ),
    );
    expect(() => assertTokenSecret('tiny', variable)).toThrow(
      `${variable} is too short: 4 characters, at least 32 characters are required`,
    );
    expect(() => assertTokenSecret({ current: SECRET, previous: ['x'] }, variable)).toThrow(
      `${variable}.previous[0] is too short`,
    );
  });

  it('accepts a valid secret or rotation set', () => {
    expect(() => assertTokenSecret(SECRET, variable)).not.toThrow();
    expect(() =>
      assertTokenSecret({ current: SECRET, previous: [OLD_SECRET] }, variable),
    ).not.toThrow();
  });
});

describe('deriveTokenKey', () => {
  it('is HKDF-SHA256 with the fixed salt and a per-purpose, versioned info', () => {
    // Pinned: every worker and every future release must derive the same keys.
    const expected = (info: string) =>
      Buffer.from(hkdfSync('sha256', SECRET, 'livegate/token-keys', info, 32));
    expect(deriveTokenKey(SECRET, 'session')).toEqual(expected('livegate/session-token/v1'));
    expect(deriveTokenKey(SECRET, 'widget')).toEqual(expected('livegate/widget-token/v1'));
  });

  it('gives different 32-byte keys per purpose and per secret, and the same key on repeat', () => {
    const session = deriveTokenKey(SECRET, 'session');
    expect(session).toHaveLength(32);
    expect(deriveTokenKey(SECRET, 'widget').equals(session)).toBe(false);
    expect(deriveTokenKey(OLD_SECRET, 'session').equals(session)).toBe(false);
    expect(deriveTokenKey(SECRET, 'session')).toBe(session);
  });

  it('keeps its cache bounded', () => {
    for (let i = 0; i < DERIVED_KEY_CACHE_LIMIT * 3; i += 1) {
      deriveTokenKey(`cache-test-${i}`.padEnd(32, '.'), i % 2 === 0 ? 'session' : 'widget');
    }
    expect(derivedKeyCacheSize()).toBeLessThanOrEqual(DERIVED_KEY_CACHE_LIMIT);
    // An evicted key is derived again, identically.
    const first = `cache-test-0`.padEnd(32, '.');
    expect(deriveTokenKey(first, 'session')).toEqual(
      Buffer.from(
        hkdfSync('sha256', first, 'livegate/token-keys', 'livegate/session-token/v1', 32),
      ),
    );
  });
});
