import { AuthenticationError } from '../oauth.errors';
import { OidcProvider } from '../providers/oidc.provider';
import { KeyringTokenStore } from '../token-stores/keyring-token.store';
import { MemoryTokenStore } from '../token-stores/memory-token.store';
import { createNativeAuth } from './create-native-auth';

const OIDC = {
  LIVEGATE_OAUTH2__PROVIDER: 'oidc',
  LIVEGATE_OAUTH2__CLIENT_ID: 'native-app',
  LIVEGATE_OAUTH2__ISSUER_URL: 'https://idp.example',
};

describe('createNativeAuth', () => {
  it('builds the provider and token store LIVEGATE_OAUTH2__ names', () => {
    const auth = createNativeAuth({}, OIDC);
    expect(auth.provider).toBeInstanceOf(OidcProvider);
    expect(auth.provider.name).toBe('oidc');
    expect(auth.tokenStore).toBeInstanceOf(MemoryTokenStore);
    expect(auth.tokenKey).toBe('native:oidc');
    expect(auth.isAuthenticated).toBe(false);
  });

  it('takes a provider, store and key built in code', () => {
    const provider = new OidcProvider({
      name: 'corp',
      issuer: 'https://idp.example',
      clientId: 'x',
    });
    const tokenStore = new MemoryTokenStore();
    const auth = createNativeAuth({ oauthProvider: provider, tokenStore, tokenKey: 'me' }, {});
    expect(auth.provider).toBe(provider);
    expect(auth.tokenStore).toBe(tokenStore);
    expect(auth.tokenKey).toBe('me');
  });

  it('keeps tokens in the keyring, encrypted under the token secret, when asked', () => {
    const auth = createNativeAuth(
      { tokenSecret: 'native-token-secret-of-32-characters-or-more' },
      { ...OIDC, LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND: 'keyring' },
    );
    expect(auth.tokenStore).toBeInstanceOf(KeyringTokenStore);
  });

  it.each([
    [
      { ...OIDC, LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND: 'keyring' },
      /encrypts tokens with the auth token secret/,
    ],
    [
      { ...OIDC, LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND: 'redis' },
      /TOKEN_STORE_BACKEND=redis is for servers/,
    ],
    [
      { LIVEGATE_OAUTH2__PROVIDER: 'oidc', LIVEGATE_OAUTH2__CLIENT_ID: 'x' },
      /ISSUER_URL is required/,
    ],
    [{ LIVEGATE_OAUTH2__PROVIDER: 'myspace', LIVEGATE_OAUTH2__CLIENT_ID: 'x' }, /PROVIDER/],
    [{ ...OIDC, LIVEGATE_OAUTH2__AUTH_TIMEOUT_SECONDS: 'soon' }, /AUTH_TIMEOUT_SECONDS/],
    [{}, /provider/i],
  ])('refuses settings that cannot work (%j)', (environment, message) => {
    const saved = process.env.LIVEGATE_DEPLOY__TOKEN_SECRET;
    delete process.env.LIVEGATE_DEPLOY__TOKEN_SECRET;
    try {
      expect(() => createNativeAuth({}, environment)).toThrow(AuthenticationError);
      expect(() => createNativeAuth({}, environment)).toThrow(message);
    } finally {
      if (saved !== undefined) {
        process.env.LIVEGATE_DEPLOY__TOKEN_SECRET = saved;
      }
    }
  });
});
