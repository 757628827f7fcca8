import { randomBytes } from 'node:crypto';
import {
  DEFAULT_SESSION_TOKEN_LIFETIME_MS,
  generateSessionToken,
  validateSessionToken,
} from './session-token';
import { encodeBase64Url, signToken } from './token-format';
import type { TokenPurpose } from './token-purpose';
import { deriveTokenKey } from './token-secrets';
import { generateWidgetToken, validateWidgetToken } from './widget-token';

const SECRET = 'session-spec-secret-'.padEnd(48, 's');
const OLD_SECRET = 'session-spec-old-secret-'.padEnd(48, 'o');
const OLDER_SECRET = 'session-spec-older-secret-'.padEnd(48, 'p');
const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;

/** Signs any payload with a real derived key, as an attacker holding the key could. */
function forge(
  payload: unknown,
  options: { tag?: TokenPurpose; keyPurpose?: TokenPurpose; secret?: string } = {},
): string {
  const tag = options.tag ?? 'session';
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return signToken(tag, json, deriveTokenKey(options.secret ?? SECRET, options.keyPurpose ?? tag));
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(Date.now() / SECOND);
  return {
    sub: 'alice',
    iat,
    exp: iat + 3600,
    jti: encodeBase64Url(randomBytes(16)),
    ...overrides,
  };
}

