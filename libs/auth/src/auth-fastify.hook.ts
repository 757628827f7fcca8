import type { IncomingMessage } from 'node:http';
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
  (instance as FastifyInstanceLike).addHook('onRequest', async (request, reply) => {
    const failure = await middleware.attach(request.raw);
    if (failure) {
      return reply
        .code(failure.getStatus())
        .header('content-type', AUTH_ERROR_CONTENT_TYPE)
        .send(failure.getResponse());
    }
    return undefined;
  });
}
