import { generateSessionToken, validateSessionToken } from './session-token';
import { generateWidgetToken, validateWidgetToken } from './widget-token';

// Hostile input, run against both kinds of token: every case must be refused without throwing.

const SECRET = 'input-spec-secret-'.padEnd(40, 'i');
const WIDGET_ID = 'dashboard-1';
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

interface TokenKind {
  readonly name: string;
  readonly generate: (subject?: string) => string;
  readonly accepts: (token: unknown, subject?: string) => boolean;
}

const kinds: readonly TokenKind[] = [
  {
    name: 'session token',
    generate: (subject = 'user-1') => generateSessionToken(subject, SECRET),
    accepts: (token) => {
      const result = validateSessionToken(token, SECRET);
      // A refusal always has the same shape: no user id, a stable code.
      if (!result.valid) {
        expect(result.userId).toBeNull();
        expect(typeof result.error).toBe('string');
      }
      return result.valid;
    },
  },
  {
    name: 'widget token',
    generate: (subject = WIDGET_ID) => generateWidgetToken(subject, SECRET),
    accepts: (token, subject = WIDGET_ID) => validateWidgetToken(token, subject, SECRET),
  },
];

/** Same bytes, different text: the next alphabet letter differs only in the unused low bits. */
function bumpTrailingBits(part: string): string {
  const last = BASE64URL_ALPHABET.indexOf(part[part.length - 1]);
  return part.slice(0, -1) + BASE64URL_ALPHABET[last + 1];
}

/**
 * A token whose payload byte length is not a multiple of 3, so that its base64url has unused
 * trailing bits and a padded form. Only the subject changes the payload length, so three
 * consecutive subject lengths are sure to include one.
 */
function generateUnaligned(kind: TokenKind): { token: string; subject: string } {
  for (const subject of ['u', 'uu', 'uuu']) {
    const token = kind.generate(subject);
    if (token.split('.')[2].length % 4 !== 0) {
      expect(kind.accepts(token, subject)).toBe(true);
      return { token, subject };
    }
  }
  throw new Error('no unaligned payload among three consecutive lengths');
}

function replacePart(token: string, index: number, part: string): string {
  const parts = token.split('.');
  parts[index] = part;
  return parts.join('.');
}

