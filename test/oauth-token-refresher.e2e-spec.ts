import {
  OidcProvider,
  MemoryTokenStore,
  RedisTokenStore,
  TokenCipher,
  TokenExpiredError,
  TokenRefreshError,
  TokenRefresher,
  type OAuthTokens,
} from '@livegate/oauth';
import { createMemoryBackend, createRedisBackend, type StateBackend } from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const CLIENT = {
  client_id: 'refresher',
  client_secret: 'refresher-secret',
  redirect_uris: [REDIRECT],
};
const BACKEND = { widgetTtl: 60, connectionTtl: 60, sessionTtl: 60, sweepInterval: 60 };

describe('TokenRefresher with a real OpenID provider', () => {
  let idp: OidcTestProvider;
  let provider: OidcProvider;
  let redis: RedisTestServer;
  const backends: StateBackend[] = [];

  beforeAll(async () => {
    idp = await OidcTestProvider.start([CLIENT]);
    redis = await RedisTestServer.start();
    provider = new OidcProvider({
      name: 'test-idp',
      issuer: idp.issuer,
      clientId: CLIENT.client_id,
      clientSecret: CLIENT.client_secret,
      scopes: ['openid', 'offline_access'],
      allowInsecureIssuer: true,
    });
  }, 30_000);

  afterAll(async () => {
    await Promise.all(backends.map((backend) => backend.close()));
    await idp?.stop();
    await redis?.stop();
  });

  /** Tokens of a fresh login, made to look due for a refresh. */
  async function dueTokens(): Promise<OAuthTokens> {
    const { url, transaction } = await provider.authorizationRequest(REDIRECT, {
      prompt: 'consent',
    });
    const { tokens } = await provider.completeLogin(await idp.login(url), transaction);
    return { ...tokens, expiresAt: Date.now() + 5_000 };
  }

  async function memoryRefresher(onReauthRequired?: (key: string) => void) {
    const backend = await createMemoryBackend({ ...BACKEND, workerId: 'refresher' });
    backends.push(backend);
    const tokens = new MemoryTokenStore();
    return {
      tokens,
      refresher: new TokenRefresher(tokens, backend.transient, {
        refreshBufferSeconds: 60,
        onReauthRequired,
      }),
    };
  }

  it('hands out a token that is not due as it is, and renews one within the buffer', async () => {
    const { tokens, refresher } = await memoryRefresher();
    const fresh = { ...(await dueTokens()), expiresAt: Date.now() + 3600_000 };
    await tokens.save('k', fresh);
    expect(await refresher.getAccessToken('k', provider)).toBe(fresh.accessToken);

    const due = await dueTokens();
    await tokens.save('k', due);
    const renewed = await refresher.getAccessToken('k', provider);
    expect(renewed).not.toBe(due.accessToken);
    expect((await tokens.load('k'))?.accessToken).toBe(renewed);
  });

  it('runs one refresh for many concurrent callers in a process', async () => {
    const { tokens, refresher } = await memoryRefresher();
    await tokens.save('k', await dueTokens());
    const handed = await Promise.all(
      Array.from({ length: 8 }, () => refresher.getAccessToken('k', provider)),
    );
    expect(new Set(handed).size).toBe(1);
  });

  it('runs one refresh across workers sharing Redis, each taking its result', async () => {
    const workers = await Promise.all(
      ['w1', 'w2', 'w3'].map(async (workerId) => {
        const backend = await createRedisBackend({
          ...BACKEND,
          redisUrl: redis.url,
          redisPrefix: 'refresh',
          redisPoolSize: 1,
          workerId,
        });
        backends.push(backend);
        const tokens = new RedisTokenStore(
          backend.redis!,
          new TokenCipher(['refresh-secret-of-at-least-32-chars']),
        );
        return {
          tokens,
          refresher: new TokenRefresher(tokens, backend.transient, { refreshBufferSeconds: 60 }),
        };
      }),
    );
    const due = await dueTokens();
    await workers[0].tokens.save('shared', due);
    const handed = await Promise.all(
      workers.flatMap(({ refresher }) => [
        refresher.getAccessToken('shared', provider),
        refresher.getAccessToken('shared', provider),
      ]),
    );
    expect(new Set(handed).size).toBe(1);
    expect(handed[0]).not.toBe(due.accessToken);
    // The refresh token the provider rotated to is the one kept, and it still works.
    const kept = await workers[1].tokens.load('shared');
    await expect(provider.refresh(kept!.refreshToken!)).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('deletes the tokens and asks for a new sign-in when the provider refuses the refresh token', async () => {
    const reauth: string[] = [];
    const { tokens, refresher } = await memoryRefresher((key) => reauth.push(key));
    const due = await dueTokens();
    await provider.revoke(due.refreshToken!, 'refresh_token');
    await tokens.save('k', due);
    await expect(refresher.getAccessToken('k', provider)).rejects.toBeInstanceOf(TokenRefreshError);
    expect(await tokens.load('k')).toBeNull();
    expect(reauth).toEqual(['k']);
  });

  it('answers TokenExpiredError for an expired token without a refresh token, and for no tokens', async () => {
    const { tokens, refresher } = await memoryRefresher();
    const { refreshToken: _dropped, ...withoutRefresh } = await dueTokens();
    await tokens.save('k', withoutRefresh);
    await expect(refresher.getAccessToken('k', provider)).rejects.toBeInstanceOf(TokenExpiredError);
    await expect(refresher.getAccessToken('nobody', provider)).rejects.toBeInstanceOf(
      TokenExpiredError,
    );
  });
});
