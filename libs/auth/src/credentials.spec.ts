import { presentedCredentials, readBearer, readCookie } from './credentials';

describe('credentials', () => {
  it('reads a cookie among others, decoding it', () => {
    expect(
      readCookie({ cookie: 'a=1; livegate_session=abc%2D1; b=2' }, 'livegate_session'),
    ).toEqual({
      value: 'abc-1',
      malformed: false,
    });
    expect(readCookie({}, 'livegate_session')).toEqual({ malformed: false });
    expect(readCookie({ cookie: 'other=1' }, 'livegate_session')).toEqual({ malformed: false });
  });

  it('refuses two different cookies of the same name and undecodable values', () => {
    expect(readCookie({ cookie: 's=a; s=b' }, 's').malformed).toBe(true);
    expect(readCookie({ cookie: 's=a; s=a' }, 's')).toEqual({ value: 'a', malformed: false });
    expect(readCookie({ cookie: 's=%E0%A4%A' }, 's').malformed).toBe(true);
    expect(readCookie({ cookie: `s=${'x'.repeat(513)}` }, 's').malformed).toBe(true);
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

  it('reads the query only when given (handshakes), flagging bad values', () => {
    expect(presentedCredentials({}, ['s'], 'authorization', 'abc')).toEqual({
      cookie: undefined,
      bearer: undefined,
      query: 'abc',
      malformed: false,
    });
    expect(presentedCredentials({}, ['s'], 'authorization', ['a', 'b']).malformed).toBe(true);
    expect(presentedCredentials({}, ['s'], 'authorization').query).toBeUndefined();
  });
});
