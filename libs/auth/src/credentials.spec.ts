import {
  carriesCookie,
  isSessionIdShape,
  presentedCredentials,
  readBearer,
  readCookie,
} from './credentials';

describe('credentials', () => {
  it('reads a cookie among others, as it is', () => {
    expect(readCookie({ cookie: 'a=1; livegate_session=abc-1; b=2' }, 'livegate_session')).toEqual({
      value: 'abc-1',
      malformed: false,
    });
    expect(readCookie({ cookie: 's="quoted"' }, 's')).toEqual({
      value: 'quoted',
      malformed: false,
    });
    expect(readCookie({}, 'livegate_session')).toEqual({ malformed: false });
    expect(readCookie({ cookie: 'other=1' }, 'livegate_session')).toEqual({ malformed: false });
  });

  it('never percent-decodes: a value outside the session-id charset is unreadable', () => {
    for (const value of ['abc%2D1', '%61', 'bad%ZZ', 'a b', 'ü', 'a,b', '']) {
      expect(readCookie({ cookie: `s=${value}` }, 's')).toEqual({ malformed: true });
    }
    // One id, one spelling: an encoded twin of a value is another, unreadable value.
    expect(readCookie({ cookie: 's=abc; s=ab%63' }, 's').malformed).toBe(true);
  });

  it('refuses two different cookies of the same name and over-long values', () => {
    expect(readCookie({ cookie: 's=a; s=b' }, 's').malformed).toBe(true);
    expect(readCookie({ cookie: 's=a; s=a' }, 's')).toEqual({ value: 'a', malformed: false });
    expect(readCookie({ cookie: `s=${'x'.repeat(257)}` }, 's').malformed).toBe(true);
  });

  it('tells whether a cookie of a name is carried at all', () => {
    expect(carriesCookie({ cookie: 'a=1; s=%%' }, ['s'])).toBe(true);
    expect(carriesCookie({ cookie: 'a=1; s=ok' }, ['t', 's'])).toBe(true);
    expect(carriesCookie({ cookie: 'a=1' }, ['s'])).toBe(false);
    expect(carriesCookie({}, ['s'])).toBe(false);
  });

  it('reads Bearer in any case from the configured header', () => {
    expect(readBearer({ 'x-auth': 'bearer tok' }, 'X-Auth')).toEqual({
      value: 'tok',
      malformed: false,
    });
    expect(readBearer({ authorization: 'Bearer tok' }, 'Authorization').value).toBe('tok');
    for (const value of ['Basic tok', 'Bearer', 'Bearer a b', 'tok']) {
      expect(readBearer({ authorization: value }, 'Authorization').malformed).toBe(true);
    }
  });

  it('reads the handshake values only when given, refusing anything but one string', () => {
    expect(
      presentedCredentials({}, ['s'], 'authorization', { query: 'abc', token: 'def' }),
    ).toEqual({
      cookie: undefined,
      bearer: undefined,
      token: 'def',
      query: 'abc',
      malformed: false,
      refused: false,
    });
    for (const bad of [['a', 'b'], '', 42, { a: 1 }, null, 'x'.repeat(513)]) {
      expect(presentedCredentials({}, ['s'], 'authorization', { query: bad }).refused).toBe(true);
      expect(presentedCredentials({}, ['s'], 'authorization', { token: bad }).refused).toBe(true);
    }
    expect(presentedCredentials({}, ['s'], 'authorization').query).toBeUndefined();
  });

  it('knows the session-id charset and length', () => {
    expect(isSessionIdShape('abc_DEF-0.9~:x')).toBe(true);
    expect(isSessionIdShape('x'.repeat(256))).toBe(true);
    expect(isSessionIdShape('x'.repeat(257))).toBe(false);
    for (const value of ['', 'a%41', 'a/b', 'a b', 'a\u200bb', 'é']) {
      expect(isSessionIdShape(value)).toBe(false);
    }
  });
});
