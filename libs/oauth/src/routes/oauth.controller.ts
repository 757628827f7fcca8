import { createHash } from 'node:crypto';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Logger,
  Optional,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  AuthHttpException,
  LoginSessions,
  Public,
  appendSetCookie,
  authStateOf,
  readCookie,
  setReplyHeader,
  type Claim,
  type RequestHeaders,
} from '@livegate/auth';
import { SessionStore, TransientStore, effectiveRoles, type UserSession } from '@livegate/state';
import { OAUTH_RESOLVED } from '../oauth.constants';
import { AuthenticationError, OAuthError } from '../oauth.errors';
import type { ResolvedOAuth } from '../oauth.options';
import { LoginTransactions } from '../flow/login-transactions';
import { TokenRefresher } from '../flow/token-refresher';
import type { LogoutRequest, OAuthProvider } from '../providers/oauth-provider';
import { OidcProvider } from '../providers/oidc.provider';
import { TokenStore } from '../token-stores/token-store';
import { OAuthExceptionFilter } from './oauth-exception.filter';
import { errorPage, noStore } from './response-headers';
import { OAuthLoginUsers } from './oauth-login-users';
import { assertSameOrigin } from './same-origin';

interface RequestLike {
  headers: RequestHeaders;
  url?: string;
  originalUrl?: string;
}

interface ReplyLike {
  status(code: number): unknown;
}

/**
 * The login routes: `GET /auth/login` (and `/auth/<provider>/login` with several providers),
 * `GET /auth/callback`, `POST /auth/refresh`, `POST /auth/logout`, `GET /auth/userinfo` and
 * `GET /auth/status`, with the JSON shapes of the reference. The callback answers a browser: a
 * redirect to the return path, or a static error page.
 */
@Controller('auth')
@UseFilters(OAuthExceptionFilter)
export class OAuthController {
  private readonly logger = new Logger('OAuth');
  private readonly transactions: LoginTransactions;

  constructor(
    @Inject(OAUTH_RESOLVED) private readonly oauth: ResolvedOAuth,
    private readonly logins: LoginSessions,
    private readonly tokens: TokenStore,
    private readonly transient: TransientStore,
    private readonly sessions: SessionStore,
    private readonly refresher: TokenRefresher,
    @Optional() private readonly users?: OAuthLoginUsers,
  ) {
    this.transactions = new LoginTransactions(transient, oauth.settings.stateMaxAgeSeconds);
  }

  /** The transaction cookie: `__Host-` prefixed when the session cookie is. */
  private get transactionCookie(): string {
    return this.logins.cookieName.startsWith('__Host-')
      ? '__Host-livegate_oauth'
      : 'livegate_oauth';
  }

