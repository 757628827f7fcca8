import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { TokenSecrets } from './tokens';

/**
 * Options of `AuthModule.forRoot`. Every option left out is read from the environment
 * (`LIVEGATE_DEPLOY__*`) and then from the defaults below.
 */
export interface AuthModuleOptions {
  /** Require authentication. Default `false`: every request acts as a local admin (env `AUTH_ENABLED`). */
  enabled?: boolean;
  /** Session cookie name. Default `livegate_session`; `__Host-` is prefixed when cookies are secure (env `AUTH_SESSION_COOKIE`). */
  sessionCookie?: string;
  /** Header carrying `Bearer <session id>`, matched case-insensitively. Default `Authorization` (env `AUTH_HEADER`). */
  authHeader?: string;
  /** Token signing secret, at least 32 characters, shared by all workers; or `{ current, previous }` for rotation (env `TOKEN_SECRET`, `TOKEN_PREVIOUS_SECRETS`). */
  tokenSecret?: TokenSecrets;
  /** Seconds a login session lives. Default 86400 (env `SESSION_TTL`). */
  sessionTtl?: number;
  /** Widgets need an authenticated principal with read permission. Default `false` (env `AUTH_REQUIRE_FOR_WIDGETS`). */
  requireAuthForWidgets?: boolean;
  /** Paths the middleware skips; `/prefix/*` matches below a prefix (env `AUTH_PUBLIC_PATHS`, comma separated). */
  publicPaths?: string[];
  /** Roles of new login sessions. Default `['viewer']` (env `DEFAULT_ROLES`). */
  defaultRoles?: string[];
  /** User ids (or verified emails) given the admin role at login (env `ADMIN_USERS`). */
  adminUsers?: string[];
  /** Origins allowed to open WebSocket connections; empty allows same-origin only (env `AUTH_ALLOWED_ORIGINS`). */
  allowedOrigins?: string[];
  /** Set cookies with `Secure` and the `__Host-` prefix. Default `true` (env `AUTH_SECURE_COOKIES`). */
  secureCookies?: boolean;
}

export interface ResolvedAuthOptions {
  enabled: boolean;
  sessionCookie: string;
  authHeader: string;
  tokenSecret: TokenSecrets | undefined;
  sessionTtl: number;
  requireAuthForWidgets: boolean;
  publicPaths: string[];
  defaultRoles: string[];
  adminUsers: string[];
  allowedOrigins: string[];
  secureCookies: boolean;
}

export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => AuthModuleOptions | Promise<AuthModuleOptions>;
  inject?: FactoryProvider['inject'];
}
