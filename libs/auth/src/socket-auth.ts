import { Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { AuthHttpException } from './auth.errors';
import { AuthService } from './auth.service';
import { presentedCredentials } from './credentials';
import { setRequestAuth, type RequestAuth } from './request-auth';

/** The error a rejected handshake gets as `connect_error` (`error.message === 'unauthorized'`). */
export class SocketAuthError extends Error {
  readonly data: { error: 'unauthorized'; message: string };

  constructor(reason: string) {
    super('unauthorized');
    this.data = { error: 'unauthorized', message: reason };
  }
}

/**
 * Authenticates socket.io connections at the handshake (Nest guards do not run on
 * `handleConnection`): checks the Origin against the allow-list (same origin when empty), reads
 * the session from the cookie, `auth.token` or `?session=`, and for a widget connection
 * (`auth.widgetId`) requires that widget's token. Install with
 * `server.use(authenticator.middleware())` in a gateway's `afterInit`.
 */
@Injectable()
export class SocketAuthenticator {
  private readonly logger = new Logger(SocketAuthenticator.name);

  constructor(private readonly auth: AuthService) {}

  middleware(): (socket: Socket, next: (error?: Error) => void) => void {
    return (socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          if (!(error instanceof SocketAuthError)) {
            this.logger.warn(`Handshake rejected: ${String(error)}`);
          }
          next(
            error instanceof SocketAuthError ? error : new SocketAuthError('Authentication failed'),
          );
        },
      );
    };
  }

  /** Resolves and attaches the handshake's auth state, or rejects with `SocketAuthError`. */
  async authenticate(socket: Socket): Promise<RequestAuth> {
    const { headers, auth: payload, query } = socket.handshake;
    this.checkOrigin(headers);
    const token = (payload as Record<string, unknown> | undefined)?.token;
    const credentials = presentedCredentials(
      headers,
      this.auth.cookieNames,
      this.auth.options.authHeader,
      query.session,
    );
    if (token !== undefined) {
      if (typeof token !== 'string' || token.length === 0 || token.length > 512) {
        throw new SocketAuthError('Malformed auth.token');
      }
      if (credentials.bearer !== undefined && credentials.bearer !== token) {
        throw new SocketAuthError('Conflicting credentials');
      }
      credentials.bearer = token;
    }
    let auth: RequestAuth;
    try {
      auth = await this.auth.authenticate(credentials);
    } catch (error) {
      throw new SocketAuthError(
        error instanceof AuthHttpException ? error.message : 'Authentication failed',
      );
    }
    if (auth.failure === 'backend_unavailable') {
      throw new SocketAuthError('The session store is unavailable');
    }
    if (this.auth.enabled && !auth.principal.isAuthenticated) {
      throw new SocketAuthError('Authentication required');
    }
    const widgetId = (payload as Record<string, unknown> | undefined)?.widgetId;
    if (widgetId !== undefined) {
      const widgetToken = (payload as Record<string, unknown>).widgetToken;
      if (!this.auth.validateWidgetToken(widgetToken, widgetId)) {
        throw new SocketAuthError('A valid widget token for this widget is required');
      }
      (socket.data as Record<string, unknown>).widgetId = widgetId;
    }
    setRequestAuth(socket.data, auth);
    return auth;
  }

  private checkOrigin(headers: Socket['handshake']['headers']): void {
    const origin = headers.origin;
    if (origin === undefined) {
      // Not a browser: cross-site WebSocket hijacking needs a browser, which always sends Origin.
      return;
    }
    const allowed = this.auth.options.allowedOrigins;
    if (allowed.includes(origin)) {
      return;
    }
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      throw new SocketAuthError('Origin not allowed');
    }
    if (allowed.length === 0 && host === headers.host) {
      return;
    }
    throw new SocketAuthError('Origin not allowed');
  }
}