  private transactionCookieValue(value: string, maxAge: number): string {
    const secure = this.logins.cookieName.startsWith('__Host-');
    return [
      `${this.transactionCookie}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Max-Age=${maxAge}`,
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  }

  private provider(name: string | undefined): OAuthProvider {
    if (name === undefined) {
      if (this.oauth.providers.size !== 1) {
        throw new AuthHttpException(
          404,
          'not_found',
          `Choose a provider: ${[...this.oauth.providers.keys()].map((key) => `/auth/${key}/login`).join(', ')}`,
        );
      }
      return [...this.oauth.providers.values()][0];
    }
    const provider = this.oauth.providers.get(name);
    if (!provider) {
      throw new AuthHttpException(404, 'not_found', 'No such login provider');
    }
    return provider;
  }

  @Public()
  @Get('login')
  login(
    @Query('returnTo') returnTo: unknown,
    @Res({ passthrough: true }) reply: ReplyLike,
  ): Promise<void> {
    return this.startLogin(undefined, returnTo, reply);
  }

  @Public()
  @Get(':provider/login')
  providerLogin(
    @Param('provider') provider: string,
    @Query('returnTo') returnTo: unknown,
    @Res({ passthrough: true }) reply: ReplyLike,
  ): Promise<void> {
    return this.startLogin(provider, returnTo, reply);
  }

  private async startLogin(
    name: string | undefined,
    returnTo: unknown,
    reply: ReplyLike,
  ): Promise<void> {
    const provider = this.provider(name);
    const started = await this.transactions.begin(
      provider,
      this.oauth.redirectUriOf(provider),
      returnTo,
    );
    noStore(reply);
    appendSetCookie(
      reply,
      this.transactionCookieValue(started.cookieValue, this.oauth.settings.stateMaxAgeSeconds),
    );
    setReplyHeader(reply, 'Location', started.url.href);
    reply.status(302);
  }

  @Public()
  @Get('callback')
  callback(
    @Req() request: RequestLike,
    @Res({ passthrough: true }) reply: ReplyLike,
  ): Promise<string | undefined> {
    return this.finishLogin(undefined, request, reply);
  }

  @Public()
  @Get(':provider/callback')
  providerCallback(
    @Param('provider') provider: string,
    @Req() request: RequestLike,
    @Res({ passthrough: true }) reply: ReplyLike,
  ): Promise<string | undefined> {
    return this.finishLogin(provider, request, reply);
  }

  private async finishLogin(
    name: string | undefined,
    request: RequestLike,
    reply: ReplyLike,
  ): Promise<string | undefined> {
    // The transaction cookie goes whatever happens: a transaction serves one callback.
    appendSetCookie(reply, this.transactionCookieValue('', 0));
    let provider: OAuthProvider | undefined;
    try {
      provider = this.provider(name);
      const callbackUrl = new URL(request.originalUrl ?? request.url ?? '/', this.oauth.origin);
      const params = callbackUrl.searchParams;
      const cookie = readCookie(request.headers, this.transactionCookie);
      const transaction = await this.transactions.finish(
        provider,
        cookie.malformed ? undefined : cookie.value,
        params.getAll('state').length === 1 ? params.get('state') : undefined,
      );
      if (params.has('error')) {
        const code = /^[\w.-]{1,64}$/.test(params.get('error') ?? '')
          ? params.get('error')
          : 'an error';
        throw new AuthenticationError(`The provider refused the login: ${code}`, {
          provider: provider.name,
        });
      }
      const { tokens, user, providerSessionId } = await provider.completeLogin(
        callbackUrl,
        transaction,
      );
      const known = this.users ? await this.users.signIn(provider.name, user) : undefined;
      const userId = known?.userId ?? `${provider.name}:${user.subject}`;
      const session = await this.logins.login(request, reply, {
        userId,
        // ADMIN_USERS names provider-qualified ids, also when the app's own user id is used.
        aliases: [`${provider.name}:${user.subject}`],
        ...(known?.roles ? { roles: known.roles } : {}),
        ...(known?.claims ? { claims: known.claims } : {}),
        ...(user.email ? { email: user.email } : {}),
        emailVerified: user.emailVerified,
        metadata: {
          user_info: known?.displayName ? { ...user.raw, name: known.displayName } : user.raw,
          provider: provider.name,
          issuer: user.issuer,
          ...(providerSessionId ? { provider_session_id: providerSessionId } : {}),
        },
      });
      if (this.users) {
        await this.catchUp(provider.name, session);
      }
      await this.tokens.save(userId, tokens);
      if (providerSessionId) {
        // A logout token may name the provider's session only: remember whose it is.
        await this.transient.set(
          sidKey(provider.name, providerSessionId),
          userId,
          Math.max(1, (session.expiresAt - Date.now()) / 1000),
        );
      }
      noStore(reply);
      setReplyHeader(reply, 'Location', transaction.returnTo);
      reply.status(303);
      return undefined;
    } catch (error) {
      const status =
        error instanceof OAuthError
          ? error.status
          : error instanceof AuthHttpException
            ? error.getStatus()
            : 503;
      const message =
        error instanceof OAuthError || error instanceof AuthHttpException
          ? error.message
          : 'The login could not be completed: try again in a moment';
      this.logger.warn(`A ${provider?.name ?? 'login'} callback was refused: ${message}`);
      reply.status(status === 503 ? 503 : status >= 500 ? 502 : status === 404 ? 404 : 400);
      return errorPage(reply, 'Sign-in failed', message);
    }
  }

  private session(request: unknown): UserSession {
    const session = authStateOf(request)?.session;
    if (!session) {
      throw new AuthHttpException(401, 'unauthorized', 'Authentication required');
    }
    return session;
  }

  @Public()
  @Get('status')
  status(@Req() request: unknown, @Res({ passthrough: true }) reply: unknown) {
    noStore(reply);
    const session = authStateOf(request)?.session;
    return session
      ? {
          authenticated: true,
          user_id: session.userId,
          roles: effectiveRoles(session),
          expires_at: session.expiresAt / 1000,
        }
      : { authenticated: false, user_id: null, roles: [], expires_at: null };
  }

  @Public()
  @Get('userinfo')
  userinfo(@Req() request: unknown, @Res({ passthrough: true }) reply: unknown) {
    noStore(reply);
    const session = this.session(request);
    return {
      user_id: session.userId,
      roles: effectiveRoles(session),
      user_info: session.metadata.user_info ?? null,
    };
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Req() request: RequestLike, @Res({ passthrough: true }) reply: unknown) {
    noStore(reply);
    assertSameOrigin(request.headers, this.oauth.origin);
    const session = this.session(request);
    const provider = this.providerOf(session);
    const renewed = await this.refresher.refresh(session.userId, provider);
    return {
      refreshed: true,
      expires_at: renewed.expiresAt === undefined ? null : renewed.expiresAt / 1000,
    };
  }

  @Public()
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: RequestLike, @Res({ passthrough: true }) reply: unknown) {
    noStore(reply);
    assertSameOrigin(request.headers, this.oauth.origin);
    const session = authStateOf(request)?.session;
    if (session) {
      const stored = await this.tokens.load(session.userId).catch(() => null);
      const provider = this.oauth.providers.get(String(session.metadata.provider));
      if (stored && provider) {
        // Refresh token first: revoking it ends the grant the access token came from.
        for (const [token, hint] of [
          [stored.refreshToken, 'refresh_token'],
          [stored.accessToken, 'access_token'],
        ] as const) {
          if (token) {
            await provider
              .revoke(token, hint)
              .catch((error: unknown) =>
                this.logger.warn(
                  `Revoking a ${provider.name} token at logout failed: ${(error as Error).message}`,
                ),
              );
          }
        }
      }
      await this.tokens.delete(session.userId);
    }
    const loggedOut = await this.logins.logout(request, reply);
    return { logged_out: loggedOut };
  }

