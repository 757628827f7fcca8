import crypto from 'node:crypto';
import {
  MAX_TOKEN_LENGTH,
  TOKEN_VERSION,
  decodeBase64Url,
  encodeBase64Url,
  signToken,
  verifyToken,
} from './token-format';
import { deriveTokenKey } from './token-secrets';

const SECRET = 'format-spec-secret-'.padEnd(40, 'f');
const SESSION_KEY = deriveTokenKey(SECRET, 'session');
const WIDGET_KEY = deriveTokenKey(SECRET, 'widget');
const PAYLOAD = '{"hello":"world"}';

describe('decodeBase64Url', () => {
  it('decodes canonical base64url', () => {
    for (let length = 0; length < 40; length += 1) {
      const bytes = crypto.randomBytes(length);
      expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(length === 0 ? null : bytes);
    }
  });

  it.each([
    ['padding', 'YQ=='],
    ['a single pad', 'YWI='],
    ['standard alphabet +', 'a+b'],
    ['standard alphabet /', 'a/b'],
    ['white space', 'YW I'],
    ['a trailing newline', 'YWI\n'],
    ['non-canonical trailing bits', 'YR'], // decodes to "a", like the canonical "YQ"
    ['an impossible length', 'YWJjZ'],
    ['non-ASCII', 'YWÉj'],
    ['empty', ''],
  ])('rejects %s', (_label, text) => {
    expect(decodeBase64Url(text)).toBeNull();
  });

  it('rejects the trailing-bit variant although Node decodes it to the same bytes', () => {
    expect(Buffer.from('YR', 'base64url')).toEqual(Buffer.from('YQ', 'base64url'));
    expect(decodeBase64Url('YQ')).toEqual(Buffer.from('a'));
    expect(decodeBase64Url('YR')).toBeNull();
  });
});

