// The public API of @livegate/auth: named exports only.

// Module, options and errors
export { AuthModule } from './auth.module';
export type {
  AuthModuleAsyncOptions,
  AuthModuleOptions,
  ResolvedAuthOptions,
} from './auth.options';
export { AUTH_ENV_VARIABLES } from './auth.config';
export { AuthConfigurationError, AuthHttpException, type AuthErrorCode } from './auth.errors';

// Resolving credentials, and login sessions
export { AuthService } from './auth.service';
export { LoginSessions, type LoginInput } from './login-sessions.service';
export { SessionEndings } from './session-endings';
export { authStateOf, type AuthFailure, type AuthState } from './request-auth';
export { AuthMiddleware } from './auth.middleware';
export { AccessGuard } from './access.guard';
export { SocketAuthenticator, SocketAuthError } from './socket-auth';

// Platform-neutral request and reply helpers (Express, Fastify, Node), for libraries that answer
// requests: one cookie read as the session cookie is (no decoding, cookie tossing refused)
export { readCookie, type RequestHeaders } from './credentials';
export { appendSetCookie, setReplyHeader } from './reply-headers';

// Principals, policies and roles
export {
  ANONYMOUS,
  ClaimsPrincipal,
  LOCAL_ADMIN,
  type Claim,
  type ClaimsPrincipalInit,
} from './claims-principal';
export {
  PolicyEngine,
  type ClaimRequirement,
  type PolicyContext,
  type PolicyDefinition,
  type PolicyPredicate,
} from './policy-engine';
export { checkWidgetPermission, getRolePermissions, hasPermission, isAdmin } from './rbac';

// Decorators
export { Public } from './decorators/public.decorator';
export { Roles } from './decorators/roles.decorator';
export { RequirePermission } from './decorators/require-permission.decorator';
export { Policy } from './decorators/policy.decorator';
export { RequireClaims } from './decorators/require-claims.decorator';
export { Auth, type AuthPageOptions } from './decorators/auth.decorator';
export { WidgetAccess } from './decorators/widget-access.decorator';
export { CurrentUser } from './decorators/current-user.decorator';
export { CurrentSession } from './decorators/current-session.decorator';
export { WIDGET_RESPONSE_HEADERS } from './widget-access';

// Tokens
export {
  generateSessionToken,
  generateWidgetToken,
  validateSessionToken,
  validateWidgetToken,
  type SessionTokenValidation,
  type TokenErrorCode,
  type TokenSecrets,
} from './tokens';
