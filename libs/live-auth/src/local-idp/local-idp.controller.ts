import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  AuthHttpException,
  AuthService,
  LoginSessions,
  Public,
  setReplyHeader,
  type RequestHeaders,
} from '@livegate/auth';
import {
  SessionStore,
  StateExceptionFilter,
  StateValidationError,
  TransientStore,
  effectiveRoles,
  type UserSession,
} from '@livegate/state';
import type { UserRecord } from '../users/user-record';
import { UserStore } from '../users/user-store';
import { parseUsername } from '../users/username';
import { LOCAL_IDP_OPTIONS, type LocalIdpOptions } from './local-idp.options';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher, parsePassword } from './password-hasher';
import { assertSameSite } from './request-origin';

interface RequestLike {
  headers: RequestHeaders;
  ip?: string;
  socket?: { remoteAddress?: string };
  raw?: { socket?: { remoteAddress?: string } };
}

const CREDENTIAL_FIELDS = ['username', 'password'];
const TOKEN_FIELDS = ['token'];

/** The one answer for an unknown user, a wrong password and a disabled user. */
const INVALID_CREDENTIALS = () =>
  new AuthHttpException(401, 'unauthorized', 'The username or password is wrong');

/** A JSON object holding exactly `fields`, all strings; anything else is a 400 naming the field. */
function fieldsOf(body: unknown, fields: readonly string[]): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StateValidationError('body', `must be a JSON object with ${fields.join(' and ')}`);
  }
  for (const key of Object.keys(body)) {
    if (!fields.includes(key)) {
      throw new StateValidationError(key, 'is not accepted here');
    }
  }
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value !== 'string') {
      throw new StateValidationError(field, 'must be a string');
    }
    values[field] = value;
  }
  return values;
}

/** The client's address as the socket sees it (no proxy header is trusted). */
function addressOf(request: RequestLike): string {
  return (
    request.socket?.remoteAddress ?? request.raw?.socket?.remoteAddress ?? request.ip ?? 'unknown'
  );
}

/**
 * The local identity provider: `POST /auth/local/register`, `login`, `token`, `verify-token` and
 * `revoke`, with JSON bodies. Passwords are Argon2id; a wrong password, an unknown user and a
 * disabled one get the same 401 after the same work; sign-in attempts are limited per account and
 * per client address on every worker (429 with `Retry-After`, no hash computed); `register` makes
 * a user with the default roles only. Tokens are session ids (`Authorization: Bearer`), so a
 * revoked one fails on every worker at once.
 */
