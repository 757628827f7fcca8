import type { OAuthTokens } from './oauth-tokens';

/**
 * Where the tokens of a login are kept, under a key (the session or user the login belongs to).
 * The injection token of the configured store. Every implementation is async, keeps an entry
 * only as long as `storedUntil` says, refuses malformed keys and tokens with a `TokenError`,
 * and fails closed: a store it cannot reach, or an entry it cannot read, is an error, never
 * "no tokens".
 */
export abstract class TokenStore {
  /** `memory`, `keyring`, `redis`, or a custom store's own name. */
  abstract readonly name: string;
  /** Saves (or replaces) the tokens under `key`. */
  abstract save(key: string, tokens: OAuthTokens): Promise<void>;
  /** The tokens under `key`, or `null` when there are none (or they are past their keep time). */
  abstract load(key: string): Promise<OAuthTokens | null>;
  /** Removes the tokens under `key`; `false` when there were none. */
  abstract delete(key: string): Promise<boolean>;
  abstract exists(key: string): Promise<boolean>;
  /** Every key with tokens, in no particular order. */
  abstract listKeys(): Promise<string[]>;
}
