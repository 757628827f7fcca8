import { Logger } from '@nestjs/common';
import { useFastifyAuthHook } from './auth-fastify.hook';
import type { AuthMiddleware } from './auth.middleware';
import { conflictingCredentials } from './auth.errors';

type Hook = (request: { raw: object }, reply: Reply) => Promise<unknown>;

class Reply {
  status = 200;
  headers: Record<string, string> = {};
  body: unknown;
  code(status: number) {
    this.status = status;
    return this;
  }
  header(name: string, value: string) {
    this.headers[name] = value;
    return this;
  }
  send(body: unknown) {
    this.body = body;
    return this;
  }
}

function install(attach: AuthMiddleware['attach']): Hook {
  let hook: Hook | undefined;
  useFastifyAuthHook(
    {
      addHook: (name: string, added: Hook) => {
        expect(name).toBe('onRequest');
        hook = added;
      },
    },
    { attach } as AuthMiddleware,
  );
  return hook!;
}

describe('useFastifyAuthHook', () => {
  it('lets a resolved request through untouched', async () => {
    const reply = new Reply();
    const raw = {};
    const attach = jest.fn().mockResolvedValue(undefined);
    expect(await install(attach)({ raw }, reply)).toBeUndefined();
    expect(attach).toHaveBeenCalledWith(raw);
    expect(reply.body).toBeUndefined();
  });

  it('answers unusable credentials with their status and JSON error body', async () => {
    const reply = new Reply();
    const failure = conflictingCredentials();
    expect(await install(async () => failure)({ raw: {} }, reply)).toBe(reply);
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.body).toEqual(failure.getResponse());
  });

  it('answers an unexpected failure with a plain 500, never its message', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const reply = new Reply();
    const hook = install(async () => {
      throw new Error('secret detail');
    });
    expect(await hook({ raw: {} }, reply)).toBe(reply);
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: 'internal_error', message: 'Internal server error' });
    expect(JSON.stringify(reply.body)).not.toContain('secret');
  });
});
