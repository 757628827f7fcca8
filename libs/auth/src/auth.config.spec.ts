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
    [{ enabled: true, tokenSecret: SECRET, sessionTtl: 0 }, {}, /option sessionTtl=0 must be/],
  ])('stops on %j %j', (options, environment, message) => {
    expect(() => resolveAuthOptions(options, environment)).toThrow(AuthConfigurationError);
    expect(() => resolveAuthOptions(options, environment)).toThrow(message);
  });

  it.each([
    [{ sessionCookie: 'bad cookie' }, 'option sessionCookie="bad cookie"'],
    [{ authHeader: 'X:Y' }, 'option authHeader="X:Y"'],
    [{ allowedOrigins: ['https://app.example.com/'] }, 'option allowedOrigins='],
    [{ allowedOrigins: ['app.example.com'] }, 'option allowedOrigins='],
    [{ publicPaths: ['health'] }, 'option publicPaths='],
    [{ defaultRoles: ['has space'] }, 'option defaultRoles='],
    [{ secureCookies: 'sometimes' }, 'option secureCookies="sometimes"'],
    [{ tokenSecret: 'short' }, 'option tokenSecret=(hidden) is too short'],
    [
      { tokenSecret: { current: SECRET, previus: [] } },
      'option tokenSecret=(hidden) has an unknown key',
    ],
  ])('checks the explicit option %j with the rule of its variable', (options, message) => {
    expect(() => resolveAuthOptions(options as never, {})).toThrow(AuthConfigurationError);
    expect(() => resolveAuthOptions(options as never, {})).toThrow(message);
  });

  it('refuses a short secret even while auth is disabled, without showing it', () => {
    const attempt = () => resolveAuthOptions({}, { TOKEN_SECRET: 'tooshort-secret' });
    expect(attempt).toThrow('LIVEGATE_DEPLOY__TOKEN_SECRET=(hidden) is too short');
    expect(attempt).not.toThrow('tooshort-secret');
  });

  it('checks previous secrets and names their variable', () => {
    expect(() =>
      resolveAuthOptions({}, { TOKEN_SECRET: SECRET, TOKEN_PREVIOUS_SECRETS: 'old-and-short' }),
    ).toThrow('LIVEGATE_DEPLOY__TOKEN_PREVIOUS_SECRETS');
    expect(() => resolveAuthOptions({}, { TOKEN_PREVIOUS_SECRETS: SECRET })).toThrow(
      'LIVEGATE_DEPLOY__TOKEN_PREVIOUS_SECRETS needs LIVEGATE_DEPLOY__TOKEN_SECRET',
    );
    // An explicit secret replaces both variables.
    expect(
      resolveAuthOptions({ tokenSecret: SECRET }, { TOKEN_PREVIOUS_SECRETS: 'ignored' })
        .tokenSecret,
    ).toBe(SECRET);
  });

  it('lists every bad auth variable at once', () => {
    expect(() =>
      resolveAuthOptions({}, { AUTH_ENABLED: 'maybe', AUTH_HEADER: 'a b', SESSION_TTL: '-1' }),
    ).toThrow(/AUTH_ENABLED="maybe".*AUTH_HEADER="a b".*SESSION_TTL="-1"/);
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
