import { HttpException, HttpStatus } from '@nestjs/common';
import { retryAfterSeconds } from '@livegate/state';

/** Stable codes of the `{ error, message }` body of every auth failure. */
export type AuthErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflicting_credentials'
  | 'backend_unavailable'
  | 'invalid_input';

/**
 * An HTTP error whose body is `{ "error": code, "message": text }`. A "try later" one carries the
 * seconds of its `Retry-After` header (the same as state's for the same code).
 */
export class AuthHttpException extends HttpException {
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super({ error: code, message }, status);
    this.retryAfterSeconds = retryAfterSeconds(code);
  }
}

export const unauthorized = (message = 'Authentication required') =>
  new AuthHttpException(HttpStatus.UNAUTHORIZED, 'unauthorized', message);
export const forbidden = (message = 'Not allowed') =>
  new AuthHttpException(HttpStatus.FORBIDDEN, 'forbidden', message);
export const notFound = (message = 'Not found') =>
  new AuthHttpException(HttpStatus.NOT_FOUND, 'not_found', message);
export const invalidInput = (message: string) =>
  new AuthHttpException(HttpStatus.BAD_REQUEST, 'invalid_input', message);
export const conflictingCredentials = () =>
  new AuthHttpException(
    HttpStatus.BAD_REQUEST,
    'conflicting_credentials',
    'The session cookie and the bearer token name different sessions',
  );
export const backendUnavailable = () =>
  new AuthHttpException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'backend_unavailable',
    'The session store is unavailable',
  );

/** Sent instead of running an `@Auth` page handler: a 303 to the login page. */
export class AuthRedirectException extends HttpException {
  constructor(readonly location: string) {
    super({ error: 'redirect', message: `See ${location}` }, HttpStatus.SEE_OTHER);
  }
}

/** The module was configured with options or environment values it cannot run with. */
export class AuthConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigurationError';
  }
}
