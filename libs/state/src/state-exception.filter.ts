import {
  Catch,
  Injectable,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { retryAfterSeconds, StateError } from './state.errors';

/** The JSON error body of every Livegate error response. */
export interface ErrorBody {
  error: string;
  message: string;
}

/** What a state error answers with over HTTP. */
export interface StateErrorResponse {
  status: number;
  body: ErrorBody;
  /** Seconds for the `Retry-After` header of a "try later" answer. */
  retryAfterSeconds?: number;
}

/**
 * Client-facing text of the "try later" errors, one per code. The errors' own messages are for
 * logs: a custom backend's may quote its driver, and clients need no more than what to do.
 */
const TRY_LATER_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  backend_unavailable: 'The state backend is unavailable; try again later',
  backend_busy: 'The state backend is busy; nothing was written, try again shortly',
  storage_full: 'The state backend has no storage space left; nothing was written',
});

const INTERNAL_ERROR: ErrorBody = Object.freeze({
  error: 'internal_error',
  message: 'Internal server error',
});

/** The status, body and `Retry-After` a state error answers with. */
export function stateErrorResponse(error: StateError): StateErrorResponse {
  if (error.status < 500) {
    return { status: error.status, body: { error: error.code, message: error.message } };
  }
  const retryAfter = retryAfterSeconds(error);
  const message = TRY_LATER_MESSAGES[error.code];
  if (retryAfter === undefined || message === undefined) {
    // Configuration and other server-side faults do not reveal their details to clients.
    return { status: error.status, body: INTERNAL_ERROR };
  }
  return {
    status: error.status,
    body: { error: error.code, message },
    retryAfterSeconds: retryAfter,
  };
}

/**
 * Maps state errors on HTTP routes to `{ error, message }` with their status: invalid input 400,
 * not found 404, conflict 409, backend unavailable or busy 503 and storage full 507 (these three
 * with `Retry-After`), anything else a masked 500. Works on Express and Fastify; register it with
 * `{ provide: APP_FILTER, useClass: StateExceptionFilter }`.
 */
@Catch(StateError)
@Injectable()
export class StateExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(StateExceptionFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: StateError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse<unknown>();
    const { status, body, retryAfterSeconds } = stateErrorResponse(exception);
    if (body === INTERNAL_ERROR) {
      // The client sees nothing of it, so this is the only trace of what went wrong.
      this.logger.error(`${exception.name}: ${exception.message}`, exception.stack);
    }
    // A route may have set another content type (an HTML page, say) before it failed.
    httpAdapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    if (retryAfterSeconds !== undefined) {
      httpAdapter.setHeader(response, 'Retry-After', String(retryAfterSeconds));
    }
    httpAdapter.reply(response, body, status);
  }
}
