import {
  booleanParser,
  defineConfig,
  integerParser,
  nameParser,
  oneOfParser,
  secondsParser,
  textParser,
  urlParser,
  type ConfigParser,
  type RawEnvironment,
} from '@livegate/state';
import { AuthenticationError } from './oauth.errors';

/** Prefix of every variable the OAuth module reads. */
export const OAUTH_ENV_PREFIX = 'LIVEGATE_OAUTH2__';

export const PROVIDER_TYPES = ['google', 'github', 'microsoft', 'oidc', 'custom'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const TOKEN_STORE_BACKENDS = ['memory', 'keyring', 'redis'] as const;
export type TokenStoreBackend = (typeof TOKEN_STORE_BACKENDS)[number];

/** The longest a login transaction may wait for its callback, in seconds. */
export const MAX_STATE_MAX_AGE_SECONDS = 600;

/** Settings of one provider and of the flow, as `LIVEGATE_OAUTH2__*` and the options name them. */
export interface OAuthSettings {
  provider?: ProviderType;
  clientId?: string;
  clientSecret?: string;
  scopes?: string[];
  usePkce: boolean;
  tokenStoreBackend: TokenStoreBackend;
  authTimeoutSeconds: number;
  refreshBufferSeconds: number;
  issuerUrl?: string;
  tenantId: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  revocationUrl?: string;
  redirectUri?: string;
  stateMaxAgeSeconds: number;
  allowInsecureIssuer: boolean;
}

const httpsUrl = urlParser(['https:', 'http:']);

/** Scopes, separated by spaces (or commas), each a printable word. */
const scopesParser: ConfigParser<string[]> = (input) => {
  const words =
    typeof input === 'string'
      ? input.split(/[\s,]+/).filter(Boolean)
      : Array.isArray(input)
        ? input
        : undefined;
  if (
    !words ||
    words.length === 0 ||
    words.some((word) => typeof word !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(word))
  ) {
    return {
      error:
        'must be one or more scopes separated by spaces (printable characters, no quotes or backslashes)',
    };
  }
  return { value: [...new Set(words as string[])] };
};

/** PKCE is always on: the variable exists for the seed's table, and `false` is refused. */
const pkceParser: ConfigParser<boolean> = (input) => {
  const parsed = booleanParser()(input);
  if ('error' in parsed) {
    return parsed;
  }
  return parsed.value ? parsed : { error: 'cannot be false: Livegate always uses PKCE (S256)' };
};

/** The provider URLs that must be https://, by the variable that sets them. */
const URL_VARIABLES = {
  issuerUrl: 'ISSUER_URL',
  authorizeUrl: 'AUTHORIZE_URL',
  tokenUrl: 'TOKEN_URL',
  userinfoUrl: 'USERINFO_URL',
  revocationUrl: 'REVOCATION_URL',
} as const;

/** The OAuth module's configuration: every `LIVEGATE_OAUTH2__` variable and its default. */
export const OAUTH_CONFIG = defineConfig<OAuthSettings>({
  prefix: OAUTH_ENV_PREFIX,
  title: 'OAuth',
  error: (message) => new AuthenticationError(message),
  variables: {
    provider: {
      env: 'PROVIDER',
      parse: oneOfParser(PROVIDER_TYPES),
      description: 'Provider type: `google`, `github`, `microsoft`, `oidc` or `custom`',
      defaultText: '(none)',
    },
    clientId: {
      env: 'CLIENT_ID',
      parse: textParser(),
      description: 'Client id registered with the provider',
      defaultText: '(none)',
    },
    clientSecret: {
      env: 'CLIENT_SECRET',
      parse: textParser(),
      description: 'Client secret registered with the provider',
      defaultText: '(none)',
      secret: true,
    },
    scopes: {
      env: 'SCOPES',
      parse: scopesParser,
      description: "Space-separated scopes (default: the provider's own)",
      defaultText: '(provider default)',
    },
    usePkce: {
      env: 'USE_PKCE',
      parse: pkceParser,
      default: true,
      description: 'PKCE (S256); always on, `false` is refused',
      defaultText: 'true',
    },
    tokenStoreBackend: {
      env: 'TOKEN_STORE_BACKEND',
      parse: oneOfParser(TOKEN_STORE_BACKENDS),
      default: 'memory',
      description: 'Where tokens are kept: `memory`, `keyring` or `redis`',
      defaultText: 'memory',
    },
    authTimeoutSeconds: {
      env: 'AUTH_TIMEOUT_SECONDS',
      parse: secondsParser(),
      default: 120,
      description: 'Seconds a native login waits for the callback',
      defaultText: '120',
    },
    refreshBufferSeconds: {
      env: 'REFRESH_BUFFER_SECONDS',
      parse: integerParser(0, 86_400),
      default: 60,
      description: 'Seconds before expiry an access token is refreshed',
      defaultText: '60',
    },
    issuerUrl: {
      env: 'ISSUER_URL',
      parse: httpsUrl,
      description:
        'Issuer of an `oidc` provider (discovered from `/.well-known/openid-configuration`)',
      defaultText: '(none)',
    },
    tenantId: {
      env: 'TENANT_ID',
      parse: nameParser(
        /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/,
        'a tenant id, `common`, `organizations` or `consumers`',
      ),
      default: 'common',
      description: 'Entra ID tenant of a `microsoft` provider',
      defaultText: 'common',
    },
    authorizeUrl: {
      env: 'AUTHORIZE_URL',
      parse: httpsUrl,
      description: 'Authorization endpoint of a `custom` provider',
      defaultText: '(none)',
    },
    tokenUrl: {
      env: 'TOKEN_URL',
      parse: httpsUrl,
      description: 'Token endpoint of a `custom` provider',
      defaultText: '(none)',
    },
    userinfoUrl: {
      env: 'USERINFO_URL',
      parse: httpsUrl,
      description: 'Userinfo endpoint of a `custom` provider',
      defaultText: '(none)',
    },
    revocationUrl: {
      env: 'REVOCATION_URL',
      parse: httpsUrl,
      description: 'Token revocation endpoint (RFC 7009) of a `custom` provider',
      defaultText: '(none)',
    },
    redirectUri: {
      env: 'REDIRECT_URI',
      parse: httpsUrl,
      description:
        'The callback URL registered with the provider (`https://your-domain/auth/callback`)',
      defaultText: '(none)',
    },
    stateMaxAgeSeconds: {
      env: 'STATE_MAX_AGE_SECONDS',
      parse: integerParser(1, MAX_STATE_MAX_AGE_SECONDS),
      default: MAX_STATE_MAX_AGE_SECONDS,
      description: 'Seconds a login transaction waits for its callback (at most 600)',
      defaultText: '600',
    },
    allowInsecureIssuer: {
      env: 'ALLOW_INSECURE_ISSUER',
      parse: booleanParser(),
      default: false,
      description:
        'Development only: accept `http://` provider URLs (refused when NODE_ENV=production)',
      defaultText: 'false',
    },
  },
  checks: [
    ({ provider, clientId }) =>
      provider !== undefined && clientId === undefined
        ? [`${OAUTH_ENV_PREFIX}CLIENT_ID is required with ${OAUTH_ENV_PREFIX}PROVIDER=${provider}`]
        : [],
    ({ provider, issuerUrl }) =>
      provider === 'oidc' && issuerUrl === undefined
        ? [`${OAUTH_ENV_PREFIX}ISSUER_URL is required for the oidc provider`]
        : [],
    ({ provider, authorizeUrl, tokenUrl, userinfoUrl }) =>
      provider === 'custom'
        ? Object.entries({
            AUTHORIZE_URL: authorizeUrl,
            TOKEN_URL: tokenUrl,
            USERINFO_URL: userinfoUrl,
          })
            .filter(([, value]) => value === undefined)
            .map(
              ([variable]) => `${OAUTH_ENV_PREFIX}${variable} is required for the custom provider`,
            )
        : [],
    (settings) => {
      if (settings.allowInsecureIssuer) {
        return process.env.NODE_ENV === 'production'
          ? [`${OAUTH_ENV_PREFIX}ALLOW_INSECURE_ISSUER is refused when NODE_ENV=production`]
          : [];
      }
      const insecure = (Object.keys(URL_VARIABLES) as (keyof typeof URL_VARIABLES)[]).filter(
        (field) => settings[field]?.toLowerCase().startsWith('http://'),
      );
      return insecure.map(
        (field) =>
          `${OAUTH_ENV_PREFIX}${URL_VARIABLES[field]} must be an https:// URL (http:// only with ${OAUTH_ENV_PREFIX}ALLOW_INSECURE_ISSUER=true in development)`,
      );
    },
  ],
});

/** Every `LIVEGATE_OAUTH2__` variable the OAuth module reads, for documentation. */
export const OAUTH_ENV_VARIABLES = OAUTH_CONFIG.documentation();

/** The `@nestjs/config` namespace holding the raw OAuth variables. */
export const oauthEnvironment = OAUTH_CONFIG.namespace('livegate.oauth');

/** Explicit options over the environment over the defaults; every problem stops the boot at once. */
export function resolveOAuthSettings(
  options: Partial<OAuthSettings> = {},
  environment: RawEnvironment = OAUTH_CONFIG.read(),
): OAuthSettings {
  return OAUTH_CONFIG.resolve(options, environment);
}
