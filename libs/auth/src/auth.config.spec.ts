import { resolveAuthOptions, sessionCookieName } from './auth.config';
import { AuthConfigurationError } from './auth.errors';
import { isPublicPath } from './auth.middleware';

const SECRET = 's'.repeat(32);

describe('resolveAuthOptions', () => {
  it('defaults to disabled development auth', () => {
    expect(resolveAuthOptions({}, {})).toEqual({
      enabled: false,
      sessionCookie: 'livegate_session',
      authHeader: 'Authorization',
      tokenSecret: undefined,
      sessionTtl: 86400,
      requireAuthForWidgets: false,
      publicPaths: ['/health'],
      defaultRoles: ['viewer'],
      adminUsers: [],
      allowedOrigins: [],
      secureCookies: true,
    });
  });

  it('reads the environment, with previous secrets for rotation', () => {
    const options = resolveAuthOptions(
      {},
      {
        AUTH_ENABLED: 'true',
        TOKEN_SECRET: SECRET,
        TOKEN_PREVIOUS_SECRETS: `${'p'.repeat(32)}, ${'q'.repeat(40)}`,
        DEFAULT_ROLES: 'viewer,commenter',
        ADMIN_USERS: 'alice, bob@example.com',
        AUTH_PUBLIC_PATHS: '/health,/docs/*',
        SESSION_TTL: '600',
        AUTH_SECURE_COOKIES: 'no',
      },
    );
    expect(options).toMatchObject({
      enabled: true,
      tokenSecret: { current: SECRET, previous: ['p'.repeat(32), 'q'.repeat(40)] },
      defaultRoles: ['viewer', 'commenter'],
      adminUsers: ['alice', 'bob@example.com'],
      publicPaths: ['/health', '/docs/*'],
      sessionTtl: 600,
      secureCookies: false,
    });
  });

  it('lets explicit options win', () => {
    expect(resolveAuthOptions({ enabled: false }, { AUTH_ENABLED: 'true' }).enabled).toBe(false);
  });

  it.each([
    [{}, { AUTH_ENABLED: 'true' }, /TOKEN_SECRET is required/],
    [{}, { AUTH_ENABLED: 'true', TOKEN_SECRET: 'short' }, /at least 32/],
    [{}, { AUTH_ENABLED: 'maybe' }, /LIVEGATE_DEPLOY__AUTH_ENABLED="maybe"/],
    [{}, { AUTH_SESSION_COOKIE: 'bad cookie' }, /AUTH_SESSION_COOKIE/],
    [{ enabled: true, tokenSecret: SECRET, sessionTtl: 0 }, {}, /session TTL/],
  ])('stops on %j %j', (options, environment, message) => {
    expect(() => resolveAuthOptions(options, environment)).toThrow(AuthConfigurationError);
    expect(() => resolveAuthOptions(options, environment)).toThrow(message);
  });

  it('names the cookie with __Host- when secure', () => {
    expect(sessionCookieName(resolveAuthOptions({}, {}))).toBe('__Host-livegate_session');
    expect(sessionCookieName(resolveAuthOptions({ secureCookies: false }, {}))).toBe(
      'livegate_session',
    );
  });
});

describe('isPublicPath', () => {
  it('matches exact paths and prefixes ending in /*', () => {
    const paths = ['/health', '/docs/*'];
    expect(isPublicPath('/health', paths)).toBe(true);
    expect(isPublicPath('/health?x=1', paths)).toBe(true);
    expect(isPublicPath('/healthz', paths)).toBe(false);
    expect(isPublicPath('/docs', paths)).toBe(true);
    expect(isPublicPath('/docs/a/b', paths)).toBe(true);
    expect(isPublicPath('/docsx', paths)).toBe(false);
  });
});
