import {
  DEPLOY_ENV_PREFIX,
  booleanParser,
  defineConfig,
  listParser,
  nameParser,
  secondsParser,
  textParser,
  type ConfigParser,
  type RawEnvironment,
} from '@livegate/state';
import { AuthConfigurationError } from './auth.errors';
import type { AuthModuleOptions, ResolvedAuthOptions } from './auth.options';
import { MIN_SECRET_LENGTH, assertTokenSecret, type TokenSecrets } from './tokens';

/** A token secret or rotation set, checked as the token functions will use it. */
const secretParser: ConfigParser<TokenSecrets> = (input) => {
  try {
    assertTokenSecret(input, 'the secret');
    return { value: input };
  } catch (error) {
    return { error: (error as Error).message.replace(/^the secret /, '') };
  }
};

/** An `Origin` as browsers send it: scheme, host and port, nothing else. */
const originParser: ConfigParser<string> = (input) => {
  const text = typeof input === 'string' ? input.trim() : '';
  let origin: string | undefined;
  try {
    origin = new URL(text).origin;
  } catch {
    origin = undefined;
  }
  return origin !== undefined && origin !== 'null' && origin === text
    ? { value: text }
    : { error: 'must be an origin such as https://app.example.com (no path, no trailing slash)' };
};

const pathEntryParser: ConfigParser<string> = (input) =>
  typeof input === 'string' && /^\/[^\s?#]*$/.test(input.trim())
    ? { value: input.trim() }
    : { error: 'must be a path starting with / (a trailing /* matches below it)' };

const roleParser = nameParser(
  /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/,
  'a role name: letters, digits and _ . : -, at most 64 characters',
);

/** What the auth configuration resolves, before the previous secrets join the current one. */
type AuthSettings = ResolvedAuthOptions & { previousSecrets: string[] };

/** The auth module's configuration: every `LIVEGATE_DEPLOY__` variable it reads and its default. */
export const AUTH_CONFIG = defineConfig<AuthSettings>({
  prefix: DEPLOY_ENV_PREFIX,
  title: 'auth',
  error: (message) => new AuthConfigurationError(message),
  variables: {
    enabled: {
      env: 'AUTH_ENABLED',
      parse: booleanParser(),
      default: false,
      description: 'Require authentication (otherwise every request is a local admin)',
      defaultText: 'false',
    },
    sessionCookie: {
      env: 'AUTH_SESSION_COOKIE',
      parse: nameParser(),
      default: 'livegate_session',
      description: 'Session cookie name (`__Host-` prefixed when secure)',
      defaultText: 'livegate_session',
    },
    authHeader: {
      env: 'AUTH_HEADER',
      parse: nameParser(),
      default: 'Authorization',
      description: 'Header carrying `Bearer <session id>`',
      defaultText: 'Authorization',
    },
    tokenSecret: {
      env: 'TOKEN_SECRET',
      parse: secretParser,
      description: `Token signing secret (at least ${MIN_SECRET_LENGTH} characters, the same on every worker); required when auth is enabled`,
      defaultText: '(none)',
      secret: true,
    },
    previousSecrets: {
      env: 'TOKEN_PREVIOUS_SECRETS',
      parse: listParser(textParser()),
      default: () => [],
      description: 'Earlier secrets still accepted when verifying tokens (comma separated)',
      defaultText: '(none)',
      secret: true,
    },
    sessionTtl: {
      env: 'SESSION_TTL',
      parse: secondsParser(),
      default: 86400,
      description: 'Seconds a login session lives (also the state default)',
      defaultText: '86400',
    },
    requireAuthForWidgets: {
      env: 'AUTH_REQUIRE_FOR_WIDGETS',
      parse: booleanParser(),
      default: false,
      description: 'Widgets need an authenticated principal with read permission',
      defaultText: 'false',
    },
    publicPaths: {
      env: 'AUTH_PUBLIC_PATHS',
      parse: listParser(pathEntryParser),
      default: () => ['/health'],
      description: 'Paths the auth middleware skips (comma separated, `/prefix/*` allowed)',
      defaultText: '/health',
    },
    defaultRoles: {
      env: 'DEFAULT_ROLES',
      parse: listParser(roleParser),
      default: () => ['viewer'],
      description: 'Roles of new login sessions',
      defaultText: 'viewer',
    },
    adminUsers: {
      env: 'ADMIN_USERS',
      parse: listParser(textParser()),
      default: () => [],
      description: 'User ids (or verified emails) given the admin role at login',
      defaultText: '(empty)',
    },
    allowedOrigins: {
      env: 'AUTH_ALLOWED_ORIGINS',
      parse: listParser(originParser),
      default: () => [],
      description: 'Origins allowed to open WebSocket connections (same origin when empty)',
      defaultText: '(empty)',
    },
    secureCookies: {
      env: 'AUTH_SECURE_COOKIES',
      parse: booleanParser(),
      default: true,
      description: 'Cookies with `Secure` and the `__Host-` prefix',
      defaultText: 'true',
    },
  },
  checks: [
    ({ enabled, tokenSecret }) =>
      enabled && tokenSecret === undefined
        ? [
            `${DEPLOY_ENV_PREFIX}TOKEN_SECRET is required when auth is enabled (at least ${MIN_SECRET_LENGTH} characters, the same on every worker)`,
          ]
        : [],
    ({ tokenSecret, previousSecrets }) =>
      previousSecrets.length > 0 && typeof tokenSecret !== 'string'
        ? [
            `${DEPLOY_ENV_PREFIX}TOKEN_PREVIOUS_SECRETS needs ${DEPLOY_ENV_PREFIX}TOKEN_SECRET (an explicit tokenSecret option replaces both)`,
          ]
        : [],
  ],
});

/** Every `LIVEGATE_DEPLOY__` variable the auth module reads, for documentation. */
export const AUTH_ENV_VARIABLES = AUTH_CONFIG.documentation();

export type AuthEnvironment = RawEnvironment;

/** The `@nestjs/config` namespace holding the raw auth variables. */
export const authEnvironment = AUTH_CONFIG.namespace('livegate.auth');

/**
 * Merges explicit options over the environment over the defaults. With auth enabled, a missing
 * or short token secret stops the boot with a message naming the variable.
 */
export function resolveAuthOptions(
  options: AuthModuleOptions = {},
  environment: AuthEnvironment = {},
): ResolvedAuthOptions {
  // An explicit secret (or rotation set) replaces both secret variables.
  const ignored = options.tokenSecret !== undefined ? { TOKEN_PREVIOUS_SECRETS: undefined } : {};
  const { previousSecrets, ...resolved } = AUTH_CONFIG.resolve(options, {
    ...environment,
    ...ignored,
  });
  if (previousSecrets.length > 0 && typeof resolved.tokenSecret === 'string') {
    const tokenSecret = { current: resolved.tokenSecret, previous: previousSecrets };
    const checked = secretParser(tokenSecret);
    if ('error' in checked) {
      throw new AuthConfigurationError(
        `Invalid auth configuration: ${DEPLOY_ENV_PREFIX}TOKEN_PREVIOUS_SECRETS ${checked.error}`,
      );
    }
    resolved.tokenSecret = tokenSecret;
  }
  return resolved;
}

/** The cookie name actually used: `__Host-` prefixed when cookies are secure. */
export function sessionCookieName(options: ResolvedAuthOptions): string {
  return options.secureCookies ? `__Host-${options.sessionCookie}` : options.sessionCookie;
}
