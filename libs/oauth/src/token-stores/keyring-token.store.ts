import type { OsKeyring } from '@livegate/state';
import { TokenError } from '../oauth.errors';
import { normalizeTokens, storedUntil, type OAuthTokens } from './oauth-tokens';
import type { TokenCipher } from './token-cipher';
import { assertTokenKey, decodeEntry, encodeEntry } from './token-entry';
import { TokenStore } from './token-store';

export interface KeyringTokenStoreOptions {
  /** Seconds an entry with a refresh token is kept. Default `DEFAULT_REFRESH_TOKEN_LIFETIME`. */
  refreshTokenLifetime?: number;
}

/** The keyring account of the list of keys (a keyring cannot enumerate its entries). */
const INDEX_ACCOUNT = 'oauth:index';

const accountOf = (key: string) => `oauth:tokens:${key}`;

/**
 * Tokens in the OS keyring (macOS Keychain, Windows Credential Manager, the Secret Service on a
 * Linux desktop), encrypted, so that a desktop app keeps its user signed in across restarts. It
 * fails closed: a keyring that does not persist, is locked or cannot be reached is a
 * `TokenError`, never read as "logged out".
 */
export class KeyringTokenStore extends TokenStore {
  readonly name = 'keyring';

  constructor(
    private readonly keyring: OsKeyring,
    private readonly cipher: TokenCipher,
    private readonly options: KeyringTokenStoreOptions = {},
  ) {
    super();
  }

  async save(key: string, tokens: OAuthTokens): Promise<void> {
    assertTokenKey(key);
    const normalized = normalizeTokens(tokens);
    const until = storedUntil(normalized, this.options.refreshTokenLifetime);
    this.use(() => {
      this.keyring.set(
        accountOf(key),
        this.cipher.encrypt(key, encodeEntry({ tokens: normalized, until })),
      );
      this.writeIndex([...new Set([...this.readIndex(), key])]);
    });
  }

  async load(key: string): Promise<OAuthTokens | null> {
    assertTokenKey(key);
    return this.use(() => {
      const stored = this.keyring.get(accountOf(key));
      if (stored === null) {
        return null;
      }
      const entry = decodeEntry(this.cipher.decrypt(key, stored));
      if (entry.until <= Date.now()) {
        this.remove(key);
        return null;
      }
      return entry.tokens;
    });
  }

  async delete(key: string): Promise<boolean> {
    assertTokenKey(key);
    return this.use(() => this.remove(key));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.load(key)) !== null;
  }

  async listKeys(): Promise<string[]> {
    const keys = this.use(() => this.readIndex());
    const live: string[] = [];
    for (const key of keys) {
      if (await this.exists(key)) {
        live.push(key);
      }
    }
    return live;
  }

  private remove(key: string): boolean {
    const existed = this.keyring.delete(accountOf(key));
    const index = this.readIndex();
    if (index.includes(key)) {
      this.writeIndex(index.filter((entry) => entry !== key));
    }
    return existed;
  }

  private readIndex(): string[] {
    const stored = this.keyring.get(INDEX_ACCOUNT);
    if (stored === null) {
      return [];
    }
    const keys = JSON.parse(this.cipher.decrypt(INDEX_ACCOUNT, stored)) as unknown;
    if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string')) {
      throw new TokenError('The keyring token index has the wrong shape');
    }
    return keys as string[];
  }

  private writeIndex(keys: string[]): void {
    if (keys.length === 0) {
      this.keyring.delete(INDEX_ACCOUNT);
      return;
    }
    this.keyring.set(INDEX_ACCOUNT, this.cipher.encrypt(INDEX_ACCOUNT, JSON.stringify(keys)));
  }

  /** Runs a keyring call, turning "no usable keyring" and driver failures into `TokenError`. */
  private use<T>(action: () => T): T {
    if (!this.keyring.persists()) {
      throw new TokenError(
        `The OS keyring (service ${this.keyring.service}) is not available or does not keep ` +
          'entries across restarts (no Secret Service, or it is locked): tokens cannot be kept there',
      );
    }
    try {
      return action();
    } catch (error) {
      if (error instanceof TokenError) {
        throw error;
      }
      throw new TokenError(
        `The OS keyring (service ${this.keyring.service}) failed: ${(error as Error)?.message ?? error}`,
        {
          cause: error,
        },
      );
    }
  }
}
