import { createOsKeyring, type StateRedisConnection } from '@livegate/state';
import { AuthenticationError } from '../oauth.errors';
import type { OAuthSettings } from '../oauth.config';
import { KeyringTokenStore } from './keyring-token.store';
import { MemoryTokenStore } from './memory-token.store';
import { RedisTokenStore } from './redis-token.store';
import { TokenCipher } from './token-cipher';
import type { TokenStore } from './token-store';

/** The keyring service the keyring token store keeps its entries under. */
export const TOKEN_KEYRING_SERVICE = 'livegate-oauth';

/** The auth module's token secret, as `AuthModule` resolved it. */
export type TokenSecretSetting =
  string | { readonly current: string; readonly previous?: readonly string[] } | undefined;

function secretsOf(secret: TokenSecretSetting): string[] {
  if (secret === undefined) {
    return [];
  }
  return typeof secret === 'string' ? [secret] : [secret.current, ...(secret.previous ?? [])];
}

/**
 * The token store `tokenStoreBackend` names: `memory`, `redis` (the state backend's Redis
 * connection; the state backend must be Redis) or `keyring`; the last two encrypt tokens under a
 * key derived from the auth token secret, which they therefore need.
 */
export function createTokenStore(
  settings: Pick<OAuthSettings, 'tokenStoreBackend'>,
  tokenSecret: TokenSecretSetting,
  redis: StateRedisConnection | undefined,
): TokenStore {
  const backend = settings.tokenStoreBackend;
  if (backend === 'memory') {
    return new MemoryTokenStore();
  }
  const secrets = secretsOf(tokenSecret);
  if (secrets.length === 0) {
    throw new AuthenticationError(
      `The ${backend} token store encrypts tokens with the auth token secret: set LIVEGATE_DEPLOY__TOKEN_SECRET`,
    );
  }
  const cipher = new TokenCipher(secrets);
  if (backend === 'redis') {
    if (!redis) {
      throw new AuthenticationError(
        'LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND=redis needs the Redis state backend (LIVEGATE_DEPLOY__STATE_BACKEND=redis)',
      );
    }
    return new RedisTokenStore(redis, cipher);
  }
  return new KeyringTokenStore(createOsKeyring(TOKEN_KEYRING_SERVICE), cipher);
}
