import { registerAs } from '@nestjs/config';
import { DEPLOY_ENV_PREFIX } from '@livegate/state';
import { AuthConfigurationError } from './auth.errors';
import type { AuthModuleOptions, ResolvedAuthOptions } from './auth.options';
import { MIN_SECRET_LENGTH, type TokenSecrets } from './tokens';

type Parsed<T> = { value: T } | { error: string };

const bool = (raw: string): Parsed<boolean> => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return { value: true };
  if (['false', '0', 'no', 'off'].includes(value)) return { value: false };
  return { error: 'must be true or false' };
};
const list = (raw: string): Parsed<string[]> => ({
  value: raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
});
const name = (raw: string): Parsed<string> =>
  /^[A-Za-z0-9_.-]{1,64}$/.test(raw.trim())
    ? { value: raw.trim() }
    : { error: 'must be 1 to 64 letters, digits, `_`, `.` or `-`' };

interface AuthVariable {
  name: string;
  option: keyof ResolvedAuthOptions | 'previousSecrets';
  parse(raw: string): Parsed<unknown>;
  description: string;
  defaultText: string;
}

/** Every `LIVEGATE_DEPLOY__` variable the auth module reads, with its default. */
export const AUTH_ENV_VARIABLES: readonly AuthVariable[] = [
  {
    name: 'AUTH_ENABLED',
    option: 'enabled',
    parse: bool,
    description: 'Require authentication (otherwise every request is a local admin)',
    defaultText: 'false',
  },
  {
    name: 'AUTH_SESSION_COOKIE',
    option: 'sessionCookie',
    parse: name,
    description: 'Session cookie name (`__Host-` prefixed when secure)',
    defaultText: 'livegate_session',
  },
  {
    name: 'AUTH_HEADER',
    option: 'authHeader',
    parse: name,
    description: 'Header carrying `Bearer <session id>`',
    defaultText: 'Authorization',
  },
  {
    name: 'TOKEN_SECRET',
    option: 'tokenSecret',
    parse: (raw) => ({ value: raw }),
    description: `Token signing secret (at least ${MIN_SECRET_LENGTH} characters, the same on every worker); required when auth is enabled`,
    defaultText: '(none)',
  },
  {
    name: 'TOKEN_PREVIOUS_SECRETS',
    option: 'previousSecrets',
    parse: list,
    description: 'Earlier secrets still accepted when verifying tokens (comma separated)',
    defaultText: '(none)',
  },
  {
    name: 'AUTH_REQUIRE_FOR_WIDGETS',
    option: 'requireAuthForWidgets',
    parse: bool,
    description: 'Widgets need an authenticated principal with read permission',
    defaultText: 'false',
  },
  {
    name: 'AUTH_PUBLIC_PATHS',
    option: 'publicPaths',
    parse: list,
    description: 'Paths the auth middleware skips (comma separated, `/prefix/*` allowed)',
    defaultText: '/health',
  },
  {
    name: 'DEFAULT_ROLES',
    option: 'defaultRoles',
    parse: list,
    description: 'Roles of new login sessions',
    defaultText: 'viewer',
  },
  {
    name: 'ADMIN_USERS',
    option: 'adminUsers',
    parse: list,
    description: 'User ids given the admin role at login',
    defaultText: '(empty)',
  },
  {
    name: 'AUTH_ALLOWED_ORIGINS',
    option: 'allowedOrigins',
    parse: list,
    description: 'Origins allowed to open WebSocket connections (same origin when empty)',
    defaultText: '(empty)',
  },
  {
    name: 'AUTH_SECURE_COOKIES',
    option: 'secureCookies',
    parse: bool,
    description: 'Cookies with `Secure` and the `__Host-` prefix',
    defaultText: 'true',
  },
];

export type AuthEnvironment = Record<string, string | undefined>;

/** The `@nestjs/config` namespace holding the raw auth variables. */
export const authEnvironment = registerAs('livegate.auth', (): AuthEnvironment =>
  Object.fromEntries(
    [...AUTH_ENV_VARIABLES.map((variable) => variable.name), 'SESSION_TTL'].map((variable) => [
      variable,
      process.env[DEPLOY_ENV_PREFIX + variable],
    ]),
  ),
);

