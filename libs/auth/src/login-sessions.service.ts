import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  SessionStore,
  StateBackendUnavailableError,
  StateValidationError,
  type SessionClaim,
  type UserSession,
} from '@livegate/state';
import { AUTH_OPTIONS } from './auth.constants';
import { sessionCookieName } from './auth.config';
import type { ResolvedAuthOptions } from './auth.options';
import { AuthService } from './auth.service';
import { isSessionIdShape, presentedCredentials, type RequestHeaders } from './credentials';
import { appendSetCookie } from './reply-headers';
import { attachAuthState, authStateOf } from './request-auth';
import { SessionEndings } from './session-endings';

/**
 * Who logged in, as the login step (an OAuth callback, the local identity provider, a CLI) knows
 * it. There is deliberately no session id: every login gets a new random one.
 */
export interface LoginInput {
  /**
   * The user's id. External identities are qualified by their provider (`github:12345`), so an
   * id from one provider can never stand for a user of another.
   */
  userId: string;
  /**
   * Other ids the same user is known by (`github:583231` for a user row that a GitHub login
   * found, `local:alice` for a local one): matched against `adminUsers` like `userId`, never
   * stored.
   */
  aliases?: readonly string[];
  /** The session's roles instead of `defaultRoles`. `admin` is still added for admin users. */
  roles?: Iterable<string>;
  /** The session's claims (`metadata.claims`), beside its `sub` and `role` claims. */
  claims?: readonly SessionClaim[];
  /** Further JSON metadata, such as `user_info` for the principal's name and raw information. */
  metadata?: Record<string, unknown>;
  /** The user's email address, as the identity provider reports it. */
  email?: string;
  /**
   * Whether the identity provider verified `email`. Only a verified email is matched against the
   * email entries of `adminUsers`; anyone can type an address into an unverified profile.
   */
  emailVerified?: boolean;
  /** Seconds the session lives; default `sessionTtl`. */
  ttl?: number;
}

/** Where a login is answered: the request it came with and the response that sets the cookie. */
type Reply = unknown;

/**
 * Creates and ends login sessions, and writes the session cookie. Every login gets a new random
 * session id, and a session id the browser presented before logging in is deleted, so an id an
 * attacker planted (session fixation) never becomes a logged-in session. Roles are `defaultRoles`
 * (or the caller's), plus `admin` for `adminUsers`: entries containing `@` are emails, matched
 * only against a verified email; other entries are user ids, matched exactly.
 *
 * The cookie is `HttpOnly; SameSite=Lax; Path=/` with a `Max-Age` that ends with the session,
 * and, with `secureCookies`, `Secure` and the `__Host-` prefix (no `Domain`, so no sibling
 * subdomain can set or read it). The helpers taking a reply work on an Express response, a
 * Fastify reply and a raw Node response. Store errors propagate as state errors (400 for bad
 * input, 503 when the store is down through `StateExceptionFilter`); nothing is left half done.
 */
