import { AuthenticationError, CustomProvider, GitHubProvider } from '@livegate/oauth';
import { GitHubLikeServer } from './support/github-like-server';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const CLIENT_ID = 'Iv1.livegatetest';
const CLIENT_SECRET = 'github-like-client-secret';

/** Plays the browser: the authorize step redirects straight back with a code. */
async function follow(url: URL): Promise<URL> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  await response.arrayBuffer();
  return new URL(response.headers.get('location')!);
}

describe('GitHubProvider against a server with GitHub’s response shapes', () => {
  let github: GitHubLikeServer;
  let provider: GitHubProvider;

  beforeAll(async () => {
    github = await GitHubLikeServer.start(CLIENT_ID, CLIENT_SECRET);
    provider = new GitHubProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webUrl: github.url,
      apiUrl: `${github.url}/api`,
      allowInsecureEndpoints: true,
    });
  });

  afterAll(async () => {
    await github?.stop();
  });

  beforeEach(() => {
    github.user = {
      id: 583231,
      login: 'octocat',
      name: 'The Octocat',
      email: 'public@example.com',
    };
    github.emails = [
      { email: 'octocat@example.com', primary: true, verified: true },
      { email: 'other@example.com', primary: false, verified: true },
    ];
  });

  async function login() {
    const { url, transaction } = await provider.authorizationRequest(REDIRECT);
    return provider.completeLogin(await follow(url), transaction);
  }

  it('asks with PKCE S256, a state and the default scopes, and no nonce', async () => {
    const { url, transaction } = await provider.authorizationRequest(REDIRECT, {
      loginHint: 'octocat',
    });
    expect(url.origin + url.pathname).toBe(`${github.url}/login/oauth/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(transaction.state);
    expect(url.searchParams.get('scope')).toBe('read:user user:email');
    expect(url.searchParams.get('login')).toBe('octocat');
    expect(url.searchParams.has('nonce')).toBe(false);
    expect(transaction.nonce).toBeUndefined();
  });

  it('signs in by the numeric id, with the verified primary email', async () => {
    const { user, tokens } = await login();
    expect(user).toMatchObject({
      issuer: github.url,
      subject: '583231',
      email: 'octocat@example.com',
      emailVerified: true,
      name: 'The Octocat',
    });
    expect(tokens).toMatchObject({
      tokenType: 'Bearer',
      accessToken: expect.stringMatching(/^gho_/),
    });
  });

  it('never trusts an unverified primary email: the public one, marked unverified', async () => {
    github.emails = [{ email: 'octocat@example.com', primary: true, verified: false }];
    const { user } = await login();
    expect(user).toMatchObject({ email: 'public@example.com', emailVerified: false });
  });

  it('refuses a user without a numeric id (a login name is not an identity)', async () => {
    github.user = { login: 'octocat' };
    await expect(login()).rejects.toThrow(/has no numeric id/);
    github.user = { id: '583231', login: 'octocat' };
    await expect(login()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('treats an error answered with status 200 as the error it is', async () => {
    github.nextTokenError = 'bad_verification_code';
    await expect(login()).rejects.toThrow(
      'The github login failed: the provider answered bad_verification_code',
    );
  });

  it('refuses a wrong state, and a code redeemed with another login’s verifier', async () => {
    const first = await provider.authorizationRequest(REDIRECT);
    const callback = await follow(first.url);
    await expect(
      provider.completeLogin(callback, { ...first.transaction, state: 'forged' }),
    ).rejects.toBeInstanceOf(AuthenticationError);

    const victim = await provider.authorizationRequest(REDIRECT);
    const attacker = await provider.authorizationRequest(REDIRECT);
    const victimCallback = await follow(victim.url);
    const injected = new URL(victimCallback);
    injected.searchParams.set('state', attacker.transaction.state);
    await expect(provider.completeLogin(injected, attacker.transaction)).rejects.toThrow(
      /bad_verification_code/,
    );
  });

  it('revokes through the applications API with basic auth', async () => {
    const { tokens } = await login();
    expect(await provider.revoke(tokens.accessToken)).toBe(true);
    expect(github.revoked).toContain(tokens.accessToken);
    expect(await provider.revoke(tokens.accessToken)).toBe(false);
    const withoutSecret = new GitHubProvider({
      clientId: CLIENT_ID,
      webUrl: github.url,
      apiUrl: `${github.url}/api`,
      allowInsecureEndpoints: true,
    });
    expect(await withoutSecret.revoke(tokens.accessToken)).toBe(false);
  });

  it('needs https:// endpoints unless told otherwise', () => {
    expect(() => new GitHubProvider({ clientId: CLIENT_ID, webUrl: github.url })).toThrow(
      /must be an https:\/\/ URL/,
    );
    expect(() => new GitHubProvider({ clientId: '' })).toThrow(/needs a client id/);
  });
});

describe('CustomProvider', () => {
  let github: GitHubLikeServer;

  beforeAll(async () => {
    github = await GitHubLikeServer.start(CLIENT_ID, CLIENT_SECRET);
  });

  afterAll(async () => {
    await github?.stop();
  });

  const custom = (extra: Partial<ConstructorParameters<typeof CustomProvider>[0]> = {}) =>
    new CustomProvider({
      name: 'acme',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authorizeUrl: `${github.url}/login/oauth/authorize`,
      tokenUrl: `${github.url}/login/oauth/access_token`,
      userinfoUrl: `${github.url}/api/user`,
      allowInsecureEndpoints: true,
      ...extra,
    });

  it('signs in through its three URLs, reading the id field it is told', async () => {
    const provider = custom({ subjectField: 'id' });
    const { url, transaction } = await provider.authorizationRequest(REDIRECT, {
      scopes: ['profile'],
    });
    expect(url.searchParams.get('scope')).toBe('profile');
    const { user } = await provider.completeLogin(await follow(url), transaction);
    expect(user).toMatchObject({
      issuer: github.url,
      subject: '583231',
      email: 'public@example.com',
      emailVerified: false,
    });
  });

  it('stops at construction without a userinfo URL, or with an unusable one', () => {
    expect(() => custom({ userinfoUrl: '' })).toThrow(/needs a userinfo URL/);
    expect(() => custom({ userinfoUrl: 'not a url' })).toThrow(/userinfoUrl is not a URL/);
    expect(() => custom({ allowInsecureEndpoints: false })).toThrow(/must be an https:\/\/ URL/);
  });
});
