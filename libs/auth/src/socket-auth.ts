import { Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { AuthHttpException } from './auth.errors';
import { AuthService } from './auth.service';
import { carriesCookie } from './credentials';
import { attachAuthState, type AuthState } from './request-auth';

/** The error a rejected handshake gets as `connect_error` (`error.message === 'unauthorized'`). */
export class SocketAuthError extends Error {
  readonly data: { error: 'unauthorized'; message: string };

  constructor(reason: string) {
    super('unauthorized');
    this.data = { error: 'unauthorized', message: reason };
  }
}

/**
 * `?session=` of a handshake, read from the URL itself: engine.io keeps only the last of repeated
 * parameters, and a repeated one must be refused, not silently narrowed to one value. Anything
 * but exactly one value comes back as an array (or as it was parsed), which `authenticate`
 * refuses.
 */
function sessionQueryOf(handshake: Socket['handshake']): unknown {
  const parsed = (handshake.query as Record<string, unknown>).session;
  let values: string[];
  try {
    values = new URL(handshake.url, 'http://handshake.invalid').searchParams.getAll('session');
  } catch {
    return [parsed];
  }
  if (
    values.length > 1 ||
    (parsed !== undefined && (values.length !== 1 || parsed !== values[0]))
  ) {
    return values.length > 1 ? values : [parsed, ...values];
  }
  return values[0];
}

/**
 * Authenticates socket.io connections at the handshake (Nest guards do not run on
 * `handleConnection`), through the same `AuthService.authenticate` as HTTP requests: the session
 * cookie, `auth.token` or the `Authorization` bearer, or `?session=`. A browser's Origin must be
 * on the allow-list (same origin when empty); a handshake carrying the session cookie must come
 * with an Origin at all. A widget connection (`auth.widgetId`) also needs that widget's token.
 * Install with `server.use(authenticator.middleware())` in a gateway's `afterInit`.
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
  async authenticate(socket: Socket): Promise<AuthState> {
    const { headers } = socket.handshake;
    const payload = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    this.checkOrigin(headers);
    let auth: AuthState;
    try {
      auth = await this.auth.authenticate(headers, {
        query: sessionQueryOf(socket.handshake),
        token: payload.token,
      });
    } catch (error) {
      throw new SocketAuthError(
        error instanceof AuthHttpException ? error.message : 'Authentication failed',
      );
    }
    if (auth.failure === 'backend_unavailable') {
      throw new SocketAuthError('The session store is unavailable');
    }
    if (this.auth.enabled && !auth.principal.isAuthenticated) {
      throw new SocketAuthError(
        auth.failure === 'invalid_credentials'
          ? 'The session is invalid or has expired'
          : 'Authentication required',
      );
    }
    const widgetId = payload.widgetId;
    if (widgetId !== undefined) {
      if (!this.auth.validateWidgetToken(payload.widgetToken, widgetId)) {
        throw new SocketAuthError('A valid widget token for this widget is required');
      }
      (socket.data as Record<string, unknown>).widgetId = widgetId;
    }
    attachAuthState(socket, auth);
    return auth;
  }

  private checkOrigin(headers: Socket['handshake']['headers']): void {
    const origin = headers.origin;
    if (origin === undefined) {
      // Cross-site WebSocket hijacking rides on the browser's cookie, and browsers always send
      // Origin: a cookie without one comes from no browser, or a stripped one. Explicit bearers
      // (auth.token, Authorization, ?session=) and widget tokens are never sent by themselves.
      if (carriesCookie(headers, this.auth.cookieNames)) {
        throw new SocketAuthError('A handshake with the session cookie needs an Origin');
      }
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
