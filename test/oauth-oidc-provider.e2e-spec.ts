import {
  AuthenticationError,
  OidcProvider,
  ProviderUnavailableError,
  TokenRefreshError,
  type AuthorizationTransaction,
} from '@livegate/oauth';
import { freePort } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const CLIENT = {
  client_id: 'livegate-test',
  client_secret: 'livegate-test-secret',
  redirect_uris: [REDIRECT],
};

describe('OidcProvider against a real OpenID provider', () => {
  let idp: OidcTestProvider;
  let provider: OidcProvider;

  beforeAll(async () => {
    idp = await OidcTestProvider.start([CLIENT]);
    provider = new OidcProvider({
      name: 'test-idp',
      issuer: idp.issuer,
      clientId: CLIENT.client_id,
      clientSecret: CLIENT.client_secret,
      scopes: ['openid', 'email', 'profile', 'offline_access'],
      allowInsecureIssuer: true,
    });
  }, 30_000);

  afterAll(async () => {
    await idp?.stop();
  });

  /** A login up to the callback: the callback URL and the transaction it belongs to. */
  async function startLogin(loginHint = 'alice') {
    const { url, transaction } = await provider.authorizationRequest(REDIRECT, {
      loginHint,
      prompt: 'consent',
    });
    return { url, transaction, callback: await idp.login(url) };
  }

  it('asks with PKCE S256, state and nonce, all fresh for every login', async () => {
    const first = await provider.authorizationRequest(REDIRECT);
    const second = await provider.authorizationRequest(REDIRECT);
    const params = first.url.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(params.get('code_challenge')).not.toBe(first.transaction.codeVerifier);
    expect(params.get('state')).toBe(first.transaction.state);
    expect(params.get('nonce')).toBe(first.transaction.nonce);
    expect(params.get('redirect_uri')).toBe(REDIRECT);
    expect(params.get('scope')?.split(' ')).toContain('openid');
    for (const field of ['state', 'nonce', 'codeVerifier'] as const) {
      expect(second.transaction[field]).not.toBe(first.transaction[field]);
    }
  });

  it('completes a login: tokens, and the user the ID token and userinfo name', async () => {
    const { transaction, callback } = await startLogin('alice');
    const { tokens, user } = await provider.completeLogin(callback, transaction);

    expect(user).toMatchObject({
      issuer: idp.issuer,
      subject: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice Example',
    });
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.accessToken).toEqual(expect.any(String));
    expect(tokens.idToken).toEqual(expect.any(String));
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 61_000);
  });

  it('reports an unverified email as unverified', async () => {
    const { transaction, callback } = await startLogin('bob');
    const { user } = await provider.completeLogin(callback, transaction);
    expect(user).toMatchObject({ subject: 'bob', email: 'bob@example.com', emailVerified: false });
  });

  it('refreshes, then refuses a revoked refresh token with TokenRefreshError', async () => {
    const { transaction, callback } = await startLogin();
    const { tokens } = await provider.completeLogin(callback, transaction);
    const refreshed = await provider.refresh(tokens.refreshToken!);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toEqual(expect.any(String));

    expect(await provider.revoke(refreshed.refreshToken!, 'refresh_token')).toBe(true);
    await expect(provider.refresh(refreshed.refreshToken!)).rejects.toBeInstanceOf(
      TokenRefreshError,
    );
  });

  it.each<[string, (transaction: AuthorizationTransaction) => AuthorizationTransaction]>([
    ['another state', (transaction) => ({ ...transaction, state: 'forged-state' })],
    ['another nonce', (transaction) => ({ ...transaction, nonce: 'forged-nonce' })],
    ['another PKCE verifier', (transaction) => ({ ...transaction, codeVerifier: 'x'.repeat(43) })],
  ])('refuses a callback checked against %s, with AuthenticationError', async (_label, change) => {
    const { transaction, callback } = await startLogin();
    const error = await provider
      .completeLogin(callback, change(transaction))
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).provider).toBe('test-idp');
    expect((error as Error).message).not.toContain(callback.searchParams.get('code')!);
  });

  it("refuses code injection: one login's code with another login's transaction", async () => {
    const victim = await startLogin();
    const attacker = await startLogin();
    const injected = new URL(attacker.callback);
    injected.searchParams.set('code', victim.callback.searchParams.get('code')!);
    await expect(provider.completeLogin(injected, attacker.transaction)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('accepts a code once', async () => {
    const { transaction, callback } = await startLogin();
    await provider.completeLogin(callback, transaction);
    await expect(provider.completeLogin(callback, transaction)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('stops on an issuer whose discovery names another issuer, and on a plain-http issuer by default', async () => {
    const impostor = new OidcProvider({
      issuer: `${idp.issuer}/`,
      clientId: CLIENT.client_id,
      allowInsecureIssuer: true,
    });
    await expect(impostor.authorizationRequest(REDIRECT)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    expect(() => new OidcProvider({ issuer: idp.issuer, clientId: 'c' })).toThrow(
      /must be an https:\/\/ URL/,
    );
  });

  it('fails a login cleanly when the provider cannot be reached', async () => {
    const closedPort = await freePort();
    const gone = new OidcProvider({
      name: 'gone',
      issuer: `http://127.0.0.1:${closedPort}`,
      clientId: 'c',
      allowInsecureIssuer: true,
      timeoutSeconds: 2,
    });
    const failure = gone.authorizationRequest(REDIRECT);
    await expect(failure).rejects.toThrow(ProviderUnavailableError);
    await expect(failure).rejects.toMatchObject({
      status: 502,
      code: 'provider_unavailable',
      provider: 'gone',
    });
    await expect(failure).rejects.toThrow(
      `The gone issuer http://127.0.0.1:${closedPort} could not be discovered: the provider could not be reached (ECONNREFUSED)`,
    );
  });
});
