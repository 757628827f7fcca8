import type { OAuthSettings } from '../oauth.config';
import { AuthenticationError } from '../oauth.errors';
import { CustomProvider } from './custom.provider';
import { GitHubProvider } from './github.provider';
import { GoogleProvider } from './google.provider';
import { MicrosoftProvider } from './microsoft.provider';
import type { OAuthProvider } from './oauth-provider';
import { OidcProvider } from './oidc.provider';

/**
 * The provider the settings (`LIVEGATE_OAUTH2__*`) describe: `GoogleProvider`, `GitHubProvider`,
 * `MicrosoftProvider`, `OidcProvider` or `CustomProvider`. An unknown type, or a type without
 * the URLs it needs, is an `AuthenticationError` that stops the boot.
 */
export function createProviderFromSettings(settings: OAuthSettings): OAuthProvider {
  const { provider, clientId, clientSecret, scopes, allowInsecureIssuer } = settings;
  const client = { clientId: clientId ?? '', clientSecret, ...(scopes ? { scopes } : {}) };
  const missing = (variable: string) =>
    new AuthenticationError(`The ${provider} provider needs LIVEGATE_OAUTH2__${variable}`, {
      provider,
    });
  switch (provider) {
    case 'google':
      return new GoogleProvider(client);
    case 'github':
      return new GitHubProvider(client);
    case 'microsoft':
      return new MicrosoftProvider({ ...client, tenantId: settings.tenantId });
    case 'oidc':
      if (!settings.issuerUrl) {
        throw missing('ISSUER_URL');
      }
      return new OidcProvider({ ...client, issuer: settings.issuerUrl, allowInsecureIssuer });
    case 'custom':
      if (!settings.authorizeUrl) {
        throw missing('AUTHORIZE_URL');
      }
      if (!settings.tokenUrl) {
        throw missing('TOKEN_URL');
      }
      if (!settings.userinfoUrl) {
        throw missing('USERINFO_URL');
      }
      return new CustomProvider({
        ...client,
        authorizeUrl: settings.authorizeUrl,
        tokenUrl: settings.tokenUrl,
        userinfoUrl: settings.userinfoUrl,
        ...(settings.revocationUrl ? { revocationUrl: settings.revocationUrl } : {}),
        allowInsecureEndpoints: allowInsecureIssuer,
      });
    default:
      throw new AuthenticationError(
        `Unknown OAuth provider type ${JSON.stringify(provider)}: use google, github, microsoft, oidc or custom`,
      );
  }
}