@Injectable()
export class LoginSessions {
  private readonly logger = new Logger(LoginSessions.name);
  /** The name of the session cookie written: `__Host-` prefixed when cookies are secure. */
  readonly cookieName: string;
  private readonly adminIds: ReadonlySet<string>;
  private readonly adminEmails: ReadonlySet<string>;

  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
    private readonly sessions: SessionStore,
    private readonly auth: AuthService,
    @Optional() private readonly endings?: SessionEndings,
  ) {
    this.cookieName = sessionCookieName(options);
    this.adminIds = new Set(options.adminUsers.filter((entry) => !entry.includes('@')));
    this.adminEmails = new Set(options.adminUsers.filter((entry) => entry.includes('@')));
  }

  /** Whether this login is promoted to `admin` by `adminUsers`. */
  isAdminLogin(login: Pick<LoginInput, 'userId' | 'aliases' | 'email' | 'emailVerified'>): boolean {
    return (
      this.adminIds.has(login.userId) ||
      (login.aliases ?? []).some((alias) => this.adminIds.has(alias)) ||
      (login.emailVerified === true &&
        typeof login.email === 'string' &&
        this.adminEmails.has(login.email))
    );
  }

  /** Creates a login session with a new random id. Sets no cookie: see `login`. */
  async create(login: LoginInput): Promise<UserSession> {
    if (typeof login !== 'object' || login === null) {
      throw new StateValidationError('login', 'must be an object');
    }
    if (typeof login.roles === 'string') {
      // A string is iterable: "admin" would become the roles a, d, m, i, n.
      throw new StateValidationError('roles', 'must be a list of role names, not one string');
    }
    if (
      login.aliases !== undefined &&
      (!Array.isArray(login.aliases) || login.aliases.some((alias) => typeof alias !== 'string'))
    ) {
      throw new StateValidationError('aliases', 'must be a list of user ids');
    }
    const roles = new Set(login.roles ?? this.options.defaultRoles);
    if (this.isAdminLogin(login)) {
      roles.add('admin');
    }
    const metadata =
      login.claims === undefined
        ? login.metadata
        : { ...(login.metadata ?? {}), claims: login.claims };
    // Built field by field: whatever else the caller's object holds (a session id) is not used.
    return this.sessions.createSession({
      userId: login.userId,
      roles,
      ttl: login.ttl ?? this.options.sessionTtl,
      metadata,
    });
  }

  /**
   * Logs a browser in: creates the session, deletes the session the request's cookie named before
   * (it is never kept, whoever it belongs to), sets the new cookie on `reply` and attaches the new
   * auth state to the request. If the old session cannot be deleted, the new one is deleted too
   * and the error propagates: the login fails rather than leave a planted id alive.
   */
  async login(request: unknown, reply: Reply, login: LoginInput): Promise<UserSession> {
    const previous = this.presentedCookie(request);
    const session = await this.create(login);
    if (previous !== undefined && previous !== session.sessionId) {
      try {
        await this.sessions.deleteSession(previous);
      } catch (error) {
        await this.sessions.deleteSession(session.sessionId).catch((cleanup: unknown) => {
          this.logger.error(`A login left session of ${session.userId} behind: ${String(cleanup)}`);
        });
        throw error;
      }
    }
    this.setSessionCookie(reply, session);
    attachAuthState(request, this.auth.stateOf(session));
    return session;
  }

  /**
   * Moves the request's session to a new id after a privilege change (the old id stops working at
   * once), sets the new cookie on `reply` and attaches the new state to the request. `null` when
   * the request has no live session.
   */
  async rotate(request: unknown, reply: Reply): Promise<UserSession | null> {
    const sessionId = await this.sessionIdOf(request);
    if (sessionId === undefined) {
      return null;
    }
    const rotated = await this.sessions.rotateSession(sessionId);
    if (rotated) {
      this.setSessionCookie(reply, rotated);
      attachAuthState(request, this.auth.stateOf(rotated));
    }
    return rotated;
  }

  /**
   * Logs out: deletes the request's session (named by its cookie or bearer) and clears the
   * cookie. Returns whether a live session was deleted. When the store cannot delete it, the
   * error propagates and the cookie stays: a "logged out" browser must not keep a live session.
   */
  async logout(request: unknown, reply: Reply): Promise<boolean> {
    const sessionId = this.presentedSessionId(request);
    const known = authStateOf(request)?.session;
    const userId =
      known?.sessionId === sessionId
        ? known?.userId
        : sessionId !== undefined
          ? (await this.sessions.getSession(sessionId))?.userId
          : undefined;
    const deleted = sessionId !== undefined && (await this.sessions.deleteSession(sessionId));
    this.clearSessionCookie(reply);
    if (deleted && userId !== undefined) {
      await this.notifyEnded(userId, [sessionId]);
    }
    return deleted;
  }

  /** Tells `SessionEndings` (when the app has one) that sessions were deleted; never throws. */
  async notifyEnded(userId: string, sessionIds: readonly string[]): Promise<void> {
    if (!this.endings || sessionIds.length === 0) {
      return;
    }
    try {
      await this.endings.sessionsEnded(userId, sessionIds);
    } catch (error) {
      // The sessions are gone already; live connections find out when they are reconciled.
      this.logger.warn(`Could not announce the end of sessions of ${userId}: ${String(error)}`);
    }
  }

  /** The `Set-Cookie` value for a session; `Max-Age` ends with the session. */
  sessionCookie(session: Pick<UserSession, 'sessionId' | 'expiresAt'>, now = Date.now()): string {
    if (!isSessionIdShape(session.sessionId)) {
      // Cookie values are never encoded (one id, one spelling), so only cookie-safe ids go out.
      throw new TypeError('A session id outside the session-id charset cannot be a cookie');
    }
    return this.cookie(session.sessionId, Math.floor((session.expiresAt - now) / 1000));
  }

  /** The `Set-Cookie` value that removes the session cookie. */
  clearedSessionCookie(): string {
    return this.cookie('', 0);
  }

  /** Adds the session's cookie to an Express response, a Fastify reply or a Node response. */
  setSessionCookie(reply: Reply, session: Pick<UserSession, 'sessionId' | 'expiresAt'>): void {
    appendSetCookie(reply, this.sessionCookie(session));
  }

  /** Adds the cookie that removes the session cookie. */
  clearSessionCookie(reply: Reply): void {
    appendSetCookie(reply, this.clearedSessionCookie());
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    const attributes = [
      `${this.cookieName}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Max-Age=${Math.max(0, maxAgeSeconds)}`,
    ];
    if (this.options.secureCookies) {
      attributes.push('Secure');
    }
    return attributes.join('; ');
  }

  private headersOf(request: unknown): RequestHeaders {
    return (request as { headers?: RequestHeaders } | undefined)?.headers ?? {};
  }

  /** The session id the request's cookie names, if it could name one; no store lookup. */
  private presentedCookie(request: unknown): string | undefined {
    return presentedCredentials(
      this.headersOf(request),
      this.auth.cookieNames,
      this.options.authHeader,
    ).cookie;
  }

  /** The session id the request's cookie or bearer names, if it could name one. */
  private presentedSessionId(request: unknown): string | undefined {
    const { cookie, bearer } = presentedCredentials(
      this.headersOf(request),
      this.auth.cookieNames,
      this.options.authHeader,
    );
    const sessionId = cookie ?? bearer;
    return sessionId !== undefined && isSessionIdShape(sessionId) ? sessionId : undefined;
  }

  /** The id of the request's live session, as authentication resolved it. */
  private async sessionIdOf(request: unknown): Promise<string | undefined> {
    const state = await this.auth.resolveRequest(request);
    if (state.failure === 'backend_unavailable') {
      // Not knowing the session is no reason to skip a rotation the caller asked for.
      throw new StateBackendUnavailableError('The session store is unavailable');
    }
    return state.session?.sessionId;
  }
}
