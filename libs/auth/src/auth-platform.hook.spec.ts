import { Logger } from '@nestjs/common';
import { useAuthHook } from './auth-platform.hook';
import type { AuthMiddleware } from './auth.middleware';
import { RETRY_AFTER_SECONDS } from '@livegate/state';
import { backendUnavailable, conflictingCredentials } from './auth.errors';

type FastifyHook = (request: { raw: object }, reply: Reply) => Promise<unknown>;
type ExpressHandler = (request: object, response: Response, next: () => void) => void;

class Reply {
  status = 200;
  headers: Record<string, string> = {};
  body: unknown;
  code(status: number) {
    this.status = status;
    return this;
  }
  header(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  send(body: unknown) {
    this.body = body;
    return this;
  }
}

class Response {
  statusCode = 200;
  headers: Record<string, string> = {};
  body: unknown;
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  end(text: string) {
    this.body = JSON.parse(text);
  }
}

const middlewareWith = (attach: AuthMiddleware['attach']) => ({ attach }) as AuthMiddleware;

function fastifyHook(attach: AuthMiddleware['attach']): FastifyHook {
  let hook: FastifyHook | undefined;
  const instance = {
    addHook: (name: string, added: FastifyHook) => {
      expect(name).toBe('onRequest');
      hook = added;
    },
  };
  expect(
    useAuthHook({ getType: () => 'fastify', getInstance: () => instance }, middlewareWith(attach)),
  ).toBe(true);
  return hook!;
}

/** Runs a request through the Express handler; resolves with whether it called `next`. */
function expressRequest(attach: AuthMiddleware['attach'], response: Response): Promise<boolean> {
  let handler: ExpressHandler | undefined;
  const instance = { use: (added: ExpressHandler) => (handler = added) };
  expect(
    useAuthHook({ getType: () => 'express', getInstance: () => instance }, middlewareWith(attach)),
  ).toBe(true);
  return new Promise((resolve) => {
    const end = response.end.bind(response);
    response.end = (text: string) => {
      end(text);
      resolve(false);
    };
    handler!({}, response, () => resolve(true));
  });
}

describe('useAuthHook', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('leaves other platforms to the Nest middleware', () => {
    expect(
      useAuthHook(
        { getType: () => 'other', getInstance: () => ({}) },
        middlewareWith(async () => undefined),
      ),
    ).toBe(false);
  });

  describe('on Fastify', () => {
    it('lets a resolved request through untouched', async () => {
      const reply = new Reply();
      const raw = {};
      const attach = jest.fn().mockResolvedValue(undefined);
      expect(await fastifyHook(attach)({ raw }, reply)).toBeUndefined();
      expect(attach).toHaveBeenCalledWith(raw);
      expect(reply.body).toBeUndefined();
    });

    it('answers unusable credentials with their status and JSON error body', async () => {
      const reply = new Reply();
      const failure = conflictingCredentials();
      expect(await fastifyHook(async () => failure)({ raw: {} }, reply)).toBe(reply);
      expect(reply.status).toBe(400);
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(reply.body).toEqual(failure.getResponse());
    });

    it('answers a "try later" failure with its Retry-After', async () => {
      const reply = new Reply();
      const failure = backendUnavailable();
      expect(await fastifyHook(async () => failure)({ raw: {} }, reply)).toBe(reply);
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS.backend_unavailable));
      expect(reply.body).toEqual({ error: 'backend_unavailable', message: expect.any(String) });
    });

    it('answers an unexpected failure with a plain 500, never its message', async () => {
      const reply = new Reply();
      const hook = fastifyHook(async () => {
        throw new Error('secret detail');
      });
      expect(await hook({ raw: {} }, reply)).toBe(reply);
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({ error: 'internal_error', message: 'Internal server error' });
    });
  });

  describe('on Express', () => {
    it('lets a resolved request through untouched', async () => {
      const response = new Response();
      expect(await expressRequest(async () => undefined, response)).toBe(true);
      expect(response.body).toBeUndefined();
    });

    it('answers unusable credentials with their status and JSON error body', async () => {
      const response = new Response();
      const failure = conflictingCredentials();
      expect(await expressRequest(async () => failure, response)).toBe(false);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.body).toEqual(failure.getResponse());
    });

    it('answers a "try later" failure with its Retry-After, and no other with one', async () => {
      const response = new Response();
      expect(await expressRequest(async () => backendUnavailable(), response)).toBe(false);
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS.backend_unavailable));
      const refused = new Response();
      expect(await expressRequest(async () => conflictingCredentials(), refused)).toBe(false);
      expect(refused.headers['retry-after']).toBeUndefined();
    });

    it('answers an unexpected failure with a plain 500, never its message', async () => {
      const response = new Response();
      const failing = async () => {
        throw new Error('secret detail');
      };
      expect(await expressRequest(failing, response)).toBe(false);
      expect(response.statusCode).toBe(500);
      expect(response.body).toEqual({ error: 'internal_error', message: 'Internal server error' });
    });
  });
});
