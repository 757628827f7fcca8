import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { AUTH_ERROR_CONTENT_TYPE, sendAuthError, type AuthMiddleware } from './auth.middleware';

/** The parts of the HTTP adapter, and of Express and Fastify, the hooks use. */
interface HttpAdapterLike {
  getType(): string;
  getInstance(): unknown;
}

type NextFunction = () => void;

interface ExpressLike {
  use(
    handler: (request: IncomingMessage, response: ServerResponse, next: NextFunction) => void,
  ): unknown;
}

interface FastifyRequestLike {
  raw: IncomingMessage;
}

interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body: unknown): FastifyReplyLike;
}

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>,
  ): unknown;
}

/** The body of an unexpected failure: never the error's own message. */
const INTERNAL_ERROR = Object.freeze({ error: 'internal_error', message: 'Internal server error' });

/**
 * Runs `AuthMiddleware` natively on Express (an `app.use` handler) and on Fastify (an `onRequest`
 * hook): the same work on the same raw request, without Nest's middleware layer (a path match and
 * a proxy on Express, `@fastify/middie` on Fastify) in the path of every request. Installed while
 * the app initializes, before Nest's own middleware and the routes. Unusable credentials get their
 * 4xx JSON body; an unexpected failure is logged and answered with a plain `internal_error` 500.
 * Returns false for other platforms, which use the Nest middleware.
 */
export function useAuthHook(adapter: HttpAdapterLike, middleware: AuthMiddleware): boolean {
  const logger = new Logger('AuthMiddleware');
  const failed = (error: unknown) => logger.error(`Resolving the session failed: ${String(error)}`);
  const type = adapter.getType();
  if (type === 'express') {
    (adapter.getInstance() as ExpressLike).use((request, response, next) => {
      middleware.attach(request).then(
        (failure) =>
          failure
            ? sendAuthError(
                response,
                failure.getStatus(),
                failure.getResponse(),
                failure.retryAfterSeconds,
              )
            : next(),
        (error: unknown) => {
          failed(error);
          sendAuthError(response, 500, INTERNAL_ERROR);
        },
      );
    });
    return true;
  }
  if (type === 'fastify') {
    (adapter.getInstance() as FastifyLike).addHook('onRequest', async (request, reply) => {
      let failure;
      try {
        failure = await middleware.attach(request.raw);
      } catch (error) {
        failed(error);
        return reply.code(500).header('content-type', AUTH_ERROR_CONTENT_TYPE).send(INTERNAL_ERROR);
      }
      if (failure) {
        reply.code(failure.getStatus()).header('content-type', AUTH_ERROR_CONTENT_TYPE);
        if (failure.retryAfterSeconds !== undefined) {
          reply.header('retry-after', String(failure.retryAfterSeconds));
        }
        return reply.send(failure.getResponse());
      }
      return undefined;
    });
    return true;
  }
  return false;
}