describe('signToken and verifyToken', () => {
  it('produce lg1.<tag>.<payload>.<signature> and return the payload bytes', () => {
    const token = signToken('session', PAYLOAD, SESSION_KEY);
    expect(token).toMatch(/^lg1\.session\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(TOKEN_VERSION).toBe('lg1');
    expect(verifyToken(token, 'session', [SESSION_KEY])).toEqual({
      ok: true,
      payload: Buffer.from(PAYLOAD),
    });
    expect(signToken('widget', PAYLOAD, WIDGET_KEY)).toMatch(/^lg1\.widget\./);
  });

  it('signs the version, the tag and the payload: the signature is HMAC-SHA256 of that text', () => {
    const token = signToken('session', PAYLOAD, SESSION_KEY);
    const body = token.slice(0, token.lastIndexOf('.'));
    const expected = crypto.createHmac('sha256', SESSION_KEY).update(body).digest('base64url');
    expect(token.slice(token.lastIndexOf('.') + 1)).toBe(expected);
  });

  it('tries each key in order and fails with bad_signature when none matches', () => {
    const token = signToken('session', PAYLOAD, SESSION_KEY);
    const other = deriveTokenKey('another-secret-'.padEnd(40, 'o'), 'session');
    expect(verifyToken(token, 'session', [other, SESSION_KEY]).ok).toBe(true);
    expect(verifyToken(token, 'session', [other])).toEqual({ ok: false, error: 'bad_signature' });
    expect(verifyToken(token, 'session', [])).toEqual({ ok: false, error: 'bad_signature' });
  });

  it.each([
    ['another version', 'lg2.session.e30.' + 'A'.repeat(43), 'unsupported_version'],
    ['a far version', 'lg9999.x', 'unsupported_version'],
    ['version 0', 'lg0.session.e30.' + 'A'.repeat(43), 'malformed'],
    ['an uppercase version', 'LG1.session.e30.' + 'A'.repeat(43), 'malformed'],
    ['no dots', 'lg1', 'malformed'],
    ['three parts', 'lg1.session.e30', 'malformed'],
    ['five parts', 'lg1.session.e30.' + 'A'.repeat(43) + '.x', 'malformed'],
    ['the other purpose', 'lg1.widget.e30.' + 'A'.repeat(43), 'wrong_purpose'],
    ['an unknown purpose', 'lg1.admin.e30.' + 'A'.repeat(43), 'malformed'],
    ['an uppercase purpose', 'lg1.SESSION.e30.' + 'A'.repeat(43), 'malformed'],
    ['an empty payload', 'lg1.session..' + 'A'.repeat(43), 'malformed'],
    ['a 42-character signature', 'lg1.session.e30.' + 'A'.repeat(42), 'malformed'],
    ['a 44-character signature', 'lg1.session.e30.' + 'A'.repeat(44), 'malformed'],
    ['a padded signature', 'lg1.session.e30.' + 'A'.repeat(43) + '=', 'malformed'],
    ['a 64-byte signature', 'lg1.session.e30.' + 'A'.repeat(86), 'malformed'],
  ])('rejects %s', (_label, token, error) => {
    expect(verifyToken(token, 'session', [SESSION_KEY])).toEqual({ ok: false, error });
  });

  it('rejects tokens longer than the maximum before decoding or computing any HMAC', () => {
    const pulled = jest.fn();
    const keys: Iterable<Buffer> = {
      *[Symbol.iterator]() {
        pulled();
        yield SESSION_KEY;
      },
    };
    const hmac = jest.spyOn(crypto, 'createHmac');
    try {
      const huge = `lg1.session.${'A'.repeat(1 << 20)}.${'A'.repeat(43)}`;
      expect(verifyToken(huge, 'session', keys)).toEqual({ ok: false, error: 'malformed' });
      const justOver = `lg1.session.${'A'.repeat(MAX_TOKEN_LENGTH - 12 - 44 + 1)}.${'A'.repeat(43)}`;
      expect(justOver).toHaveLength(MAX_TOKEN_LENGTH + 1);
      expect(verifyToken(justOver, 'session', keys)).toEqual({ ok: false, error: 'malformed' });
      expect(hmac).not.toHaveBeenCalled();
      expect(pulled).not.toHaveBeenCalled();
    } finally {
      hmac.mockRestore();
    }
  });

  it('accepts a token of exactly the maximum length', () => {
    const payload = Buffer.alloc(((MAX_TOKEN_LENGTH - 12 - 44) / 4) * 3, 0x41);
    const token = signToken('session', payload, SESSION_KEY);
    expect(token).toHaveLength(MAX_TOKEN_LENGTH);
    expect(verifyToken(token, 'session', [SESSION_KEY]).ok).toBe(true);
  });

  it('derives no key for input the format already rejects', () => {
    const keys: Iterable<Buffer> = {
      [Symbol.iterator]() {
        throw new Error('keys must not be read for malformed input');
      },
    };
    for (const token of ['', 'nonsense', 'lg1.session.e30.x', 'lg1.widget.e30.' + 'A'.repeat(43)]) {
      expect(verifyToken(token, 'session', keys).ok).toBe(false);
    }
  });

  it('compares signatures with timingSafeEqual on two 32-byte buffers', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      const token = signToken('session', PAYLOAD, SESSION_KEY);
      const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
      // Differ in the first byte and in the last byte: both go through the constant-time compare.
      for (const index of [0, 31]) {
        const forged = Buffer.from(signature);
        forged[index] ^= 0x01;
        const tampered = `${token.slice(0, token.lastIndexOf('.'))}.${forged.toString('base64url')}`;
        compare.mockClear();
        expect(verifyToken(tampered, 'session', [SESSION_KEY])).toEqual({
          ok: false,
          error: 'bad_signature',
        });
        expect(compare).toHaveBeenCalledTimes(1);
        const [expected, actual] = compare.mock.calls[0] as [Buffer, Buffer];
        expect(expected).toHaveLength(32);
        expect(actual).toHaveLength(32);
      }
      compare.mockClear();
      expect(verifyToken(token, 'session', [SESSION_KEY]).ok).toBe(true);
      expect(compare).toHaveBeenCalledTimes(1);
    } finally {
      compare.mockRestore();
    }
  });

  it('never throws for values of any type', () => {
    for (const value of [
      undefined,
      null,
      0,
      NaN,
      true,
      {},
      [],
      Buffer.from('lg1'),
      Symbol('t'),
      () => 'x',
      10n,
    ]) {
      expect(verifyToken(value, 'session', [SESSION_KEY])).toEqual({
        ok: false,
        error: 'malformed',
      });
    }
  });
});
