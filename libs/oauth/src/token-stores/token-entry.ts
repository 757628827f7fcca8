import { assertId } from '@livegate/state';
import { TokenError } from '../oauth.errors';
import { normalizeTokens, type OAuthTokens } from './oauth-tokens';

/** What a store writes for one key: the tokens and until when they are kept (epoch ms). */
export interface TokenEntry {
  tokens: OAuthTokens;
  until: number;
}

/** Checks a token store key: the same rules as every other Livegate id. */
export function assertTokenKey(key: unknown): asserts key is string {
  try {
    assertId('key', key);
  } catch (error) {
    throw new TokenError(`Invalid token store key: ${(error as Error).message}`);
  }
}

export function encodeEntry(entry: TokenEntry): string {
  return JSON.stringify({ tokens: entry.tokens, until: entry.until });
}

/** An entry as written by `encodeEntry`; anything else is a `TokenError`, never `null`. */
export function decodeEntry(text: string): TokenEntry {
  let parsed: { tokens?: unknown; until?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new TokenError('A stored token entry is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.until !== 'number') {
    throw new TokenError('A stored token entry has the wrong shape');
  }
  return { tokens: normalizeTokens(parsed.tokens as OAuthTokens), until: parsed.until };
}
