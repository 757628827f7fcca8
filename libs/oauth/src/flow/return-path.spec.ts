import fc from 'fast-check';
import { MAX_RETURN_PATH_LENGTH, safeReturnPath } from './return-path';

const APP = 'https://app.example';

/** Where a browser goes with `Location: <path>` on a page of the app. */
const landsOn = (path: string) => new URL(path, `${APP}/auth/callback`);

/** Pieces that browsers and URL parsers have read as another host, scheme or path. */
const HOSTILE = [
  '/',
  '//',
  '\\',
  '/\\',
  '\\/',
  '///',
  '/%2f',
  '/%5c',
  '%2f%2f',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '\u007f',
  '\u2028',
  '\uff0f',
  'https:',
  'http:',
  'javascript:',
  'data:',
  'HTTPS://',
  '@',
  ':',
  '?',
  '#',
  '..',
  './',
  'evil.example',
  '127.0.0.1',
  '[::1]',
];

describe('safeReturnPath', () => {
  it('keeps same-origin paths with their query and fragment', () => {
    expect(safeReturnPath('/dashboard')).toBe('/dashboard');
    expect(safeReturnPath('/a/b?c=d&e=%2F#f')).toBe('/a/b?c=d&e=%2F#f');
    expect(safeReturnPath('/a/../b')).toBe('/b');
  });

  it('answers / for anything that is not a string path of this app', () => {
    for (const value of [
      undefined,
      null,
      3,
      {},
      ['/x'],
      '',
      'x',
      '//evil.example',
      '/\\evil',
      '/..//evil.example',
      '/a/../..//evil.example/x',
      '/./%2e%2e//evil.example',
    ]) {
      expect(safeReturnPath(value)).toBe('/');
    }
    expect(safeReturnPath(`/${'a'.repeat(MAX_RETURN_PATH_LENGTH)}`)).toBe('/');
  });

  it('never leaves the app, whatever the spelling (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 4 })), {
          maxLength: 8,
        }),
        (pieces) => {
          const result = safeReturnPath(pieces.join(''));
          const target = landsOn(result);
          expect(target.origin).toBe(APP);
          expect(result.startsWith('/')).toBe(true);
          expect(/^\/[/\\]/.test(result)).toBe(false);
          // eslint-disable-next-line no-control-regex -- what a Location header must not carry
          expect(/[\u0000-\u001f\u007f\\]/.test(result)).toBe(false);
          // Stable: a kept path is kept as it is.
          expect(safeReturnPath(result)).toBe(result);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
