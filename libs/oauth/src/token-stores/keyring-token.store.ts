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

/**
 * An entry that is always there once the store has been used. A locked Secret Service answers a
 * read with "no entry" and a delete with "nothing deleted" instead of failing, so an empty answer
 * is believed only while this entry can be read (or, when it is missing, written).
 */
const SENTINEL_ACCOUNT = 'oauth:sentinel';
const SENTINEL_VALUE = 'livegate-oauth-token-store';

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
      const stored = this.read(accountOf(key));
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
    if (!existed) {
      this.assertUnlocked();
    }
    const index = this.readIndex();
    if (index.includes(key)) {
      this.writeIndex(index.filter((entry) => entry !== key));
    }
    return existed;
  }

  private readIndex(): string[] {
    const stored = this.read(INDEX_ACCOUNT);
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

  /** An entry's value; `null` only when the keyring is proven readable. */
  private read(account: string): string | null {
    const stored = this.keyring.get(account);
    if (stored === null) {
      this.assertUnlocked();
    }
    return stored;
  }

  /**
   * Proves that an empty answer from the keyring means "no entry": the sentinel reads back, or
   * can be written and read back. A locked keyring refuses the write (or a desktop asks its
   * user to unlock it first).
   */
  private assertUnlocked(): void {
    if (this.keyring.get(SENTINEL_ACCOUNT) === SENTINEL_VALUE) {
      return;
    }
    this.keyring.set(SENTINEL_ACCOUNT, SENTINEL_VALUE);
    if (this.keyring.get(SENTINEL_ACCOUNT) !== SENTINEL_VALUE) {
      throw new TokenError(
        `The OS keyring (service ${this.keyring.service}) did not keep an entry: it is locked ` +
          'or not persisting, so an empty answer cannot be trusted',
      );
    }
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
