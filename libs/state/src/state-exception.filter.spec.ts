import type { AddressInfo } from 'node:net';
import { Controller, Get, Header, Logger, Param, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  RETRY_AFTER_SECONDS,
  retryAfterSeconds,
  StateBackendBusyError,
  StateBackendUnavailableError,
  StateConfigurationError,
  StateNotFoundError,
  StateStorageFullError,
  StateValidationError,
  type StateError,
} from './state.errors';
import { StateExceptionFilter } from './state-exception.filter';

/** What a driver says when Redis is gone: it must never reach a client. */
const DRIVER_TEXT = "Stream isn't writeable and enableOfflineQueue options is false";

const ERRORS: Record<string, () => StateError> = {
  unavailable: () =>
    new StateBackendUnavailableError(`Redis command failed: ${DRIVER_TEXT}`, {
      cause: new Error(DRIVER_TEXT),
    }),
  busy: () => new StateBackendBusyError('The SQLite state database is locked'),
  full: () => new StateStorageFullError('SQLITE_FULL: database or disk is full'),
  configuration: () => new StateConfigurationError('The Redis URL has the password hunter2'),
  invalid: () => new StateValidationError('widgetId', 'must not be empty'),
  missing: () => new StateNotFoundError('No such widget'),
};

@Controller()
class FailingController {
  @Get('fail/:kind')
  @Header('Content-Type', 'text/html; charset=utf-8')
  fail(@Param('kind') kind: string): string {
    throw ERRORS[kind]();
  }
}

describe.each(['express', 'fastify'] as const)('StateExceptionFilter on %s', (platform) => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [FailingController],
      providers: [{ provide: APP_FILTER, useClass: StateExceptionFilter }],
    }).compile();
    app =
      platform === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  async function get(kind: string) {
    const response = await fetch(`${base}/fail/${kind}`);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      contentType: response.headers.get('content-type'),
      text: await response.text(),
    };
  }

  it.each([
    ['unavailable', 503, 'backend_unavailable', RETRY_AFTER_SECONDS.backend_unavailable],
    ['busy', 503, 'backend_busy', RETRY_AFTER_SECONDS.backend_busy],
    ['full', 507, 'storage_full', RETRY_AFTER_SECONDS.storage_full],
  ])(
    'answers %s with %i, its own code, Retry-After and a stable message',
    async (kind, status, code, seconds) => {
      const response = await get(kind);
      expect(response.status).toBe(status);
      expect(response.retryAfter).toBe(String(seconds));
      expect(response.contentType).toMatch(/^application\/json/);
      const body = JSON.parse(response.text) as { error: string; message: string };
      expect(body).toEqual({ error: code, message: expect.any(String) });
      expect(response.text).not.toMatch(/Stream|enableOfflineQueue|SQLITE|Redis command/);
    },
  );

  it('masks configuration errors as internal_error, without Retry-After or details', async () => {
    const response = await get('configuration');
    expect(response.status).toBe(500);
    expect(response.retryAfter).toBeNull();
    expect(JSON.parse(response.text)).toEqual({
      error: 'internal_error',
      message: 'Internal server error',
    });
    expect(response.text).not.toContain('hunter2');
  });

  it('passes client errors through with their own message and no Retry-After', async () => {
    const invalid = await get('invalid');
    expect(invalid.status).toBe(400);
    expect(invalid.retryAfter).toBeNull();
    expect(JSON.parse(invalid.text)).toEqual({
      error: 'invalid_input',
      message: 'widgetId: must not be empty',
    });
    const missing = await get('missing');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: 'not_found', message: 'No such widget' });
  });
});

describe('retryAfterSeconds', () => {
  it('gives seconds for the "try later" errors and their codes, nothing for the others', () => {
    expect(retryAfterSeconds(ERRORS.unavailable())).toBe(RETRY_AFTER_SECONDS.backend_unavailable);
    expect(retryAfterSeconds('backend_unavailable')).toBe(RETRY_AFTER_SECONDS.backend_unavailable);
    expect(retryAfterSeconds(ERRORS.busy())).toBe(RETRY_AFTER_SECONDS.backend_busy);
    expect(retryAfterSeconds(ERRORS.full())).toBe(RETRY_AFTER_SECONDS.storage_full);
    for (const value of [
      ERRORS.configuration(),
      ERRORS.invalid(),
      'toString',
      '__proto__',
      new Error('x'),
      undefined,
    ]) {
      expect(retryAfterSeconds(value)).toBeUndefined();
    }
  });
});
