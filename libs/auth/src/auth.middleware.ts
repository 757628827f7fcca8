import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthHttpException } from './auth.errors';
import { AuthService } from './auth.service';
import { ANONYMOUS } from './claims-principal';
import { setRequestAuth } from './request-auth';

/** Whether a path is public: an exact entry, or below an entry ending in `/*`. */
export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  const clean = path.split('?')[0];
  return publicPaths.some((entry) =>
    entry.endsWith('/*')
      ? clean.startsWith(entry.slice(0, -1)) || clean === entry.slice(0, -2)
      : clean === entry,
  );
}

/**
 * Resolves the session of every request: the session cookie, then `Authorization: Bearer`.
 * Sets `req.user` (a `ClaimsPrincipal`, `ANONYMOUS` when none) and `req.authSession`. Public
 * paths are skipped. Runs on Express and Fastify (where it sees the raw Node request).
 */
@Injectable()
export class AuthMiddleware implements NestMiddleware {
  constructor(private readonly auth: AuthService) {}

  async use(
    request: IncomingMessage & { originalUrl?: string },
    response: ServerResponse,
    next: (error?: unknown) => void,
  ): Promise<void> {
    if (
      this.auth.enabled &&
      isPublicPath(request.originalUrl ?? request.url ?? '/', this.auth.options.publicPaths)
    ) {
      setRequestAuth(request, { principal: ANONYMOUS, session: null, failure: null });
      return next();
    }
    try {
      setRequestAuth(
        request,
        await this.auth.authenticate(this.auth.credentialsOf(request.headers)),
      );
      next();
    } catch (error) {
      if (error instanceof AuthHttpException) {
        response.statusCode = error.getStatus();
        response.setHeader('Content-Type', 'application/json; charset=utf-8');
        response.end(JSON.stringify(error.getResponse()));
        return;
      }
      next(error);
    }
  }
}
