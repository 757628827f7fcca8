import type { StateRedisConnection } from '@livegate/state';
import { normalizeTokens, storedUntil, type OAuthTokens } from './oauth-tokens';
import type { TokenCipher } from './token-cipher';
import { assertTokenKey, decodeEntry, encodeEntry } from './token-entry';
import { TokenStore } from './token-store';

export interface RedisTokenStoreOptions {
  /** Seconds an entry with a refresh token is kept. Default `DEFAULT_REFRESH_TOKEN_LIFETIME`. */
  refreshTokenLifetime?: number;
}

/** `pattern` with Redis glob characters escaped, so that it only ever matches itself. */
function globLiteral(pattern: string): string {
  return pattern.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/**
 * Tokens in Redis under `{prefix}:oauth:tokens:{key}`, encrypted, on the state backend's
 * connection (and so with its fail-fast behaviour: a Redis that is away is a
 * `StateBackendUnavailableError`, never "no tokens"). Redis expires each entry at the time
 * `storedUntil` gives. One round trip per call.
 */
export class RedisTokenStore extends TokenStore {
  readonly name = 'redis';
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: StateRedisConnection,
    private readonly cipher: TokenCipher,
    private readonly options: RedisTokenStoreOptions = {},
  ) {
    super();
    this.keyPrefix = `${redis.prefix}:oauth:tokens:`;
  }

  async save(key: string, tokens: OAuthTokens): Promise<void> {
    assertTokenKey(key);
    const normalized = normalizeTokens(tokens);
    const until = storedUntil(normalized, this.options.refreshTokenLifetime);
    const value = this.cipher.encrypt(key, encodeEntry({ tokens: normalized, until }));
    await this.redis.run((client) => client.set(this.keyPrefix + key, value, 'PXAT', until));
  }

  async load(key: string): Promise<OAuthTokens | null> {
    assertTokenKey(key);
    const stored = await this.redis.run((client) => client.get(this.keyPrefix + key));
    if (stored === null) {
      return null;
    }
    const entry = decodeEntry(this.cipher.decrypt(key, stored));
    return entry.until > Date.now() ? entry.tokens : null;
  }

  async delete(key: string): Promise<boolean> {
    assertTokenKey(key);
    return (await this.redis.run((client) => client.del(this.keyPrefix + key))) === 1;
  }

  async exists(key: string): Promise<boolean> {
    assertTokenKey(key);
    return (await this.redis.run((client) => client.exists(this.keyPrefix + key))) === 1;
  }

  async listKeys(): Promise<string[]> {
    const match = `${globLiteral(this.keyPrefix)}*`;
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.run((client) =>
        client.scan(cursor, 'MATCH', match, 'COUNT', 500),
      );
      cursor = next;
      batch.forEach((name) => keys.add(name.slice(this.keyPrefix.length)));
    } while (cursor !== '0');
    return [...keys];
  }
}
