import fc from 'fast-check';
import { generateSessionToken, validateSessionToken } from './session-token';
import { generateWidgetToken, validateWidgetToken } from './widget-token';

const SECRET = 'property-spec-secret-'.padEnd(40, 'p');
const OTHER_SECRET = 'property-spec-other-secret-'.padEnd(40, 'q');

// The rule for ids, written independently of the implementation.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isAcceptableId = (id: string) =>
  id.length >= 1 && id.length <= 256 && !CONTROL.test(id) && !LONE_SURROGATE.test(id);

/** Ids from several alphabets, including astral code points, control characters removed. */
const validId = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
    fc.string({ minLength: 1, maxLength: 256 }),
  )
  .map((id) => id.replace(new RegExp(CONTROL.source, 'g'), '_'))
  .filter(isAcceptableId);

/** Any UTF-16 string, lone surrogates and control characters included. */
const anyUtf16 = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  maxLength: 300,
});

const base64UrlText = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .'),
  maxLength: 120,
});

/** Strings shaped like tokens, to get past the first checks. */
const tokenLike = fc
  .tuple(
    fc.constantFrom('lg1', 'lg2', 'LG1', 'lg', ''),
    fc.constantFrom('session', 'widget', 'SESSION', 'admin', ''),
    base64UrlText,
    base64UrlText,
  )
  .map((parts) => parts.join('.'));

const anyString = fc.oneof(fc.string(), anyUtf16, fc.string({ unit: 'binary' }), tokenLike);

describe('token properties', () => {
  it('session tokens round-trip any acceptable user id', () => {
    fc.assert(
      fc.property(validId, (userId) => {
        const result = validateSessionToken(generateSessionToken(userId, SECRET), SECRET);
        expect(result).toMatchObject({ valid: true, userId, error: null });
        expect(validateSessionToken(generateSessionToken(userId, SECRET), OTHER_SECRET).valid).toBe(
          false,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('widget tokens round-trip any acceptable widget id and name no other', () => {
    fc.assert(
      fc.property(validId, validId, (widgetId, otherId) => {
        const token = generateWidgetToken(widgetId, SECRET);
        expect(validateWidgetToken(token, widgetId, SECRET)).toBe(true);
        expect(validateWidgetToken(token, otherId, SECRET)).toBe(widgetId === otherId);
        expect(validateSessionToken(token, SECRET).valid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('generate accepts exactly the acceptable ids and throws TypeError for the rest', () => {
    fc.assert(
      fc.property(anyUtf16, (id) => {
        if (isAcceptableId(id)) {
          expect(validateSessionToken(generateSessionToken(id, SECRET), SECRET).userId).toBe(id);
          expect(validateWidgetToken(generateWidgetToken(id, SECRET), id, SECRET)).toBe(true);
        } else {
          expect(() => generateSessionToken(id, SECRET)).toThrow(TypeError);
          expect(() => generateWidgetToken(id, SECRET)).toThrow(TypeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary strings never throw and are never valid', () => {
    fc.assert(
      fc.property(anyString, fc.oneof(validId, anyString), (token, widgetId) => {
        const session = validateSessionToken(token, SECRET);
        expect(session.valid).toBe(false);
        expect(session.userId).toBeNull();
        expect(validateWidgetToken(token, widgetId, SECRET)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary values of any type never throw and are never valid', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (token, widgetId) => {
        expect(validateSessionToken(token, SECRET).valid).toBe(false);
        expect(validateWidgetToken(token, widgetId, SECRET)).toBe(false);
        expect(validateWidgetToken(generateWidgetToken('w', SECRET), widgetId, SECRET)).toBe(
          widgetId === 'w',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('any edit of a valid token makes it invalid', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat({ max: 4 }),
        fc.oneof(fc.string({ maxLength: 4 }), base64UrlText),
        (start, deleteCount, insert) => {
          for (const [token, accepts] of [
            [
              generateSessionToken('user', SECRET),
              (t: string) => validateSessionToken(t, SECRET).valid,
            ],
            [
              generateWidgetToken('widget', SECRET),
              (t: string) => validateWidgetToken(t, 'widget', SECRET),
            ],
          ] as const) {
            const at = start % (token.length + 1);
            const edited = token.slice(0, at) + insert + token.slice(at + deleteCount);
            expect(accepts(edited)).toBe(edited === token);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary secrets never make a validator throw', () => {
    const token = generateSessionToken('user', SECRET);
    fc.assert(
      fc.property(fc.anything(), (secret) => {
        const result = validateSessionToken(token, secret as string);
        expect(result.valid).toBe(false);
        expect(['invalid_secret', 'bad_signature']).toContain(result.error);
        expect(validateWidgetToken(token, 'user', secret as string)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
