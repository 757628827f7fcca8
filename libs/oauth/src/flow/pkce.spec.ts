import * as client from 'openid-client';
import { AuthenticationError } from '../oauth.errors';
import { PKCE_VERIFIER_MAX_LENGTH, PKCE_VERIFIER_MIN_LENGTH, PkceChallenge } from './pkce';

describe('PkceChallenge', () => {
  it('makes S256 pairs whose challenge openid-client computes the same way', async () => {
    for (const length of [PKCE_VERIFIER_MIN_LENGTH, 64, 100, PKCE_VERIFIER_MAX_LENGTH]) {
      const pkce = PkceChallenge.generate(length);
      expect(pkce.method).toBe('S256');
      expect(pkce.verifier).toHaveLength(length);
      // RFC 7636 §4.1: unreserved characters only.
      expect(pkce.verifier).toMatch(/^[A-Za-z0-9._~-]+$/);
      expect(pkce.challenge).toBe(await client.calculatePKCECodeChallenge(pkce.verifier));
      expect(pkce.challenge).toMatch(/^[\w-]{43}$/);
    }
    // RFC 7636 appendix B's example.
    expect(PkceChallenge.challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('is fresh every time', () => {
    const verifiers = new Set(Array.from({ length: 200 }, () => PkceChallenge.generate().verifier));
    expect(verifiers.size).toBe(200);
    expect(PkceChallenge.generate().verifier).toHaveLength(64);
  });

  it.each([0, 42, 129, 64.5, Number.NaN])('refuses a verifier length of %p', (length) => {
    expect(() => PkceChallenge.generate(length)).toThrow(AuthenticationError);
    expect(() => PkceChallenge.generate(length)).toThrow(/43 to 128 characters/);
  });
});
