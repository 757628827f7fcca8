import { createHash } from 'node:crypto';
import type { TransientStore } from '@livegate/state';
import { TokenExpiredError, TokenRefreshError } from '../oauth.errors';
import type { OAuthProvider } from '../providers/oauth-provider';
import type { OAuthTokens } from '../token-stores/oauth-tokens';
import type { TokenStore } from '../token-stores/token-store';

/** Seconds a refresh may hold its lock: longer than any provider call is allowed to take. */
export const REFRESH_LOCK_SECONDS = 30;
/** How long a caller waits for another worker's refresh before giving up, in ms. */
export const REFRESH_WAIT_MS = 15_000;

export interface TokenRefresherOptions {
  /** Seconds before expiry an access token is renewed (`REFRESH_BUFFER_SECONDS`). */
  refreshBufferSeconds: number;
  /** Called when the provider refused the refresh token: the user has to sign in again. */
  onReauthRequired?: (key: string, provider: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * Keeps access tokens fresh (the reference's SessionManager): `getAccessToken` renews a token
 * `refreshBufferSeconds` before it expires. One refresh of a key runs at a time, in this process
 * (one promise) and across workers (a lock in the transient store): the others wait for its
 * result instead of spending the refresh token again. A rotated refresh token replaces the old
 * one; `invalid_grant` deletes the tokens, calls `onReauthRequired` and fails with
 * `TokenRefreshError` (`reauth_required`).
 */
export class TokenRefresher {
  private readonly inFlight = new Map<string, Promise<OAuthTokens>>();

  constructor(
    private readonly tokens: TokenStore,
    private readonly transient: TransientStore,
    private readonly options: TokenRefresherOptions,
  ) {}

  /** A valid access token for `key`, renewed first when it is close to expiry. */
  async getAccessToken(key: string, provider: OAuthProvider): Promise<string> {
    const stored = await this.tokens.load(key);
    if (!stored) {
      throw new TokenExpiredError('There are no tokens for this login: sign in', {
        provider: provider.name,
      });
    }
    if (!this.needsRefresh(stored)) {
      return stored.accessToken;
    }
    return (await this.refresh(key, provider)).accessToken;
  }

  /** Renews the tokens of `key` now (one refresh at a time across workers) and returns them. */
  refresh(key: string, provider: OAuthProvider): Promise<OAuthTokens> {
    const running = this.inFlight.get(key);
    if (running) {
      return running;
    }
    const refresh = this.refreshOnce(key, provider).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, refresh);
    return refresh;
  }

  private needsRefresh(tokens: OAuthTokens, now = Date.now()): boolean {
    return (
      tokens.expiresAt !== undefined &&
      tokens.expiresAt - this.options.refreshBufferSeconds * 1000 <= now
    );
  }

  private async refreshOnce(key: string, provider: OAuthProvider): Promise<OAuthTokens> {
    const lock = `oauth:refresh:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
    const before = await this.tokens.load(key);
    const deadline = Date.now() + REFRESH_WAIT_MS;
    while (!(await this.transient.add(lock, '1', REFRESH_LOCK_SECONDS))) {
      // Another worker is refreshing: take its result once it has written it.
      await sleep(50);
      const current = await this.tokens.load(key);
      if (current && current.accessToken !== before?.accessToken) {
        return current;
      }
      if (Date.now() > deadline) {
        throw new TokenRefreshError('Another refresh of this login did not finish in time', {
          provider: provider.name,
        });
      }
    }
    try {
      const current = await this.tokens.load(key);
      if (current && before && current.accessToken !== before.accessToken) {
        // Refreshed by another worker between our read and our lock.
        return current;
      }
      if (!current?.refreshToken) {
        throw new TokenExpiredError(
          'The access token expired and there is no refresh token: sign in again',
          {
            provider: provider.name,
          },
        );
      }
      let renewed: OAuthTokens;
      try {
        renewed = await provider.refresh(current.refreshToken);
      } catch (error) {
        if (error instanceof TokenRefreshError) {
          await this.tokens.delete(key);
          this.options.onReauthRequired?.(key, provider.name);
        }
        throw error;
      }
      await this.tokens.save(key, renewed);
      return renewed;
    } finally {
      await this.transient.delete(lock).catch(() => undefined);
    }
  }
}
