import { AuthenticationError } from './oauth.errors';
import { OAUTH_ENV_VARIABLES, resolveOAuthSettings } from './oauth.config';

/** The message a resolution stops with. */
function failure(
  options: Parameters<typeof resolveOAuthSettings>[0],
  env: Record<string, string>,
): string {
  try {
    resolveOAuthSettings(options, env);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('OAuth configuration (LIVEGATE_OAUTH2__*)', () => {
  it('documents every variable of the reference table, and more', () => {
    const names = OAUTH_ENV_VARIABLES.map((row) => row.variable);
    for (const name of [
      'PROVIDER',
      'CLIENT_ID',
      'CLIENT_SECRET',
      'SCOPES',
      'USE_PKCE',
      'TOKEN_STORE_BACKEND',
      'AUTH_TIMEOUT_SECONDS',
      'REFRESH_BUFFER_SECONDS',
      'ISSUER_URL',
      'TENANT_ID',
      'AUTHORIZE_URL',
      'TOKEN_URL',
      'REDIRECT_URI',
      'STATE_MAX_AGE_SECONDS',
    ]) {
      expect(names).toContain(`LIVEGATE_OAUTH2__${name}`);
    }
  });

  it('has the reference defaults with nothing set', () => {
    expect(resolveOAuthSettings({}, {})).toEqual({
      usePkce: true,
      tokenStoreBackend: 'memory',
      authTimeoutSeconds: 120,
      refreshBufferSeconds: 60,
      tenantId: 'common',
      stateMaxAgeSeconds: 600,
      allowInsecureIssuer: false,
    });
  });

  it('reads a provider from the environment, options winning', () => {
    const settings = resolveOAuthSettings(
      { clientId: 'from-options' },
      {
        PROVIDER: 'GitHub',
        CLIENT_ID: 'from-env',
        CLIENT_SECRET: 's3cret',
        SCOPES: 'read:user  user:email read:user',
        TOKEN_STORE_BACKEND: 'redis',
      },
    );
    expect(settings).toMatchObject({
      provider: 'github',
      clientId: 'from-options',
      clientSecret: 's3cret',
      scopes: ['read:user', 'user:email'],
      tokenStoreBackend: 'redis',
    });
  });

  it('stops listing every bad variable by name, never echoing the secret', () => {
    const message = failure(
      {},
      {
        PROVIDER: 'facebook',
        CLIENT_SECRET: ' ',
        USE_PKCE: 'false',
        TOKEN_STORE_BACKEND: 'sqlite',
        STATE_MAX_AGE_SECONDS: '601',
        REFRESH_BUFFER_SECONDS: '-1',
        ISSUER_URL: 'ftp://issuer.example',
        SCOPES: 'a "b"',
      },
    );
    for (const name of [
      'PROVIDER',
      'CLIENT_SECRET',
      'USE_PKCE',
      'TOKEN_STORE_BACKEND',
      'STATE_MAX_AGE_SECONDS',
      'REFRESH_BUFFER_SECONDS',
      'ISSUER_URL',
      'SCOPES',
    ]) {
      expect(message).toContain(`LIVEGATE_OAUTH2__${name}`);
    }
    expect(message).toContain('always uses PKCE');
  });

  it('needs the URLs each provider type cannot work without', () => {
    expect(failure({}, { PROVIDER: 'oidc', CLIENT_ID: 'c' })).toContain(
      'LIVEGATE_OAUTH2__ISSUER_URL is required for the oidc provider',
    );
    const custom = failure({}, { PROVIDER: 'custom', CLIENT_ID: 'c' });
    expect(custom).toContain('LIVEGATE_OAUTH2__AUTHORIZE_URL is required');
    expect(custom).toContain('LIVEGATE_OAUTH2__TOKEN_URL is required');
    expect(custom).toContain('LIVEGATE_OAUTH2__USERINFO_URL is required');
    expect(failure({}, { PROVIDER: 'google' })).toContain('LIVEGATE_OAUTH2__CLIENT_ID is required');
  });

  it('takes http:// provider URLs only with the development switch, and never in production', () => {
    const env = { PROVIDER: 'oidc', CLIENT_ID: 'c', ISSUER_URL: 'http://127.0.0.1:4000' };
    expect(failure({}, env)).toContain('LIVEGATE_OAUTH2__ISSUER_URL must be an https:// URL');
    expect(resolveOAuthSettings({}, { ...env, ALLOW_INSECURE_ISSUER: 'true' }).issuerUrl).toBe(
      'http://127.0.0.1:4000',
    );
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(failure({}, { ...env, ALLOW_INSECURE_ISSUER: 'true' })).toContain(
        'ALLOW_INSECURE_ISSUER is refused when NODE_ENV=production',
      );
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});