describe.each(kinds)('$name', (kind) => {
  const { generate, accepts } = kind;
  it('accepts the untouched token (the control case)', () => {
    expect(accepts(generate())).toBe(true);
  });

  it('refuses every single-character change in every part', () => {
    const token = generate();
    const replacements = ['A', 'B', 'a', 'z', '0', '9', '-', '_', '.', '=', '+', '/', ' ', 'é'];
    const accepted: string[] = [];
    for (let position = 0; position < token.length; position += 1) {
      for (const replacement of replacements) {
        if (replacement === token[position]) {
          continue;
        }
        const tampered = token.slice(0, position) + replacement + token.slice(position + 1);
        if (accepts(tampered)) {
          accepted.push(`${position}:${replacement}`);
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('refuses every bit flip of the signature and of the payload bytes', () => {
    const token = generate();
    const [version, tag, payload, signature] = token.split('.');
    const accepted: string[] = [];
    for (const [index, text] of [
      [2, payload],
      [3, signature],
    ] as const) {
      const bytes = Buffer.from(text, 'base64url');
      for (let bit = 0; bit < bytes.length * 8; bit += 1) {
        const flipped = Buffer.from(bytes);
        flipped[bit >> 3] ^= 1 << (bit & 7);
        const tampered = replacePart(token, index, flipped.toString('base64url'));
        if (accepts(tampered)) {
          accepted.push(`${index}:${bit}`);
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(`${version}.${tag}`).toMatch(/^lg1\.(session|widget)$/);
  });

  it('refuses every truncation and every extension', () => {
    const token = generate();
    for (let length = 0; length < token.length; length += 1) {
      expect(accepts(token.slice(0, length))).toBe(false);
      expect(accepts(token.slice(token.length - length))).toBe(false);
    }
    for (const suffix of ['.', '..', '.x', 'A', '=', '==', '\u0000']) {
      expect(accepts(token + suffix)).toBe(false);
    }
  });

  it('refuses oversized input quickly and without throwing', () => {
    const token = generate();
    const megabyte = 1 << 20;
    expect(accepts('A'.repeat(megabyte))).toBe(false);
    expect(accepts('.'.repeat(megabyte))).toBe(false);
    expect(accepts(token + 'A'.repeat(megabyte))).toBe(false);
    expect(accepts(replacePart(token, 2, token.split('.')[2].repeat(1000)))).toBe(false);
  });

  describe('non-canonical encodings', () => {
    it('refuses padding', () => {
      const { token, subject } = generateUnaligned(kind);
      const [, , payload, signature] = token.split('.');
      expect(accepts(replacePart(token, 3, `${signature}=`), subject)).toBe(false);
      expect(accepts(replacePart(token, 2, `${payload}=`), subject)).toBe(false);
      expect(accepts(replacePart(token, 2, `${payload}==`), subject)).toBe(false);
      const padded = Buffer.from(payload, 'base64url').toString('base64');
      expect(padded).toMatch(/=$/);
      expect(accepts(replacePart(token, 2, padded), subject)).toBe(false);
    });

    it("refuses the standard alphabet's '+' and '/' that Node would decode to the same bytes", () => {
      // Random signatures: find one holding '-' or '_' (three in four do).
      let token = generate();
      for (let attempt = 0; attempt < 100 && !/[-_]/.test(token.split('.')[3]); attempt += 1) {
        token = generate();
      }
      const signature = token.split('.')[3];
      expect(signature).toMatch(/[-_]/);
      const standard = signature.replace(/-/g, '+').replace(/_/g, '/');
      expect(Buffer.from(standard, 'base64')).toEqual(Buffer.from(signature, 'base64url'));
      expect(accepts(replacePart(token, 3, standard))).toBe(false);
    });

    it('refuses trailing-bit variants of the signature and the payload', () => {
      const { token, subject } = generateUnaligned(kind);
      const [, , payload, signature] = token.split('.');
      const variantSignature = bumpTrailingBits(signature);
      expect(Buffer.from(variantSignature, 'base64url')).toEqual(
        Buffer.from(signature, 'base64url'),
      );
      expect(accepts(replacePart(token, 3, variantSignature), subject)).toBe(false);
      const variantPayload = bumpTrailingBits(payload);
      expect(Buffer.from(variantPayload, 'base64url')).toEqual(Buffer.from(payload, 'base64url'));
      expect(accepts(replacePart(token, 2, variantPayload), subject)).toBe(false);
    });

    it('refuses white space anywhere', () => {
      const token = generate();
      for (const space of [' ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\ufeff']) {
        expect(accepts(space + token)).toBe(false);
        expect(accepts(token + space)).toBe(false);
        for (const position of [
          3,
          token.indexOf('.', 4) + 1,
          token.lastIndexOf('.') - 5,
          token.length - 5,
        ]) {
          expect(accepts(token.slice(0, position) + space + token.slice(position))).toBe(false);
        }
      }
    });

    it('refuses a changed case of the version or tag', () => {
      const token = generate();
      const [version, tag] = token.split('.');
      expect(accepts(replacePart(token, 0, version.toUpperCase()))).toBe(false);
      expect(accepts(replacePart(token, 0, 'Lg1'))).toBe(false);
      expect(accepts(replacePart(token, 1, tag.toUpperCase()))).toBe(false);
      expect(accepts(replacePart(token, 0, 'lg2'))).toBe(false);
      expect(accepts(replacePart(token, 0, 'lg01'))).toBe(false);
    });

    it('refuses look-alike characters', () => {
      const token = generate();
      // Fullwidth full stop and fullwidth digit one.
      expect(accepts(token.replace('.', '\uff0e'))).toBe(false);
      expect(accepts(token.replace('lg1', 'lg\uff11'))).toBe(false);
    });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['NaN', NaN],
    ['a boolean', true],
    ['a bigint', 10n],
    ['a symbol', Symbol('token')],
    ['an object', {}],
    ['an array', []],
    ['a function', () => 'token'],
  ])('refuses a token that is %s', (_label, value) => {
    expect(accepts(value)).toBe(false);
  });

  it('refuses a valid token wrapped in another type', () => {
    const token = generate();
    for (const value of [
      Buffer.from(token),
      new String(token),
      [token],
      { token },
      { toString: () => token },
      { valueOf: () => token },
    ]) {
      expect(accepts(value)).toBe(false);
    }
  });
});

describe('validateSessionToken error codes for hostile input', () => {
  it('are stable strings', () => {
    const token = generateSessionToken('user-1', SECRET);
    expect(validateSessionToken(undefined, SECRET).error).toBe('malformed');
    expect(validateSessionToken('x'.repeat(1 << 20), SECRET).error).toBe('malformed');
    expect(validateSessionToken(token.replace(/^lg1/, 'lg2'), SECRET).error).toBe(
      'unsupported_version',
    );
    expect(validateSessionToken(token.replace(/^lg1/, 'LG1'), SECRET).error).toBe('malformed');
    expect(
      validateSessionToken(token.slice(0, -1) + (token.endsWith('A') ? 'Q' : 'A'), SECRET).error,
    ).toMatch(/^(bad_signature|malformed)$/);
  });
});
