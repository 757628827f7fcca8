import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { OAuthSettings } from './oauth.config';
import type { OAuthProvider } from './providers/oauth-provider';
import type { TokenStore } from './token-stores/token-store';

/**
 * Options of `OAuthModule.forRoot`. Every setting left out is read from `LIVEGATE_OAUTH2__*`,
 * then the defaults. Without `providers`, the one provider the settings describe is used.
 */
export interface OAuthModuleOptions extends Partial<OAuthSettings> {
  /** Providers built in code (several at once: `/auth/<name>/login`). */
  providers?: OAuthProvider[];
  /** A token store of your own instead of `tokenStoreBackend`'s. */
  tokenStore?: TokenStore;
  /** Called when a provider refused a refresh token: that user has to sign in again. */
  onReauthRequired?: (key: string, provider: string) => void;
}

export interface OAuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => OAuthModuleOptions | Promise<OAuthModuleOptions>;
}

/** What the routes run on, once the options are resolved. */
export interface ResolvedOAuth {
  readonly settings: OAuthSettings;
  /** By name. */
  readonly providers: ReadonlyMap<string, OAuthProvider>;
  /** The callback URL registered with a provider. */
  redirectUriOf(provider: OAuthProvider): string;
  /** The origin state-changing routes accept requests from: the redirect URI's. */
  readonly origin: string;
}
