import { MemoryTransientStore } from '@livegate/state';
import { TokenRefresher } from '../flow/token-refresher';
import { TokenRefreshError, TokenExpiredError } from '../oauth.errors';
import type {
  AuthorizationOptions,
  OAuthProvider,
  ProviderUserInfo,
} from '../providers/oauth-provider';
import { MemoryTokenStore } from '../token-stores/memory-token.store';
import type { OAuthTokens } from '../token-stores/oauth-tokens';
import type { TokenStore } from '../token-stores/token-store';
import {
  nativeLogin,
  type AuthFlowResult,
  type NativeLoginFlow,
  type NativeLoginOptions,
} from './native-login';

/** Seconds before expiry the access token is renewed by default (`REFRESH_BUFFER_SECONDS`). */
export const DEFAULT_REFRESH_BUFFER_SECONDS = 60;
/** Seconds between two tries when a background refresh failed for a reason other than `invalid_grant`. */
export const REFRESH_RETRY_SECONDS = 30;
/** The shortest wait before a background refresh, in ms. */
const MIN_REFRESH_DELAY_MS = 1000;
/** The longest delay a Node timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NativeAuthOptions extends Omit<NativeLoginOptions, keyof AuthorizationOptions> {
  /** Where tokens are kept. Default memory; `KeyringTokenStore` keeps the user signed in across restarts. */
  tokenStore?: TokenStore;
  /** The key of this app's tokens in the store. Default `native:<provider name>`. */
  tokenKey?: string;
  /** Seconds before expiry the background refresh runs. Default `DEFAULT_REFRESH_BUFFER_SECONDS`. */
  refreshBufferSeconds?: number;
  /** Called when the provider refused the refresh token (`invalid_grant`): sign in again. */
  onReauthRequired?: () => void;
}

/**
 * A desktop or CLI app's sign-in (the reference's `app.login()` with its `SessionManager`): `login()`
 * runs a native login and keeps its tokens in the token store, a background timer renews the
 * access token `refreshBufferSeconds` before it expires, and `restore()` picks up the tokens a
 * previous run kept. A refresh the provider refuses (`invalid_grant`) deletes the tokens and calls
 * `onReauthRequired`. `logout()` revokes at the provider where it can and clears the store. Its
 * timers never keep the process alive on their own; `close()` stops them.
 */
export class NativeAuth {
  readonly tokenKey: string;
  /** Where the tokens are kept. */
  readonly tokenStore: TokenStore;
  private readonly refresher: TokenRefresher;
  private timer: NodeJS.Timeout | undefined;
  /** The access token the timer renews. */
  private scheduledFor: string | undefined;
  private flow: NativeLoginFlow | undefined;
  private authenticated = false;
  private signedIn: ProviderUserInfo | undefined;
  private closed = false;

  constructor(private readonly options: NativeAuthOptions) {
    this.tokenKey = options.tokenKey ?? `native:${options.provider.name}`;
    this.tokenStore = options.tokenStore ?? new MemoryTokenStore();
    this.refresher = new TokenRefresher(this.tokenStore, new MemoryTransientStore(), {
      refreshBufferSeconds: options.refreshBufferSeconds ?? DEFAULT_REFRESH_BUFFER_SECONDS,
      onReauthRequired: () => {
        this.signedOut();
        options.onReauthRequired?.();
      },
    });
  }

  get provider(): OAuthProvider {
    return this.options.provider;
  }

  /** Whether tokens are held (after `login()`, or `restore()` found some). */
  get isAuthenticated(): boolean {
    return this.authenticated;
  }

  /** Who signed in with `login()` in this process; `undefined` after a `restore()`. */
  get user(): ProviderUserInfo | undefined {
    return this.signedIn;
  }

  /** The login in progress, if any. */
  get currentFlow(): NativeLoginFlow | undefined {
    return this.flow;
  }

  /** Takes up the tokens a previous run kept; `true` when there are some. */
  async restore(): Promise<boolean> {
    const tokens = await this.tokenStore.load(this.tokenKey);
    if (!tokens) {
      this.signedOut();
      return false;
    }
    this.authenticated = true;
    this.schedule(tokens);
    return true;
  }

