import * as tokens from './index';

describe('@livegate/auth tokens public API', () => {
  it('exports the token functions, constants and the startup check', () => {
    expect(Object.keys(tokens).sort()).toEqual(
      [
        'CLOCK_SKEW_SECONDS',
        'DEFAULT_SESSION_TOKEN_LIFETIME_MS',
        'DEFAULT_WIDGET_TOKEN_TTL_SECONDS',
        'MAX_PREVIOUS_SECRETS',
        'MAX_SESSION_TOKEN_LIFETIME_SECONDS',
        'MAX_SUBJECT_LENGTH',
        'MAX_TOKEN_LENGTH',
        'MAX_WIDGET_TOKEN_TTL_SECONDS',
        'MIN_SECRET_LENGTH',
        'TOKEN_VERSION',
        'assertTokenSecret',
        'generateSessionToken',
        'generateWidgetToken',
        'validateSessionToken',
        'validateWidgetToken',
      ].sort(),
    );
    expect(tokens.MIN_SECRET_LENGTH).toBe(32);
    expect(tokens.MAX_TOKEN_LENGTH).toBe(2048);
  });

  it('lets the auth module fail at boot with the variable named', () => {
    const secret: unknown = process.env.LIVEGATE_SPEC_UNSET_TOKEN_SECRET;
    expect(() => tokens.assertTokenSecret(secret, 'LIVEGATE_DEPLOY__TOKEN_SECRET')).toThrow(
      /^LIVEGATE_DEPLOY__TOKEN_SECRET is missing/,
    );
    const configured: unknown = 'a-configured-secret-of-enough-length';
    tokens.assertTokenSecret(configured, 'LIVEGATE_DEPLOY__TOKEN_SECRET');
    // After the assertion the value is typed as TokenSecrets and usable directly.
    const token = tokens.generateSessionToken('alice', configured);
    const result: tokens.SessionTokenValidation = tokens.validateSessionToken(token, configured);
    expect(result).toMatchObject({ valid: true, userId: 'alice' });
  });
});