function secretsOf(secret: TokenSecrets | undefined): string[] {
  if (secret === undefined) return [];
  return typeof secret === 'string' ? [secret] : [secret.current, ...(secret.previous ?? [])];
}

/**
 * Merges explicit options over the environment over the defaults. With auth enabled, a missing
 * or short token secret stops the boot with a message naming the variable.
 */
export function resolveAuthOptions(
  options: AuthModuleOptions = {},
  environment: AuthEnvironment = {},
): ResolvedAuthOptions {
  const errors: string[] = [];
  const fromEnvironment: Record<string, unknown> = {};
  for (const variable of AUTH_ENV_VARIABLES) {
    const raw = environment[variable.name];
    const overridden =
      variable.option === 'previousSecrets'
        ? options.tokenSecret !== undefined
        : options[variable.option as keyof AuthModuleOptions] !== undefined;
    if (raw === undefined || overridden) continue;
    const parsed = variable.parse(raw);
    if ('error' in parsed) {
      errors.push(`${DEPLOY_ENV_PREFIX}${variable.name}=${JSON.stringify(raw)} ${parsed.error}`);
    } else {
      fromEnvironment[variable.option] = parsed.value;
    }
  }
  let sessionTtl = options.sessionTtl;
  if (sessionTtl === undefined && environment.SESSION_TTL !== undefined) {
    sessionTtl = Number(environment.SESSION_TTL);
  }
  if (sessionTtl !== undefined && !(Number.isFinite(sessionTtl) && sessionTtl > 0)) {
    errors.push(`session TTL ${JSON.stringify(sessionTtl)} must be a number of seconds above zero`);
  }

  const previous = (fromEnvironment.previousSecrets as string[] | undefined) ?? [];
  const envSecret = fromEnvironment.tokenSecret as string | undefined;
  const tokenSecret: TokenSecrets | undefined =
    options.tokenSecret ??
    (envSecret === undefined
      ? undefined
      : previous.length > 0
        ? { current: envSecret, previous }
        : envSecret);

  const resolved: ResolvedAuthOptions = {
    enabled: options.enabled ?? (fromEnvironment.enabled as boolean | undefined) ?? false,
    sessionCookie:
      options.sessionCookie ??
      (fromEnvironment.sessionCookie as string | undefined) ??
      'livegate_session',
    authHeader:
      options.authHeader ?? (fromEnvironment.authHeader as string | undefined) ?? 'Authorization',
    tokenSecret,
    sessionTtl: sessionTtl ?? 86400,
    requireAuthForWidgets:
      options.requireAuthForWidgets ??
      (fromEnvironment.requireAuthForWidgets as boolean | undefined) ??
      false,
    publicPaths: options.publicPaths ??
      (fromEnvironment.publicPaths as string[] | undefined) ?? ['/health'],
    defaultRoles: options.defaultRoles ??
      (fromEnvironment.defaultRoles as string[] | undefined) ?? ['viewer'],
    adminUsers: options.adminUsers ?? (fromEnvironment.adminUsers as string[] | undefined) ?? [],
    allowedOrigins:
      options.allowedOrigins ?? (fromEnvironment.allowedOrigins as string[] | undefined) ?? [],
    secureCookies:
      options.secureCookies ?? (fromEnvironment.secureCookies as boolean | undefined) ?? true,
  };

  if (resolved.enabled) {
    const secrets = secretsOf(resolved.tokenSecret);
    if (secrets.length === 0) {
      errors.push(
        `${DEPLOY_ENV_PREFIX}TOKEN_SECRET is required when auth is enabled (at least ${MIN_SECRET_LENGTH} characters, the same on every worker)`,
      );
    } else if (
      secrets.some((secret) => typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)
    ) {
      errors.push(
        `${DEPLOY_ENV_PREFIX}TOKEN_SECRET (and every previous secret) must be at least ${MIN_SECRET_LENGTH} characters`,
      );
    }
  }
  if (errors.length > 0) {
    throw new AuthConfigurationError(`Invalid auth configuration: ${errors.join('; ')}`);
  }
  return resolved;
}

/** The cookie name actually used: `__Host-` prefixed when cookies are secure. */
export function sessionCookieName(options: ResolvedAuthOptions): string {
  return options.secureCookies ? `__Host-${options.sessionCookie}` : options.sessionCookie;
}