  /**
   * Signs in: a native login (one at a time: a second call while one runs gets the same result),
   * its tokens saved under `tokenKey`, and the background refresh scheduled.
   */
  login(options: AuthorizationOptions = {}): Promise<AuthFlowResult> {
    if (this.flow) {
      return this.flow.result;
    }
    const flow = nativeLogin({ ...this.options, ...options });
    this.flow = flow;
    const done = flow.result.then(async (result) => {
      await this.tokenStore.save(this.tokenKey, result.tokens);
      this.authenticated = true;
      this.signedIn = result.user;
      this.schedule(result.tokens);
      return result;
    });
    void done
      .finally(() => {
        if (this.flow === flow) {
          this.flow = undefined;
        }
      })
      .catch(() => undefined);
    return done;
  }

  /** Cancels the login in progress: it fails with `AuthFlowCancelled`. */
  cancel(): void {
    this.flow?.cancel();
  }

  /** A valid access token, renewed first when it is within `refreshBufferSeconds` of expiry. */
  async getAccessToken(): Promise<string> {
    try {
      const token = await this.refresher.getAccessToken(this.tokenKey, this.provider);
      // Renewed here (the timer was late or stopped): schedule the next renewal. The common case,
      // the token the timer already waits on, reads the store (the keyring: D-Bus) only once.
      if (this.timer === undefined || token !== this.scheduledFor) {
        const tokens = await this.tokenStore.load(this.tokenKey);
        if (tokens) {
          this.schedule(tokens);
        }
      }
      return token;
    } catch (error) {
      if (error instanceof TokenExpiredError || error instanceof TokenRefreshError) {
        this.signedOut();
      }
      throw error;
    }
  }

  /**
   * Signs out: revokes the refresh token, then the access token, where the provider supports it
   * (a provider that fails to answer does not stop it), and deletes the tokens from the store.
   */
  async logout(): Promise<void> {
    this.cancel();
    this.clearTimer();
    const tokens = await this.tokenStore.load(this.tokenKey).catch(() => null);
    if (tokens?.refreshToken) {
      await this.provider.revoke(tokens.refreshToken, 'refresh_token').catch(() => false);
    }
    if (tokens) {
      await this.provider.revoke(tokens.accessToken, 'access_token').catch(() => false);
    }
    await this.tokenStore.delete(this.tokenKey);
    this.signedOut();
  }

  /** Stops the background refresh and any login in progress; the tokens stay in the store. */
  close(): void {
    this.closed = true;
    this.cancel();
    this.clearTimer();
  }

  private signedOut(): void {
    this.clearTimer();
    this.authenticated = false;
    this.signedIn = undefined;
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Renews `refreshBufferSeconds` before expiry; nothing to schedule without a refresh token. */
  private schedule(tokens: OAuthTokens, delayMs?: number): void {
    this.clearTimer();
    if (this.closed || !tokens.refreshToken || tokens.expiresAt === undefined) {
      return;
    }
    const buffer = (this.options.refreshBufferSeconds ?? DEFAULT_REFRESH_BUFFER_SECONDS) * 1000;
    const remaining = tokens.expiresAt - Date.now();
    // A token that lives less than the buffer is renewed halfway through its life, not at once
    // (which would renew it again and again).
    const due = delayMs ?? (remaining > buffer ? remaining - buffer : remaining / 2);
    this.timer = setTimeout(
      () => void this.backgroundRefresh(),
      Math.min(Math.max(due, MIN_REFRESH_DELAY_MS), MAX_TIMER_MS),
    );
    this.timer.unref();
    this.scheduledFor = tokens.accessToken;
  }

  private async backgroundRefresh(): Promise<void> {
    this.timer = undefined;
    try {
      this.schedule(await this.refresher.refresh(this.tokenKey, this.provider));
    } catch (error) {
      if (error instanceof TokenExpiredError || error instanceof TokenRefreshError) {
        // invalid_grant (TokenRefreshError): the refresher deleted the tokens and called back.
        this.signedOut();
        return;
      }
      // The provider is away or answered oddly: keep the tokens and try again a little later.
      const tokens = await this.tokenStore.load(this.tokenKey).catch(() => null);
      if (tokens) {
        this.schedule(tokens, REFRESH_RETRY_SECONDS * 1000);
      }
    }
  }
}
