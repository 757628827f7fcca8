import { Inject, Injectable } from '@nestjs/common';
import { SessionStore, StateBackendUnavailableError, type UserSession } from '@livegate/state';
import { AUTH_OPTIONS } from './auth.constants';
import { conflictingCredentials } from './auth.errors';
import type { ResolvedAuthOptions } from './auth.options';
import { sessionCookieName } from './auth.config';
import { ANONYMOUS, ClaimsPrincipal, LOCAL_ADMIN } from './claims-principal';
import {
  isSessionIdShape,
  presentedCredentials,
  type HandshakeCredentials,
  type RequestHeaders,
} from './credentials';
import { attachAuthState, authStateOf, type AuthState } from './request-auth';
import {
  generateSessionToken,
  generateWidgetToken,
  validateSessionToken,
  validateWidgetToken,
  type SessionTokenValidation,
} from './tokens';

// Shared, frozen results: the requests that resolve to them allocate nothing for them.
const NO_CREDENTIALS: AuthState = Object.freeze({
  principal: ANONYMOUS,
  session: null,
  failure: null,
});
const INVALID_CREDENTIALS: AuthState = Object.freeze({
  principal: ANONYMOUS,
  session: null,
  failure: 'invalid_credentials',
});
const BACKEND_UNAVAILABLE: AuthState = Object.freeze({
  principal: ANONYMOUS,
  session: null,
  failure: 'backend_unavailable',
});
const AUTH_DISABLED: AuthState = Object.freeze({
  principal: LOCAL_ADMIN,
  session: null,
  failure: null,
});

/** The auth state of a public path: nothing is read. */
export const PUBLIC_PATH_STATE = NO_CREDENTIALS;

/**
 * Resolves credentials to sessions and principals, and signs tokens with the configured secret.
 * Every HTTP request (middleware, guard) and every socket.io handshake goes through
 * `authenticate`. Creating and ending login sessions is `LoginSessions`'.
 */
@Injectable()
export class AuthService {
  /**
   * The cookie names read for the session: only the `__Host-` one when cookies are secure (a
   * sibling subdomain can plant the plain one), else the plain one.
   */
  readonly cookieNames: readonly string[];
  private readonly states = new WeakMap<UserSession, AuthState>();

  constructor(
    @Inject(AUTH_OPTIONS) readonly options: ResolvedAuthOptions,
    private readonly sessions: SessionStore,
  ) {
    this.cookieNames = Object.freeze([sessionCookieName(options)]);
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /**
   * The one credentials → session → principal path. Reads the session cookie and the bearer
   * header, and with `handshake` also `auth.token` and `?session=` (HTTP requests never pass it).
   * Credentials naming different sessions throw a 400. A value outside the session-id charset,
   * or a handshake value that is not one string, resolves to anonymous with
   * `invalid_credentials` before any store lookup. A store failure resolves to anonymous with
   * `backend_unavailable`, so that public routes still answer while protected ones fail closed.
   */
  async authenticate(
    headers: RequestHeaders,
    handshake?: HandshakeCredentials,
  ): Promise<AuthState> {
    if (!this.options.enabled) {
      return AUTH_DISABLED;
    }
    const credentials = presentedCredentials(
      headers,
      this.cookieNames,
      this.options.authHeader,
      handshake,
    );
    if (credentials.refused) {
      return INVALID_CREDENTIALS;
    }
    const { cookie, bearer, token, query } = credentials;
    const sessionId = cookie ?? bearer ?? token ?? query;
    if (sessionId === undefined) {
      return credentials.malformed ? INVALID_CREDENTIALS : NO_CREDENTIALS;
    }
    if (
      (bearer !== undefined && bearer !== sessionId) ||
      (token !== undefined && token !== sessionId) ||
      (query !== undefined && query !== sessionId)
    ) {
      throw conflictingCredentials();
    }
    if (!isSessionIdShape(sessionId)) {
      return INVALID_CREDENTIALS;
    }
    let session: UserSession | null;
    try {
      session = await this.sessions.getSession(sessionId);
    } catch (error) {
      if (error instanceof StateBackendUnavailableError) {
        return BACKEND_UNAVAILABLE;
      }
      throw error;
    }
    return session ? this.stateOf(session) : INVALID_CREDENTIALS;
  }

  /**
   * The auth state of a session. Stores hand out frozen snapshots, often the same one to every
   * request (a cached Redis session, a memory session), so it (and its principal) is derived
   * once per snapshot.
   */
  stateOf(session: UserSession): AuthState {
    let state = this.states.get(session);
    if (!state) {
      state = Object.freeze({
        principal: ClaimsPrincipal.fromSession(session),
        session,
        failure: null,
      });
      if (Object.isFrozen(session)) {
        this.states.set(session, state);
      }
    }
    return state;
  }

  /**
   * The auth state of an HTTP request (Express, Fastify or raw Node request): what the
   * middleware attached, or resolved through `authenticate` and attached now where it did not run.
   */
  async resolveRequest(request: unknown): Promise<AuthState> {
    const existing = authStateOf(request);
    if (existing) {
      return existing;
    }
    const headers = (request as { headers?: RequestHeaders }).headers ?? {};
    const auth = await this.authenticate(headers);
    attachAuthState(request, auth);
    return auth;
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
