import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_ID_LENGTH,
  SessionStore,
  StateBackendUnavailableError,
  type CreateSessionInput,
  type UserSession,
} from '@livegate/state';
import { AUTH_OPTIONS } from './auth.constants';
import { backendUnavailable, conflictingCredentials, notFound, unauthorized } from './auth.errors';
import type { ResolvedAuthOptions } from './auth.options';
import { sessionCookieName } from './auth.config';
import { ANONYMOUS, ClaimsPrincipal, LOCAL_ADMIN } from './claims-principal';
import {
  presentedCredentials,
  type PresentedCredentials,
  type RequestHeaders,
} from './credentials';
import { getRequestAuth, setRequestAuth, type RequestAuth } from './request-auth';
import {
  generateSessionToken,
  generateWidgetToken,
  validateSessionToken,
  validateWidgetToken,
  type SessionTokenValidation,
} from './tokens';

// Session ids as Livegate issues them, or as a caller chose them within the state limits.
const SESSION_ID = /^[A-Za-z0-9_.~:-]+$/;

const anonymous = (failure: RequestAuth['failure'] = null): RequestAuth => ({
  principal: ANONYMOUS,
  session: null,
  failure,
});

/**
 * Resolves credentials to sessions and principals, creates login sessions and signs tokens with
 * the configured secret. Used by the middleware, the guard and the WebSocket handshake.
 */
@Injectable()
export class AuthService {
  /** The cookie names read for the session (the `__Host-` one and the plain one). */
  readonly cookieNames: readonly string[];
  private readonly principals = new WeakMap<UserSession, ClaimsPrincipal>();

  constructor(
    @Inject(AUTH_OPTIONS) readonly options: ResolvedAuthOptions,
    private readonly sessions: SessionStore,
  ) {
    this.cookieNames = Object.freeze([
      ...new Set([sessionCookieName(options), options.sessionCookie]),
    ]);
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Reads the credentials of an HTTP request (never its query string). */
  credentialsOf(headers: RequestHeaders): PresentedCredentials {
    return presentedCredentials(headers, this.cookieNames, this.options.authHeader);
  }

  /**
   * Resolves presented credentials. Credentials naming different sessions throw a 400;
   * a store failure resolves to anonymous with `failure: 'backend_unavailable'`, so that public
   * routes still answer while protected ones fail closed with 503.
   */
  async authenticate(credentials: PresentedCredentials): Promise<RequestAuth> {
    if (!this.options.enabled) {
      return { principal: LOCAL_ADMIN, session: null, failure: null };
    }
    const { cookie, bearer, query } = credentials;
    const sessionId = cookie ?? bearer ?? query;
    const differs = (value: string | undefined) => value !== undefined && value !== sessionId;
    if (differs(bearer) || differs(query)) {
      throw conflictingCredentials();
    }
    if (sessionId === undefined) {
      return anonymous(credentials.malformed ? 'invalid_credentials' : null);
    }
    if (sessionId.length > MAX_ID_LENGTH || !SESSION_ID.test(sessionId)) {
      return anonymous('invalid_credentials');
    }
    let session: UserSession | null;
    try {
      session = await this.sessions.getSession(sessionId);
    } catch (error) {
      if (error instanceof StateBackendUnavailableError) {
        return anonymous('backend_unavailable');
      }
      throw error;
    }
    if (!session) {
      return anonymous('invalid_credentials');
    }
    return { principal: this.principalOf(session), session, failure: null };
  }

  /**
   * The principal of a session. Stores hand out frozen snapshots, often the same one to every
   * request (a cached Redis session, a memory session), so it is derived once per snapshot.
   */
  private principalOf(session: UserSession): ClaimsPrincipal {
    let principal = this.principals.get(session);
    if (!principal) {
      principal = ClaimsPrincipal.fromSession(session);
      if (Object.isFrozen(session)) {
        this.principals.set(session, principal);
      }
    }
    return principal;
  }

  /**
   * The auth state of an HTTP request (Express, Fastify or raw Node request): what the
   * middleware attached, or resolved and attached now where it did not run.
   */
  async resolveRequest(request: unknown): Promise<RequestAuth> {
    const existing = getRequestAuth(request);
    if (existing) {
      return existing;
    }
    const headers = (request as { headers?: RequestHeaders }).headers ?? {};
    const auth = await this.authenticate(this.credentialsOf(headers));
    setRequestAuth(request, auth);
    return auth;
  }

  /**
   * Enforces `requireAuthForWidgets` for a widget read: anonymous 401, a widget the session may
   * not read 404 (its existence is not revealed), the store down 503.
   */
  async assertWidgetReadable(auth: RequestAuth | undefined, widgetId: string): Promise<void> {
    if (!this.options.enabled || !this.options.requireAuthForWidgets) {
      return;
    }
    if (auth?.failure === 'backend_unavailable') {
      throw backendUnavailable();
    }
    if (!auth?.session) {
      throw unauthorized();
    }
    let readable: boolean;
    try {
      readable = await this.sessions.checkPermission(
        auth.session.sessionId,
        'widget',
        widgetId,
        'read',
      );
    } catch (error) {
      if (error instanceof StateBackendUnavailableError) {
        throw backendUnavailable();
      }
      throw notFound('No such widget');
    }
    if (!readable) {
      throw notFound('No such widget');
    }
  }

  /**
   * Creates a login session with the default roles, plus `admin` for configured admin users.
   * Session ids are always new (rotated on every login).
   */
  createLoginSession(
    userId: string,
    input: Omit<CreateSessionInput, 'userId' | 'sessionId'> & { email?: string } = {},
  ): Promise<UserSession> {
    const { email, roles, ...rest } = input;
    const granted = new Set(roles ?? this.options.defaultRoles);
    if (
      this.options.adminUsers.includes(userId) ||
      (email !== undefined && this.options.adminUsers.includes(email))
    ) {
      granted.add('admin');
    }
    return this.sessions.createSession({
      ttl: this.options.sessionTtl,
      ...rest,
      userId,
      roles: [...granted],
    });
  }

  /** `Set-Cookie` value for a session: HttpOnly, SameSite=Lax, Path=/, Secure (+ `__Host-`). */
  sessionCookie(sessionId: string, maxAgeSeconds = this.options.sessionTtl): string {
    const attributes = [
      `${sessionCookieName(this.options)}=${encodeURIComponent(sessionId)}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ];
    if (this.options.secureCookies) {
      attributes.push('Secure');
    }
    return attributes.join('; ');
  }

  /** `Set-Cookie` value that removes the session cookie. */
  clearedSessionCookie(): string {
    return this.sessionCookie('', 0);
  }

  generateSessionToken(userId: string, expiresAt?: number): string {
    return generateSessionToken(userId, this.secret(), expiresAt);
  }

  validateSessionToken(token: unknown): SessionTokenValidation {
    return validateSessionToken(token, this.secret());
  }

  generateWidgetToken(widgetId: string, ttl?: number): string {
    return generateWidgetToken(widgetId, this.secret(), ttl);
  }

  validateWidgetToken(token: unknown, widgetId: unknown): boolean {
    return (
      this.options.tokenSecret !== undefined && validateWidgetToken(token, widgetId, this.secret())
    );
  }

  private secret() {
    if (this.options.tokenSecret === undefined) {
      throw new Error('No token secret is configured (LIVEGATE_DEPLOY__TOKEN_SECRET)');
    }
    return this.options.tokenSecret;
  }
}