  /**
   * OpenID Connect Back-Channel Logout: the provider posts a logout token; a verified one (its
   * `jti` accepted once, on every worker) deletes the sessions it names, by the provider's session
   * id or every session of its user.
   */
  @Public()
  @Post('backchannel-logout')
  @HttpCode(200)
  async backchannelLogout(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: unknown,
  ): Promise<{ deleted: number }> {
    noStore(reply);
    const token = (body as { logout_token?: unknown } | null)?.logout_token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 16 * 1024) {
      throw new AuthHttpException(400, 'invalid_input', 'A logout_token is required');
    }
    let provider: OAuthProvider;
    let logout: LogoutRequest;
    try {
      provider = this.providerOfIssuer(unverifiedIssuer(token));
      logout = await provider.verifyLogoutToken(token);
    } catch (error) {
      if (error instanceof OAuthError) {
        // The specification answers a refused logout token with 400.
        this.logger.warn(error.message);
        throw new AuthHttpException(400, 'invalid_input', error.message);
      }
      throw error;
    }
    const first = await this.transient.add(
      `oauth:logout:${digest(`${logout.issuer} ${logout.tokenId}`)}`,
      '1',
      Math.max(1, (logout.expiresAt - Date.now()) / 1000),
    );
    if (!first) {
      throw new AuthHttpException(400, 'invalid_input', 'This logout token was already used');
    }
    const userId = logout.subject
      ? this.users
        ? await this.users.userIdOf(provider.name, {
            issuer: logout.issuer,
            subject: logout.subject,
          })
        : `${provider.name}:${logout.subject}`
      : await this.transient.get(sidKey(provider.name, logout.providerSessionId!));
    if (!userId) {
      return { deleted: 0 };
    }
    const named = (await this.sessions.listUserSessions(userId)).filter(
      (session) =>
        logout.providerSessionId === undefined ||
        session.metadata.provider_session_id === logout.providerSessionId,
    );
    let deleted = 0;
    const ended: string[] = [];
    for (const session of named) {
      if (await this.sessions.deleteSession(session.sessionId)) {
        deleted += 1;
        ended.push(session.sessionId);
      }
    }
    await this.logins.notifyEnded(userId, ended);
    if ((await this.sessions.listUserSessions(userId)).length === 0) {
      await this.tokens.delete(userId);
    }
    this.logger.log(`Back-channel logout from ${provider.name}: ${deleted} session(s) ended`);
    return { deleted };
  }

  /**
   * Brings a login's new session up to its user as `OAuthLoginUsers` knows it now: a change made
   * while the session was being made reached only the sessions that existed then.
   */
  private async catchUp(provider: string, session: UserSession): Promise<void> {
    const claims = await this.users!.claimsNow(session.userId);
    if (claims === null) {
      await this.sessions.deleteSession(session.sessionId);
      throw new AuthenticationError('This account is disabled', { provider });
    }
    const held = Array.isArray(session.metadata.claims) ? (session.metadata.claims as Claim[]) : [];
    const same =
      claims === undefined ||
      (claims.length === held.length &&
        claims.every((claim) =>
          held.some((other) => other.type === claim.type && other.value === claim.value),
        ));
    if (!same) {
      await this.sessions.updateSession(session.sessionId, {
        claims: claims.map(({ type, value }) => ({ type, value })),
      });
    }
  }

  private providerOfIssuer(issuer: string | undefined): OAuthProvider {
    const provider = [...this.oauth.providers.values()].find(
      (candidate) => candidate instanceof OidcProvider && candidate.issuer === issuer,
    );
    if (!provider) {
      throw new AuthenticationError('The logout token comes from no configured provider');
    }
    return provider;
  }

  private providerOf(session: UserSession): OAuthProvider {
    const provider = this.oauth.providers.get(String(session.metadata.provider));
    if (!provider) {
      throw new AuthHttpException(
        400,
        'invalid_input',
        'This session was not made by an OAuth login',
      );
    }
    return provider;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The transient key mapping a provider's session id to the user it belongs to. */
function sidKey(provider: string, providerSessionId: string): string {
  return `oauth:sid:${digest(`${provider} ${providerSessionId}`)}`;
}

/** The `iss` a JWT claims, read before verification only to choose whose keys verify it. */
function unverifiedIssuer(token: string): string | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as {
      iss?: unknown;
    };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}
