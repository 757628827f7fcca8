import * as auth from './index';
import { attachAuthState } from './request-auth';

describe('@livegate/auth public API', () => {
  it('exports exactly the documented names: no setters, error factories or module plumbing', () => {
    expect(Object.keys(auth).sort()).toEqual(
      [
        'ANONYMOUS',
        'AUTH_ENV_VARIABLES',
        'AccessGuard',
        'Auth',
        'AuthConfigurationError',
        'AuthHttpException',
        'AuthMiddleware',
        'AuthModule',
        'AuthService',
        'ClaimsPrincipal',
        'CurrentSession',
        'CurrentUser',
        'LOCAL_ADMIN',
        'LoginSessions',
        'Policy',
        'PolicyEngine',
        'Public',
        'RequireClaims',
        'RequirePermission',
        'Roles',
        'SessionEndings',
        'SocketAuthError',
        'SocketAuthenticator',
        'WIDGET_RESPONSE_HEADERS',
        'WidgetAccess',
        'appendSetCookie',
        'authStateOf',
        'checkWidgetPermission',
        'generateSessionToken',
        'generateWidgetToken',
        'getRolePermissions',
        'hasPermission',
        'isAdmin',
        'readCookie',
        'setReplyHeader',
        'validateSessionToken',
        'validateWidgetToken',
      ].sort(),
    );
  });

  it('reads the auth state of a request and of a socket by one name', () => {
    const state = { principal: auth.ANONYMOUS, session: null, failure: null };
    const socket = { handshake: {}, data: {} as Record<symbol, unknown> };
    expect(auth.authStateOf({})).toBeUndefined();
    expect(auth.authStateOf(socket)).toBeUndefined();
    expect(auth.authStateOf(null)).toBeUndefined();
    // What the Fastify hook attached to the raw request is visible on Fastify's request.
    const raw = {};
    attachAuthState(raw, state);
    attachAuthState(socket, state);
    expect(auth.authStateOf({ raw })).toBe(state);
    expect(auth.authStateOf(socket)).toBe(state);
    expect(auth.authStateOf(socket.data)).toBe(state);
  });
});
