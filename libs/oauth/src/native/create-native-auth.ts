import type { RawEnvironment } from '@livegate/state';
import { resolveOAuthSettings, type OAuthSettings } from '../oauth.config';
import { createProviderFromSettings } from '../providers/create-provider';
import { createTokenStore, type TokenSecretSetting } from '../token-stores/create-token-store';
import { NativeAuth, type NativeAuthOptions } from './native-auth';

/** Options of `createNativeAuth` and `NativeAuthModule.forRoot`: every setting left out comes from `LIVEGATE_OAUTH2__*`. */
export interface NativeAuthSettings
  extends
    Partial<OAuthSettings>,
    Partial<Omit<NativeAuthOptions, 'provider' | 'timeoutSeconds' | 'refreshBufferSeconds'>> {
  /** A provider built in code, instead of the one `provider` (`LIVEGATE_OAUTH2__PROVIDER`) names. */
  oauthProvider?: NativeAuthOptions['provider'];
  /**
   * The secret the keyring token store encrypts tokens under. Default
   * `LIVEGATE_DEPLOY__TOKEN_SECRET`, the variable the auth module reads.
   */
  tokenSecret?: TokenSecretSetting;
}

/**
 * A `NativeAuth` configured like the reference's `app.login()`: the provider of
 * `LIVEGATE_OAUTH2__PROVIDER` (or `oauthProvider`), the token store of `TOKEN_STORE_BACKEND` (`memory`
 * or `keyring`; `redis` is for servers), `AUTH_TIMEOUT_SECONDS` and `REFRESH_BUFFER_SECONDS`.
 * A setting that cannot work is an `AuthenticationError`.
 */
export function createNativeAuth(
  options: NativeAuthSettings = {},
  environment?: RawEnvironment,
): NativeAuth {
  const {
    oauthProvider,
    tokenStore,
    tokenKey,
    onReauthRequired,
    openBrowser,
    port,
    callbackPath,
    tokenSecret,
    ...explicit
  } = options;
  const settings = resolveOAuthSettings(explicit, environment);
  return new NativeAuth({
    provider: oauthProvider ?? createProviderFromSettings(settings),
    tokenStore:
      tokenStore ??
      createTokenStore(
        settings,
        tokenSecret ?? process.env.LIVEGATE_DEPLOY__TOKEN_SECRET,
        undefined,
      ),
    tokenKey,
    onReauthRequired,
    openBrowser,
    port,
    callbackPath,
    timeoutSeconds: settings.authTimeoutSeconds,
    refreshBufferSeconds: settings.refreshBufferSeconds,
  });
}
