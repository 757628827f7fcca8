import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import { AUTH_ERROR_CONTENT_TYPE, type AuthMiddleware } from './auth.middleware';

/** The parts of a Fastify request and reply the hook uses. */
interface FastifyRequestLike {
  raw: IncomingMessage;
}

interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body: unknown): FastifyReplyLike;
}

interface FastifyInstanceLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>,
  ): unknown;
}

/**
 * Runs `AuthMiddleware` as a Fastify `onRequest` hook: the same work on the same raw request,
 * without a Nest middleware (and `@fastify/middie`) in the path of every request. Added while
 * the app initializes, before its routes are registered, so it runs for every route.
 */
export function useFastifyAuthHook(instance: unknown, middleware: AuthMiddleware): void {
  const logger = new Logger('AuthMiddleware');
  (instance as FastifyInstanceLike).addHook('onRequest', async (request, reply) => {
    let failure;
    try {
      failure = await middleware.attach(request.raw);
    } catch (error) {
      // Never a raw error message to the client: the same body as any internal error.
      logger.error(`Resolving the session failed: ${String(error)}`);
      return reply
        .code(500)
        .header('content-type', AUTH_ERROR_CONTENT_TYPE)
        .send({ error: 'internal_error', message: 'Internal server error' });
    }
    if (failure) {
      return reply
        .code(failure.getStatus())
        .header('content-type', AUTH_ERROR_CONTENT_TYPE)
        .send(failure.getResponse());
    }
    return undefined;
  });
}
