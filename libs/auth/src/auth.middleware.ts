import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthHttpException } from './auth.errors';
import { AuthService, PUBLIC_PATH_STATE } from './auth.service';
import { attachAuthState } from './request-auth';

/** Whether a path is public: an exact entry, or below an entry ending in `/*`. */
export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  const query = path.indexOf('?');
  const clean = query < 0 ? path : path.slice(0, query);
  return publicPaths.some((entry) =>
    entry.endsWith('/*')
      ? clean.startsWith(entry.slice(0, -1)) || clean === entry.slice(0, -2)
      : clean === entry,
  );
}

type NodeRequest = IncomingMessage & { originalUrl?: string };

/** The media type of the JSON error bodies the middleware answers with. */
export const AUTH_ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Ends a raw Node response with a JSON error body (and `Retry-After` on a "try later" one). */
export function sendAuthError(
  response: ServerResponse,
  status: number,
  body: unknown,
  retryAfterSeconds?: number,
): void {
  response.statusCode = status;
  response.setHeader('Content-Type', AUTH_ERROR_CONTENT_TYPE);
  if (retryAfterSeconds !== undefined) {
    response.setHeader('Retry-After', String(retryAfterSeconds));
  }
  response.end(JSON.stringify(body));
}

/**
 * Resolves the session of every request: the session cookie, then `Authorization: Bearer`.
 * Sets `req.user` (a `ClaimsPrincipal`, `ANONYMOUS` when none) and `req.authSession`. Public
 * paths are skipped. `AuthModule` runs it natively on Express and Fastify (see `useAuthHook`), on
 * the raw Node request; it is also usable as a Nest middleware.
 */
@Injectable()
export class AuthMiddleware implements NestMiddleware {
  constructor(private readonly auth: AuthService) {}

  async use(request: NodeRequest, response: ServerResponse, next: (error?: unknown) => void) {
    let failure: AuthHttpException | undefined;
    try {
      failure = await this.attach(request);
    } catch (error) {
      return next(error);
    }
    if (!failure) {
      return next();
    }
    sendAuthError(response, failure.getStatus(), failure.getResponse(), failure.retryAfterSeconds);
  }

  /**
   * Resolves and attaches the auth state of a request. Returns the error to answer with when
   * the credentials cannot be used at all (conflicting credentials: 400); anything else is
   * attached and left to the guard.
   */
  async attach(request: NodeRequest): Promise<AuthHttpException | undefined> {
    if (
      this.auth.enabled &&
      isPublicPath(request.originalUrl ?? request.url ?? '/', this.auth.options.publicPaths)
    ) {
      attachAuthState(request, PUBLIC_PATH_STATE);
      return undefined;
    }
    try {
      attachAuthState(request, await this.auth.authenticate(request.headers));
      return undefined;
    } catch (error) {
      if (error instanceof AuthHttpException) {
        return error;
      }
      throw error;
    }
  }
}
