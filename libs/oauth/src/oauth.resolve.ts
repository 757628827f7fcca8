import { resolveOAuthSettings, type OAuthSettings } from './oauth.config';
import { AuthenticationError } from './oauth.errors';
import type { OAuthModuleOptions, ResolvedOAuth } from './oauth.options';
import { createProviderFromSettings } from './providers/create-provider';
import type { OAuthProvider } from './providers/oauth-provider';

const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * The providers and redirect URIs the routes use. One provider takes `redirectUri` as it is;
 * several need a `{provider}` in it (`https://app.example/auth/{provider}/callback`). Names are
 * lower-case words, unique. Every problem stops the boot with an `AuthenticationError`.
 */
export function resolveOAuth(
  options: OAuthModuleOptions,
  environment: Parameters<typeof resolveOAuthSettings>[1],
): ResolvedOAuth {
  const {
    providers: given,
    tokenStore: _tokenStore,
    onReauthRequired: _reauth,
    ...explicit
  } = options;
  const settings: OAuthSettings = resolveOAuthSettings(explicit, environment);
  const providers: OAuthProvider[] =
    given ?? (settings.provider ? [createProviderFromSettings(settings)] : []);
  if (providers.length === 0) {
    throw new AuthenticationError(
      'No OAuth provider is configured: set LIVEGATE_OAUTH2__PROVIDER (and its client id) or pass providers',
    );
  }
  const byName = new Map<string, OAuthProvider>();
  for (const provider of providers) {
    if (!PROVIDER_NAME.test(provider.name)) {
      throw new AuthenticationError(
        `The OAuth provider name ${JSON.stringify(provider.name)} must be 1 to 32 lower-case letters, digits or -`,
      );
    }
    if (byName.has(provider.name)) {
      throw new AuthenticationError(`Two OAuth providers are named ${provider.name}`);
    }
    byName.set(provider.name, provider);
  }
  const template = settings.redirectUri;
  if (!template) {
    throw new AuthenticationError(
      'LIVEGATE_OAUTH2__REDIRECT_URI is required: the callback URL registered with the provider (https://your-domain/auth/callback)',
    );
  }
  if (byName.size > 1 && !template.includes('{provider}')) {
    throw new AuthenticationError(
      'With several OAuth providers, LIVEGATE_OAUTH2__REDIRECT_URI needs {provider} (https://your-domain/auth/{provider}/callback)',
    );
  }
  const redirectUriOf = (provider: OAuthProvider) => template.replace('{provider}', provider.name);
  let origin: string;
  try {
    origin = new URL(redirectUriOf(providers[0])).origin;
  } catch {
    throw new AuthenticationError('LIVEGATE_OAUTH2__REDIRECT_URI is not a URL');
  }
  if (!origin.startsWith('https://') && !settings.allowInsecureIssuer && !isLoopback(origin)) {
    throw new AuthenticationError(
      'LIVEGATE_OAUTH2__REDIRECT_URI must be an https:// URL (http:// only on loopback, or in development)',
    );
  }
  return { settings, providers: byName, redirectUriOf, origin };
}

function isLoopback(origin: string): boolean {
  const { hostname } = new URL(origin);
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}
