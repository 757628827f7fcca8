import { randomBytes } from 'node:crypto';
import { generateSessionToken, validateSessionToken } from './session-token';
import { encodeBase64Url, signToken } from './token-format';
import type { TokenPurpose } from './token-purpose';
import { deriveTokenKey } from './token-secrets';
import {
  DEFAULT_WIDGET_TOKEN_TTL_SECONDS,
  generateWidgetToken,
  validateWidgetToken,
} from './widget-token';

const SECRET = 'widget-spec-secret-'.padEnd(40, 'w');
const OLD_SECRET = 'widget-spec-old-secret-'.padEnd(40, 'o');
const SECOND = 1000;

function forge(
  payload: Record<string, unknown>,
  tag: TokenPurpose = 'widget',
  keyPurpose = tag,
): string {
  return signToken(tag, JSON.stringify(payload), deriveTokenKey(SECRET, keyPurpose));
}

function widgetClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(Date.now() / SECOND);
  return {
    wid: 'chart-1',
    iat,
    exp: iat + 300,
    jti: encodeBase64Url(randomBytes(16)),
    ...overrides,
  };
}

describe('generateWidgetToken / validateWidgetToken', () => {
  it('round-trips for exactly the widget it was issued for', () => {
    const token = generateWidgetToken('chart-1', SECRET);
    expect(token).toMatch(/^lg1\.widget\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(validateWidgetToken(token, 'chart-1', SECRET)).toBe(true);
  });

  it.each(['chart-2', 'chart-1 ', ' chart-1', 'Chart-1', 'chart-', 'chart-10', 'chart-1\u0000'])(
    'rejects it for another widget id %j',
    (widgetId) => {
      expect(validateWidgetToken(generateWidgetToken('chart-1', SECRET), widgetId, SECRET)).toBe(
        false,
      );
    },
  );

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 1],
    ['an object', { id: 'chart-1' }],
    ['an array', ['chart-1']],
    ['a Buffer', Buffer.from('chart-1')],
    ['a String object', new String('chart-1')],
    ['an object that stringifies to the id', { toString: () => 'chart-1' }],
  ])('returns false for a widget id that is %s', (_label, widgetId) => {
    expect(validateWidgetToken(generateWidgetToken('chart-1', SECRET), widgetId, SECRET)).toBe(
      false,
    );
  });

  it('round-trips unusual but valid widget ids', () => {
    for (const widgetId of ['x', 'w'.repeat(256), 'ü-日本-🚀', 'a.b:c/d?e=f', '__proto__']) {
      expect(validateWidgetToken(generateWidgetToken(widgetId, SECRET), widgetId, SECRET)).toBe(
        true,
      );
    }
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(257)],
    ['a control character', 'a\tb'],
    ['a lone surrogate', '\ud83d'],
    ['not a string', 7],
  ])('rejects a widget id that is %s with a TypeError', (_label, widgetId) => {
    expect(() => generateWidgetToken(widgetId as string, SECRET)).toThrow(TypeError);
  });

  describe('ttl', () => {
    it('defaults to 300 seconds and expires after it', () => {
      const issued = Date.now();
      const token = generateWidgetToken('chart-1', SECRET);
      expect(DEFAULT_WIDGET_TOKEN_TTL_SECONDS).toBe(300);
      const iatMs = Math.floor(issued / SECOND) * SECOND;
      expect(validateWidgetToken(token, 'chart-1', SECRET, iatMs + 299 * SECOND)).toBe(true);
      // A generation straddling a second boundary may issue one second later.
      expect(validateWidgetToken(token, 'chart-1', SECRET, iatMs + 301 * SECOND)).toBe(false);
    });

    it('honours a custom ttl, using now instead of sleeping', () => {
      const token = generateWidgetToken('chart-1', SECRET, 5);
      const iat = Number(
        (JSON.parse(Buffer.from(token.split('.')[2], 'base64url').toString()) as { iat: number })
          .iat,
      );
      expect(validateWidgetToken(token, 'chart-1', SECRET, (iat + 5) * SECOND - 1)).toBe(true);
      expect(validateWidgetToken(token, 'chart-1', SECRET, (iat + 5) * SECOND)).toBe(false);
      expect(validateWidgetToken(token, 'chart-1', SECRET, (iat + 3600) * SECOND)).toBe(false);
    });

    it('accepts 1 to 3600 seconds', () => {
      expect(validateWidgetToken(generateWidgetToken('w', SECRET, 1), 'w', SECRET)).toBe(true);
      expect(validateWidgetToken(generateWidgetToken('w', SECRET, 3600), 'w', SECRET)).toBe(true);
    });

    it.each([0, -1, 3601, 0.5, 1.5, NaN, Infinity])('rejects ttl %p with a RangeError', (ttl) => {
      expect(() => generateWidgetToken('w', SECRET, ttl)).toThrow(RangeError);
    });

    it('rejects a ttl that is not a number with a TypeError', () => {
      expect(() => generateWidgetToken('w', SECRET, '300' as unknown as number)).toThrow(TypeError);
      expect(() => generateWidgetToken('w', SECRET, null as unknown as number)).toThrow(TypeError);
    });

    it('rejects a signed token whose lifetime exceeds one hour or that is issued in the future', () => {
      const iat = Math.floor(Date.now() / SECOND);
      expect(validateWidgetToken(forge(widgetClaims({ exp: iat + 3600 })), 'chart-1', SECRET)).toBe(
        true,
      );
      expect(validateWidgetToken(forge(widgetClaims({ exp: iat + 3601 })), 'chart-1', SECRET)).toBe(
        false,
      );
      expect(
        validateWidgetToken(
          forge(widgetClaims({ iat: iat + 120, exp: iat + 400 })),
          'chart-1',
          SECRET,
        ),
      ).toBe(false);
    });

    it('fails closed when now is not a finite number', () => {
      const token = generateWidgetToken('chart-1', SECRET);
      expect(validateWidgetToken(token, 'chart-1', SECRET, NaN)).toBe(false);
    });
  });

  describe('secrets', () => {
    it('rejects a short secret at generate time and returns false at validate time', () => {
      expect(() => generateWidgetToken('chart-1', 'k'.repeat(31))).toThrow(TypeError);
      const token = generateWidgetToken('chart-1', SECRET);
      for (const secret of ['k'.repeat(31), '', undefined, null, { current: 'k' }]) {
        expect(validateWidgetToken(token, 'chart-1', secret as string)).toBe(false);
      }
    });

    it('rotates: old tokens validate while the old secret is in previous, new ones use current', () => {
      const oldToken = generateWidgetToken('chart-1', OLD_SECRET);
      const rotation = { current: SECRET, previous: [OLD_SECRET] };
      expect(validateWidgetToken(oldToken, 'chart-1', rotation)).toBe(true);
      expect(validateWidgetToken(oldToken, 'chart-1', { current: SECRET })).toBe(false);
      const newToken = generateWidgetToken('chart-1', rotation);
      expect(validateWidgetToken(newToken, 'chart-1', SECRET)).toBe(true);
      expect(validateWidgetToken(newToken, 'chart-1', OLD_SECRET)).toBe(false);
    });
  });

  describe('purpose separation', () => {
    it('never validates a session token as a widget token, nor the reverse', () => {
      expect(validateWidgetToken(generateSessionToken('chart-1', SECRET), 'chart-1', SECRET)).toBe(
        false,
      );
      expect(validateSessionToken(generateWidgetToken('chart-1', SECRET), SECRET).valid).toBe(
        false,
      );
    });

    it('rejects a widget-shaped token signed with the session key', () => {
      expect(
        validateWidgetToken(forge(widgetClaims(), 'widget', 'session'), 'chart-1', SECRET),
      ).toBe(false);
      expect(validateWidgetToken(forge(widgetClaims()), 'chart-1', SECRET)).toBe(true);
    });

    it('rejects a widget payload under the session tag, even signed with the session key', () => {
      const forged = forge(widgetClaims(), 'session');
      expect(validateSessionToken(forged, SECRET).error).toBe('malformed');
      expect(validateWidgetToken(forged, 'chart-1', SECRET)).toBe(false);
    });

    it('rejects payloads with extra or missing keys or wrong types despite a correct signature', () => {
      const cases = [
        widgetClaims({ extra: 1 }),
        widgetClaims({ wid: undefined }),
        widgetClaims({ wid: 1 }),
        widgetClaims({ iat: '1' }),
        widgetClaims({ exp: 1.5 }),
        widgetClaims({ jti: undefined }),
        { ...widgetClaims(), sub: 'chart-1' },
      ];
      for (const payload of cases) {
        expect(validateWidgetToken(forge(payload), 'chart-1', SECRET)).toBe(false);
      }
    });
  });
});
