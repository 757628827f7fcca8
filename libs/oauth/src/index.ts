// The public API of @livegate/oauth: named exports only. Test helpers are `@livegate/oauth/testing`.

// Module and options
export { OAuthModule } from './oauth.module';
export type { OAuthModuleAsyncOptions, OAuthModuleOptions, ResolvedOAuth } from './oauth.options';
export { OAUTH_RESOLVED } from './oauth.constants';

// Configuration
export {
  MAX_STATE_MAX_AGE_SECONDS,
  OAUTH_ENV_PREFIX,
  OAUTH_ENV_VARIABLES,
  PROVIDER_TYPES,
  TOKEN_STORE_BACKENDS,
  resolveOAuthSettings,
  type OAuthSettings,
  type ProviderType,
  type TokenStoreBackend,
} from './oauth.config';

// Errors
export {
  AuthFlowCancelled,
  AuthFlowTimeout,
  AuthenticationError,
  OAuthError,
  ProviderUnavailableError,
  TokenError,
  TokenExpiredError,
  TokenRefreshError,
  type OAuthErrorContext,
} from './oauth.errors';

// Mapping logins to the app's own users
export { OAuthLoginUsers, type OAuthLoginUser } from './routes/oauth-login-users';

// PKCE
export { PKCE_VERIFIER_MAX_LENGTH, PKCE_VERIFIER_MIN_LENGTH, PkceChallenge } from './flow/pkce';

// Native login (desktop and CLI apps)
export {
  DEFAULT_AUTH_TIMEOUT_SECONDS,
  NativeLoginFlow,
  nativeLogin,
  type AuthFlowResult,
  type NativeLoginOptions,
} from './native/native-login';
export {
  DEFAULT_REFRESH_BUFFER_SECONDS,
  NativeAuth,
  REFRESH_RETRY_SECONDS,
  type NativeAuthOptions,
} from './native/native-auth';
export { createNativeAuth, type NativeAuthSettings } from './native/create-native-auth';
export { NativeAuthModule } from './native/native-auth.module';
export { LOOPBACK_ADDRESS } from './native/loopback-server';
export {
  openSystemBrowser,
  systemOpenerCommand,
  type BrowserOpener,
} from './native/system-browser';

// Token stores
export { TokenStore } from './token-stores/token-store';
export {
  DEFAULT_ACCESS_TOKEN_LIFETIME,
  DEFAULT_REFRESH_TOKEN_LIFETIME,
  TOKEN_STORE_GRACE_SECONDS,
  storedUntil,
  type OAuthTokens,
} from './token-stores/oauth-tokens';
export { TokenCipher } from './token-stores/token-cipher';
export { MemoryTokenStore, type MemoryTokenStoreOptions } from './token-stores/memory-token.store';
export { RedisTokenStore, type RedisTokenStoreOptions } from './token-stores/redis-token.store';
export {
  KeyringTokenStore,
  type KeyringTokenStoreOptions,
} from './token-stores/keyring-token.store';

// Providers
export {
  OAuthProvider,
  type AuthorizationOptions,
  type AuthorizationRequest,
  type AuthorizationTransaction,
  type LoginResult,
  type ProviderKind,
  type ProviderUserInfo,
} from './providers/oauth-provider';
export {
  CLOCK_TOLERANCE_SECONDS,
  MAX_ID_TOKEN_AGE_SECONDS,
  OidcProvider,
  PROVIDER_TIMEOUT_SECONDS,
  type OidcProviderOptions,
} from './providers/oidc.provider';
export {
  OAuth2Provider,
  type OAuth2Endpoints,
  type OAuth2ProviderOptions,
} from './providers/oauth2.provider';
export { GitHubProvider, type GitHubProviderOptions } from './providers/github.provider';
export { CustomProvider, type CustomProviderOptions } from './providers/custom.provider';
export {
  GOOGLE_ISSUER,
  GoogleProvider,
  type GoogleProviderOptions,
} from './providers/google.provider';
export {
  MICROSOFT_AUTHORITY,
  MICROSOFT_CONSUMER_TENANT,
  MicrosoftProvider,
  entraTenantProblem,
  type MicrosoftProviderOptions,
} from './providers/microsoft.provider';
export { createProviderFromSettings } from './providers/create-provider';

// The login flow
export {
  REFRESH_LOCK_SECONDS,
  REFRESH_WAIT_MS,
  TokenRefresher,
  type TokenRefresherOptions,
} from './flow/token-refresher';
export { safeReturnPath, MAX_RETURN_PATH_LENGTH } from './flow/return-path';
export { TOKEN_KEYRING_SERVICE, createTokenStore } from './token-stores/create-token-store';