@Public()
@UseFilters(StateExceptionFilter)
@Controller('auth/local')
export class LocalIdpController {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly users: UserStore,
    private readonly hasher: PasswordHasher,
    private readonly logins: LoginSessions,
    private readonly sessions: SessionStore,
    private readonly auth: AuthService,
    transient: TransientStore,
    @Inject(LOCAL_IDP_OPTIONS) private readonly options: LocalIdpOptions,
  ) {
    this.throttle = new LoginThrottle(transient, options.limits);
  }

  @Post('register')
  @HttpCode(201)
  async register(@Body() body: unknown, @Req() request: RequestLike) {
    assertSameSite(request.headers, { origin: this.options.origin, browserRoute: true });
    const { username, password } = fieldsOf(body, CREDENTIAL_FIELDS);
    parseUsername(username);
    const passwordHash = await this.hasher.hash(password);
    const user = await this.users.createUser({ username, passwordHash });
    return { user_id: user.id, username: user.username };
  }

  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: unknown,
    @Req() request: RequestLike,
    @Res({ passthrough: true }) reply: unknown,
  ) {
    assertSameSite(request.headers, { origin: this.options.origin, browserRoute: true });
    const user = await this.authenticate(body, request, reply);
    const session = await this.caughtUp(
      user,
      await this.logins.login(request, reply, this.loginOf(user)),
    );
    return { user_id: user.id, username: user.username, roles: effectiveRoles(session) };
  }

  @Post('token')
  @HttpCode(200)
  async token(
    @Body() body: unknown,
    @Req() request: RequestLike,
    @Res({ passthrough: true }) reply: unknown,
  ) {
    assertSameSite(request.headers, { origin: this.options.origin, browserRoute: false });
    const user = await this.authenticate(body, request, reply);
    const session = await this.caughtUp(user, await this.logins.create(this.loginOf(user)));
    setReplyHeader(reply, 'Cache-Control', 'no-store');
    return {
      access_token: session.sessionId,
      token_type: 'Bearer',
      expires_in: Math.round((session.expiresAt - Date.now()) / 1000),
    };
  }

  @Post('verify-token')
  @HttpCode(200)
  async verifyToken(@Body() body: unknown, @Res({ passthrough: true }) reply: unknown) {
    const { token } = fieldsOf(body, TOKEN_FIELDS);
    setReplyHeader(reply, 'Cache-Control', 'no-store');
    const state = await this.auth.authenticate({ authorization: `Bearer ${token}` });
    if (!state.session || !state.principal.isAuthenticated) {
      throw new AuthHttpException(401, 'unauthorized', 'The token is not valid');
    }
    const { principal, session } = state;
    return {
      active: true,
      user_id: principal.userId,
      name: principal.name,
      roles: effectiveRoles(session),
      claims: principal.claims,
      expires_at: Math.floor(session.expiresAt / 1000),
    };
  }

  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() body: unknown, @Req() request: RequestLike) {
    assertSameSite(request.headers, { origin: this.options.origin, browserRoute: false });
    const { token } = fieldsOf(body, TOKEN_FIELDS);
    // RFC 7009: the same answer whether the token was live, unknown or malformed.
    if (/^[\w-]{1,256}$/.test(token)) {
      try {
        const session = await this.sessions.getSession(token);
        if (session && (await this.sessions.deleteSession(token))) {
          // Live connections of the session, on every worker, end now too.
          await this.logins.notifyEnded(session.userId, [token]);
        }
      } catch (error) {
        if (!(error instanceof StateValidationError)) {
          throw error;
        }
      }
    }
    return { revoked: true };
  }

  /** The user a username and password name, or the one 401; throttled attempts hash nothing. */
  private async authenticate(
    body: unknown,
    request: RequestLike,
    reply: unknown,
  ): Promise<UserRecord> {
    const { username, password } = fieldsOf(body, CREDENTIAL_FIELDS);
    const name = parseUsername(username);
    parsePassword(password);
    const throttled = await this.throttle.attempt(name.normalized, addressOf(request));
    if (throttled) {
      setReplyHeader(reply, 'Retry-After', String(throttled.retryAfterSeconds));
      throw new HttpException(
        { error: 'rate_limited', message: 'Too many sign-in attempts: try again later' },
        429,
      );
    }
    const user = await this.users.findByUsername(username);
    const matches = await this.hasher.verifyOrDummy(user?.passwordHash, password);
    if (!user || !matches || user.disabled) {
      throw INVALID_CREDENTIALS();
    }
    if (this.hasher.needsRehash(user.passwordHash!)) {
      await this.users.setPasswordHash(user.id, await this.hasher.hash(password));
    }
    return user;
  }

  /**
   * The new session, brought up to the row as it is now: a change of the user's claims (or a
   * disabling) that landed while the session was being made wrote the snapshots that existed
   * then, not this one.
   */
  private async caughtUp(user: UserRecord, session: UserSession): Promise<UserSession> {
    const latest = await this.users.findById(user.id);
    if (!latest || latest.disabled) {
      await this.sessions.deleteSession(session.sessionId);
      throw INVALID_CREDENTIALS();
    }
    if (latest.claimsVersion === user.claimsVersion) {
      return session;
    }
    const updated = await this.sessions.updateSession(session.sessionId, {
      claims: latest.claims.map(({ type, value }) => ({ type, value })),
    });
    if (!updated) {
      throw INVALID_CREDENTIALS();
    }
    return updated;
  }

  private loginOf(user: UserRecord) {
    return {
      userId: user.id,
      // ADMIN_USERS names local users as `local:<username>` (the normalized form).
      aliases: [`local:${parseUsername(user.username).normalized}`],
      // The row's claims, roles included, as the session snapshot live updates rewrite; the
      // session's own roles are the default ones (and admin for ADMIN_USERS).
      claims: user.claims.map(({ type, value }) => ({ type, value })),
      metadata: {
        user_info: { name: user.displayName, username: user.username },
        claims_version: user.claimsVersion,
      },
    };
  }
}
