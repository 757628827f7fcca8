import { Catch, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { StateError } from './state.errors';

/** The JSON error body of every Livegate error response. */
export interface ErrorBody {
  error: string;
  message: string;
}

/** The status and body a state error answers with. */
export function stateErrorResponse(error: StateError): { status: number; body: ErrorBody } {
  // Configuration and other server-side faults do not reveal their details to clients.
  const internal = error.status >= 500 && error.status !== 503;
  return {
    status: error.status,
    body: internal
      ? { error: 'internal_error', message: 'Internal server error' }
      : { error: error.code, message: error.message },
  };
}

/**
 * Maps state errors on HTTP routes to `{ error, message }` with their status: invalid input 400,
 * not found 404, conflict 409, backend unavailable 503. Works on Express and Fastify; register it
 * with `{ provide: APP_FILTER, useClass: StateExceptionFilter }`.
 */
@Catch(StateError)
@Injectable()
export class StateExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: StateError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse<unknown>();
    const { status, body } = stateErrorResponse(exception);
    // A route may have set another content type (an HTML page, say) before it failed.
    httpAdapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    httpAdapter.reply(response, body, status);
  }
}
