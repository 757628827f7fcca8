import type { RawEnvironment } from '@livegate/state';
import { AuthenticationError } from '../oauth.errors';
import { OAUTH_CONFIG, resolveOAuthSettings, type OAuthSettings } from '../oauth.config';
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
  env: NodeJS.ProcessEnv = process.env,
): NativeAuth {
  return nativeAuthFrom(options, OAUTH_CONFIG.read(env), env.LIVEGATE_DEPLOY__TOKEN_SECRET);
}

/** `createNativeAuth` on the raw `LIVEGATE_OAUTH2__` values (as `NativeAuthModule` reads them). */
export function nativeAuthFrom(
  options: NativeAuthSettings,
  environment: RawEnvironment,
  deployTokenSecret: string | undefined,
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
  if (!tokenStore && settings.tokenStoreBackend === 'redis') {
    throw new AuthenticationError(
      'A native login keeps its tokens in memory or the OS keyring: LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND=redis is for servers',
    );
  }
  return new NativeAuth({
    provider: oauthProvider ?? createProviderFromSettings(settings),
    tokenStore:
      tokenStore ?? createTokenStore(settings, tokenSecret ?? deployTokenSecret, undefined),
    tokenKey,
    onReauthRequired,
    openBrowser,
    port,
    callbackPath,
    timeoutSeconds: settings.authTimeoutSeconds,
    refreshBufferSeconds: settings.refreshBufferSeconds,
  });
}