describe('generateSessionToken / validateSessionToken', () => {
  it('round-trips the user id and reports the expiry in milliseconds', () => {
    const expiresAt = Date.now() + HOUR;
    const token = generateSessionToken('alice', SECRET, expiresAt);
    expect(token).toMatch(/^lg1\.session\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(validateSessionToken(token, SECRET)).toEqual({
      valid: true,
      userId: 'alice',
      error: null,
      expiresAt: Math.floor(expiresAt / SECOND) * SECOND,
    });
  });

  it('carries user id, issued-at and expiry in whole seconds, and a 16-byte nonce', () => {
    const before = Math.floor(Date.now() / SECOND);
    const token = generateSessionToken('bob', SECRET, Date.now() + 10 * SECOND);
    const payload: unknown = JSON.parse(
      Buffer.from(token.split('.')[2], 'base64url').toString('utf8'),
    );
    expect(payload).toEqual({
      sub: 'bob',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    const { iat, exp } = payload as { iat: number; exp: number };
    expect(Number.isInteger(iat) && Number.isInteger(exp)).toBe(true);
    expect(iat).toBeGreaterThanOrEqual(before);
    expect(exp - iat).toBeGreaterThanOrEqual(9);
    expect(exp - iat).toBeLessThanOrEqual(10);
  });

  it('gives two tokens for the same user and second different nonces', () => {
    const expiresAt = Date.now() + HOUR;
    expect(generateSessionToken('alice', SECRET, expiresAt)).not.toBe(
      generateSessionToken('alice', SECRET, expiresAt),
    );
  });

  it('defaults to 24 hours', () => {
    const before = Date.now();
    const result = validateSessionToken(generateSessionToken('alice', SECRET), SECRET);
    const after = Date.now();
    expect(DEFAULT_SESSION_TOKEN_LIFETIME_MS).toBe(DAY);
    expect(result.valid).toBe(true);
    if (result.valid) {
      expect(result.expiresAt).toBeGreaterThan(before + DAY - SECOND);
      expect(result.expiresAt).toBeLessThanOrEqual(after + DAY);
    }
  });

  it.each([
    'a',
    'x'.repeat(256),
    'user@example.com',
    'google:1234567890',
    'Zoë Ñandú 日本語 🚀',
    'with spaces and "quotes" and \\backslashes\\',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '__proto__',
    '€'.repeat(256),
    '"\\'.repeat(128),
    '😀'.repeat(128),
  ])('round-trips the user id %j', (userId) => {
    const token = generateSessionToken(userId, SECRET);
    // Even the longest ids in the widest encoding stay well under the length limit.
    expect(token.length).toBeLessThan(1200);
    expect(validateSessionToken(token, SECRET)).toMatchObject({ valid: true, userId });
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(257)],
    ['a NUL', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['DEL', 'a\u007f'],
    ['a C1 control', 'a\u0085'],
    ['a line separator', 'a\u2028b'],
    ['a lone surrogate', 'a\ud800b'],
    ['a number', 42],
    ['undefined', undefined],
  ])('rejects a user id that is %s with a TypeError', (_label, userId) => {
    expect(() => generateSessionToken(userId as string, SECRET)).toThrow(TypeError);
  });

  describe('expiry', () => {
    it('is valid until the expiry second and expired from then on (using now, not sleeps)', () => {
      const expiresAt = Date.now() + 2 * HOUR;
      const token = generateSessionToken('alice', SECRET, expiresAt);
      const expirySecond = Math.floor(expiresAt / SECOND) * SECOND;
      expect(validateSessionToken(token, SECRET, expirySecond - 1).valid).toBe(true);
      expect(validateSessionToken(token, SECRET, expirySecond)).toEqual({
        valid: false,
        userId: null,
        error: 'expired',
      });
      expect(validateSessionToken(token, SECRET, expirySecond + 365 * DAY).error).toBe('expired');
    });

    it('fails closed when now is not a finite number', () => {
      const token = generateSessionToken('alice', SECRET);
      for (const now of [NaN, Infinity, -Infinity, '0' as unknown as number]) {
        expect(validateSessionToken(token, SECRET, now)).toMatchObject({
          valid: false,
          error: 'expired',
        });
      }
    });

    it('accepts an expiry up to 30 days ahead', () => {
      const token = generateSessionToken('alice', SECRET, Date.now() + 30 * DAY);
      expect(validateSessionToken(token, SECRET).valid).toBe(true);
    });

    it.each([
      ['in the past', () => Date.now() - SECOND],
      ['now', () => Date.now()],
      ['in seconds instead of milliseconds', () => Date.now() / SECOND + 3600],
      ['more than 30 days ahead', () => Date.now() + 30 * DAY + 2 * SECOND],
      ['NaN', () => NaN],
      ['Infinity', () => Infinity],
    ])('rejects an expiry %s with a RangeError', (_label, expiresAt) => {
      expect(() => generateSessionToken('alice', SECRET, expiresAt())).toThrow(RangeError);
    });

    it.each([
      ['a string', String(Date.now() + HOUR)],
      ['null', null],
      ['a Date', new Date(Date.now() + HOUR)],
    ])('rejects an expiry that is %s with a TypeError', (_label, expiresAt) => {
      expect(() => generateSessionToken('alice', SECRET, expiresAt as unknown as number)).toThrow(
        TypeError,
      );
    });

    it('rejects a signed token whose lifetime exceeds 30 days', () => {
      const iat = Math.floor(Date.now() / SECOND);
      expect(
        validateSessionToken(forge(claims({ iat, exp: iat + 30 * 86400 })), SECRET).valid,
      ).toBe(true);
      expect(
        validateSessionToken(forge(claims({ iat, exp: iat + 30 * 86400 + 1 })), SECRET),
      ).toEqual({
        valid: false,
        userId: null,
        error: 'malformed',
      });
    });

    it('rejects a signed token issued in the future beyond 60 s of clock skew', () => {
      const now = Date.now();
      const iat = Math.floor(now / SECOND);
      const at = (offset: number) => forge(claims({ iat: iat + offset, exp: iat + offset + 600 }));
      expect(validateSessionToken(at(59), SECRET, now).valid).toBe(true);
      expect(validateSessionToken(at(61), SECRET, now)).toMatchObject({
        valid: false,
        error: 'malformed',
      });
      expect(validateSessionToken(at(86400), SECRET, now).error).toBe('malformed');
    });
  });

  describe('secrets', () => {
    it('rejects a secret shorter than 32 characters at generate time', () => {
      expect(() => generateSessionToken('alice', 'x'.repeat(31))).toThrow(TypeError);
      expect(() => generateSessionToken('alice', 'x'.repeat(31))).toThrow(/at least 32/);
      expect(() => generateSessionToken('alice', undefined as unknown as string)).toThrow(
        TypeError,
      );
      expect(() => generateSessionToken('alice', { current: 'short' })).toThrow(TypeError);
      expect(generateSessionToken('alice', 'x'.repeat(32))).toMatch(/^lg1\./);
    });

    it('reports invalid_secret at validate time instead of throwing', () => {
      const token = generateSessionToken('alice', SECRET);
      for (const secret of [
        'x'.repeat(31),
        '',
        undefined,
        null,
        42,
        {},
        { current: 'short' },
        [SECRET],
      ]) {
        expect(validateSessionToken(token, secret as string)).toEqual({
          valid: false,
          userId: null,
          error: 'invalid_secret',
        });
      }
    });

    it('fails with bad_signature under another secret', () => {
      const token = generateSessionToken('alice', SECRET);
      expect(validateSessionToken(token, OLD_SECRET).error).toBe('bad_signature');
    });
  });

  describe('rotation', () => {
    it('accepts a token signed with a previous secret while it is listed', () => {
      const oldToken = generateSessionToken('alice', OLD_SECRET);
      expect(
        validateSessionToken(oldToken, { current: SECRET, previous: [OLD_SECRET] }),
      ).toMatchObject({ valid: true, userId: 'alice' });
      expect(
        validateSessionToken(generateSessionToken('bob', OLDER_SECRET), {
          current: SECRET,
          previous: [OLD_SECRET, OLDER_SECRET],
        }),
      ).toMatchObject({ valid: true, userId: 'bob' });
    });

    it('rejects it once the previous secret is removed', () => {
      const oldToken = generateSessionToken('alice', OLD_SECRET);
      expect(validateSessionToken(oldToken, { current: SECRET }).error).toBe('bad_signature');
      expect(validateSessionToken(oldToken, { current: SECRET, previous: [] }).error).toBe(
        'bad_signature',
      );
      expect(validateSessionToken(oldToken, SECRET).error).toBe('bad_signature');
    });

    it('signs new tokens with the current secret', () => {
      const token = generateSessionToken('alice', { current: SECRET, previous: [OLD_SECRET] });
      expect(validateSessionToken(token, SECRET).valid).toBe(true);
      expect(validateSessionToken(token, OLD_SECRET).error).toBe('bad_signature');
    });

    it('reports invalid_secret when any secret of the set is too short', () => {
      const token = generateSessionToken('alice', SECRET);
      expect(validateSessionToken(token, { current: SECRET, previous: ['short'] }).error).toBe(
        'invalid_secret',
      );
    });
  });

  describe('purpose separation', () => {
    it('does not accept a widget token as a session token, nor the reverse', () => {
      const widgetToken = generateWidgetToken('alice', SECRET);
      expect(validateSessionToken(widgetToken, SECRET)).toEqual({
        valid: false,
        userId: null,
        error: 'wrong_purpose',
      });
      const sessionToken = generateSessionToken('alice', SECRET);
      expect(validateWidgetToken(sessionToken, 'alice', SECRET)).toBe(false);
    });

    it('does not accept a relabelled token: the tag is signed', () => {
      const widgetToken = generateWidgetToken('alice', SECRET);
      const relabelled = widgetToken.replace(/^lg1\.widget\./, 'lg1.session.');
      expect(validateSessionToken(relabelled, SECRET).error).toBe('bad_signature');
      const sessionToken = generateSessionToken('alice', SECRET);
      expect(
        validateWidgetToken(
          sessionToken.replace(/^lg1\.session\./, 'lg1.widget.'),
          'alice',
          SECRET,
        ),
      ).toBe(false);
    });

    it('does not accept a session-shaped token signed with the widget key', () => {
      // The right tag and payload shape, signed with the other purpose's key.
      const forged = forge(claims(), { tag: 'session', keyPurpose: 'widget' });
      expect(validateSessionToken(forged, SECRET).error).toBe('bad_signature');
      // Sanity: the same payload under the session key is accepted.
      expect(validateSessionToken(forge(claims()), SECRET).valid).toBe(true);
    });

    it('does not accept a widget-tagged token with a session payload, even under the widget key', () => {
      const lifted = forge(claims({ exp: Math.floor(Date.now() / SECOND) + 60 }), {
        tag: 'widget',
      });
      expect(validateWidgetToken(lifted, 'alice', SECRET)).toBe(false);
    });
  });

  describe('payloads with a correct signature', () => {
    it('accepts the canonical payload the forging helper builds', () => {
      expect(validateSessionToken(forge(claims()), SECRET)).toMatchObject({
        valid: true,
        userId: 'alice',
      });
    });

    const iat = Math.floor(Date.now() / SECOND);
    const exp = iat + 3600;
    const jti = 'AAAAAAAAAAAAAAAAAAAAAA';
    const canonical = `{"sub":"alice","iat":${iat},"exp":${exp},"jti":"${jti}"}`;

    it.each<[string, unknown]>([
      ['an extra key', claims({ admin: true })],
      ['a missing sub', { iat, exp, jti }],
      ['a missing iat', { sub: 'alice', exp, jti }],
      ['a missing exp', { sub: 'alice', iat, jti }],
      ['a missing jti', { sub: 'alice', iat, exp }],
      ['the widget subject key', { wid: 'alice', iat, exp, jti }],
      ['a numeric sub', claims({ sub: 42 })],
      ['a null sub', claims({ sub: null })],
      ['an array sub', claims({ sub: ['alice'] })],
      ['an empty sub', claims({ sub: '' })],
      ['a 257-character sub', claims({ sub: 'x'.repeat(257) })],
      ['a control character in sub', claims({ sub: 'ali\u0000ce' })],
      ['a lone surrogate in sub', claims({ sub: 'ali\udc00ce' })],
      ['a string iat', claims({ iat: String(iat) })],
      ['a fractional iat', claims({ iat: iat + 0.5 })],
      ['a negative iat', claims({ iat: -1 })],
      ['a zero iat', claims({ iat: 0 })],
      ['an unsafe integer exp', claims({ exp: 2 ** 60 })],
      ['a string exp', claims({ exp: String(exp) })],
      ['a boolean exp', claims({ exp: true })],
      ['exp equal to iat', claims({ iat, exp: iat })],
      ['exp before iat', claims({ iat, exp: iat - 1 })],
      ['a short jti', claims({ jti: 'AAAA' })],
      ['a 17-byte jti', claims({ jti: encodeBase64Url(randomBytes(17)) })],
      ['a non-canonical jti', claims({ jti: 'AAAAAAAAAAAAAAAAAAAAAB' })],
      ['a numeric jti', claims({ jti: 1 })],
      ['an array', [claims()]],
      ['null', null],
      ['a number', 12],
      ['a JSON string', JSON.stringify('alice')],
      ['not JSON', 'not json'],
      ['duplicate keys', canonical.replace('"sub":"alice"', '"sub":"mallory","sub":"alice"')],
      ['white space', canonical.replace(',', ', ')],
      ['reordered keys', `{"iat":${iat},"sub":"alice","exp":${exp},"jti":"${jti}"}`],
      ['an escaped character', canonical.replace('alice', '\\u0061lice')],
      ['an exponent', canonical.replace(`${exp}`, `${exp / 10}e1`)],
      ['a trailing .0', canonical.replace(`${exp}`, `${exp}.0`)],
      ['a __proto__ key', canonical.replace('{', '{"__proto__":{},')],
      ['a byte-order mark', `\ufeff${canonical}`],
      ['a trailing newline', `${canonical}\n`],
    ])('rejects %s as malformed', (_label, payload) => {
      expect(validateSessionToken(forge(payload), SECRET)).toEqual({
        valid: false,
        userId: null,
        error: 'malformed',
      });
    });

    it('rejects invalid UTF-8 as malformed', () => {
      const bytes = Buffer.concat([
        Buffer.from(canonical.slice(0, 9)),
        Buffer.from([0xff]),
        Buffer.from(canonical.slice(9)),
      ]);
      const token = signToken('session', bytes, deriveTokenKey(SECRET, 'session'));
      expect(validateSessionToken(token, SECRET).error).toBe('malformed');
    });

    it('accepts the canonical text the cases above are derived from', () => {
      expect(validateSessionToken(forge(canonical), SECRET, iat * SECOND)).toMatchObject({
        valid: true,
        userId: 'alice',
      });
    });
  });
});
