import { exportJWK, generateKeyPair } from 'jose';
import { AuthenticationError, OidcProvider, type AuthorizationTransaction } from '@livegate/oauth';
import { ForgingIssuer } from './support/forging-issuer';

// Every ID token check, one forged token at a time, from an issuer the test controls.

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const CLIENT_ID = 'forging-client';
const CLIENT_SECRET = 'forging-client-secret-of-some-length';
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('ID tokens a login refuses', () => {
  let issuer: ForgingIssuer;
  let provider: OidcProvider;

  beforeAll(async () => {
    issuer = await ForgingIssuer.start();
    provider = new OidcProvider({
      name: 'forging',
      issuer: issuer.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      allowInsecureIssuer: true,
    });
  });

  afterAll(async () => {
    await issuer?.stop();
  });

  /** Claims of a good ID token for the transaction. */
  const good = (transaction: AuthorizationTransaction) => ({
    iss: issuer.issuer,
    aud: CLIENT_ID,
    sub: 'alice',
    nonce: transaction.nonce,
  });

  /** Runs a login whose token endpoint answers `answer(transaction)`. */
  async function login(
    answer: (transaction: AuthorizationTransaction) => Promise<Record<string, unknown>>,
    userinfo: Record<string, unknown> = { sub: 'alice', email: 'alice@example.com' },
  ) {
    const { transaction } = await provider.authorizationRequest(REDIRECT);
    issuer.tokenAnswer = () => answer(transaction);
    issuer.userinfo = userinfo;
    const callback = new URL(REDIRECT);
    callback.searchParams.set('code', 'forged-code');
    callback.searchParams.set('state', transaction.state);
    return provider.completeLogin(callback, transaction);
  }

  const withIdToken = (idToken: string, extra: Record<string, unknown> = {}) => ({
    access_token: 'access-token',
    token_type: 'Bearer',
    expires_in: 60,
    id_token: idToken,
    ...extra,
  });

  it('accepts a good token: the harness itself lets a correct login through', async () => {
    const { user, tokens } = await login(async (transaction) =>
      withIdToken(await issuer.idToken(good(transaction))),
    );
    expect(user).toMatchObject({ subject: 'alice', email: 'alice@example.com' });
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('gives a token response without expires_in a bounded default lifetime', async () => {
    const { tokens } = await login(async (transaction) => {
      const answer: Record<string, unknown> = withIdToken(await issuer.idToken(good(transaction)));
      delete answer.expires_in;
      return answer;
    });
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  const now = () => Math.floor(Date.now() / 1000);

  it.each<[string, RegExp, (transaction: AuthorizationTransaction) => Record<string, unknown>]>([
    ['a wrong iss', /"iss"/, (t) => ({ ...good(t), iss: 'https://evil.example' })],
    ['no iss', /"iss"/, (t) => ({ ...good(t), iss: undefined })],
    ['a wrong aud', /"aud"/, (t) => ({ ...good(t), aud: 'another-client' })],
    ['no aud', /"aud"/, (t) => ({ ...good(t), aud: undefined })],
    [
      'an untrusted extra audience',
      /untrusted audiences/,
      (t) => ({ ...good(t), aud: [CLIENT_ID, 'another-client'] }),
    ],
    [
      'an extra audience with azp naming another client',
      /"azp"|untrusted/,
      (t) => ({ ...good(t), aud: [CLIENT_ID, 'another-client'], azp: 'another-client' }),
    ],
    ['an exp in the past', /"exp"/, (t) => ({ ...good(t), iat: now() - 120, exp: now() - 60 })],
    ['no exp', /"exp"/, (t) => ({ ...good(t), exp: undefined })],
    ['an iat an hour old', /too old/, (t) => ({ ...good(t), iat: now() - 3600, exp: now() + 300 })],
    [
      'an iat a week old',
      /too old/,
      (t) => ({ ...good(t), iat: now() - 7 * 24 * 3600, exp: now() + 300 }),
    ],
    ['no iat', /"iat"/, (t) => ({ ...good(t), iat: undefined })],
    ['no sub', /"sub"/, (t) => ({ ...good(t), sub: undefined })],
    ['a wrong nonce', /"nonce"/, (t) => ({ ...good(t), nonce: 'another-nonce' })],
    ['no nonce', /"nonce"/, (t) => ({ ...good(t), nonce: undefined })],
  ])('refuses an ID token with %s', async (_label, reason, claims) => {
    const failure = login(async (transaction) =>
      withIdToken(await issuer.idToken(claims(transaction))),
    );
    await expect(failure).rejects.toBeInstanceOf(AuthenticationError);
    await expect(failure).rejects.toThrow(reason);
  });

  it('refuses an unsigned token (alg none)', async () => {
    await expect(
      login(async (transaction) =>
        withIdToken(
          `${encode({ alg: 'none' })}.${encode({ ...good(transaction), iat: now(), exp: now() + 300 })}.`,
        ),
      ),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('refuses HS256 signed with the client secret where RS256 is expected', async () => {
    await expect(
      login(async (transaction) =>
        withIdToken(
          await issuer.idToken(
            good(transaction),
            { alg: 'HS256', kid: undefined },
            new TextEncoder().encode(CLIENT_SECRET),
          ),
        ),
      ),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('refuses a bad signature: another key under the published kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await expect(
      login(async (transaction) =>
        withIdToken(await issuer.idToken(good(transaction), {}, privateKey)),
      ),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('refuses an unknown kid', async () => {
    await expect(
      login(async (transaction) =>
        withIdToken(await issuer.idToken(good(transaction), { kid: 'unknown' })),
      ),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('never takes a key from the token header (jwk, jku, x5u)', async () => {
    const attacker = await generateKeyPair('RS256');
    const attackerJwk = await exportJWK(attacker.publicKey);
    for (const header of [
      { jwk: attackerJwk, kid: undefined },
      { jwk: { ...attackerJwk, kid: 'good' } },
      { jku: `${issuer.issuer}/attacker-jwks`, kid: 'attacker' },
      { x5u: `${issuer.issuer}/attacker-cert`, kid: 'attacker' },
    ]) {
      await expect(
        login(async (transaction) =>
          withIdToken(await issuer.idToken(good(transaction), header, attacker.privateKey)),
        ),
      ).rejects.toBeInstanceOf(AuthenticationError);
    }
  });

  it('refuses a token response without an ID token', async () => {
    await expect(
      login(async () => ({ access_token: 'access-token', token_type: 'Bearer', expires_in: 60 })),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("refuses userinfo for another subject than the ID token's", async () => {
    await expect(
      login(async (transaction) => withIdToken(await issuer.idToken(good(transaction))), {
        sub: 'mallory',
        email: 'mallory@example.com',
      }),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('fails a login cleanly when the token endpoint does not answer in time', async () => {
    const slow = new OidcProvider({
      name: 'slow',
      issuer: issuer.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      allowInsecureIssuer: true,
      timeoutSeconds: 1,
    });
    const { transaction } = await slow.authorizationRequest(REDIRECT);
    issuer.tokenAnswer = () => new Promise((resolve) => setTimeout(() => resolve({}), 2500));
    const callback = new URL(REDIRECT);
    callback.searchParams.set('code', 'forged-code');
    callback.searchParams.set('state', transaction.state);
    const started = Date.now();
    await expect(slow.completeLogin(callback, transaction)).rejects.toThrow(
      'The slow login failed: the provider did not answer in time',
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a token endpoint that answers garbage', async () => {
    await expect(login(async () => ({ unexpected: true }))).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });
});
