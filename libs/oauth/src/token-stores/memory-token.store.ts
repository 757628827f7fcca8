import { normalizeTokens, storedUntil, type OAuthTokens } from './oauth-tokens';
import { assertTokenKey, type TokenEntry } from './token-entry';
import { TokenStore } from './token-store';

export interface MemoryTokenStoreOptions {
  /** Seconds an entry with a refresh token is kept. Default `DEFAULT_REFRESH_TOKEN_LIFETIME`. */
  refreshTokenLifetime?: number;
}

/** Tokens in process memory: lost when the process exits. For development and single processes. */
export class MemoryTokenStore extends TokenStore {
  readonly name = 'memory';
  private readonly entries = new Map<string, TokenEntry>();

  constructor(private readonly options: MemoryTokenStoreOptions = {}) {
    super();
  }

  async save(key: string, tokens: OAuthTokens): Promise<void> {
    assertTokenKey(key);
    const normalized = normalizeTokens(tokens);
    this.entries.set(key, {
      tokens: normalized,
      until: storedUntil(normalized, this.options.refreshTokenLifetime),
    });
  }

  async load(key: string): Promise<OAuthTokens | null> {
    assertTokenKey(key);
    return this.live(key)?.tokens ?? null;
  }

  async delete(key: string): Promise<boolean> {
    assertTokenKey(key);
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  async exists(key: string): Promise<boolean> {
    assertTokenKey(key);
    return this.live(key) !== undefined;
  }

  async listKeys(): Promise<string[]> {
    return [...this.entries.keys()].filter((key) => this.live(key) !== undefined);
  }

  private live(key: string): TokenEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.until <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
