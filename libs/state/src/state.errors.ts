/**
 * Base class of every error a Livegate store raises. `code` is stable and safe to put in an HTTP
 * error body; `status` is the HTTP status that error maps to.
 */
export abstract class StateError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input (an id, a TTL, a role name, metadata): rejected before anything is written. */
export class StateValidationError extends StateError {
  readonly code = 'invalid_input';
  readonly status = 400;

  constructor(
    /** The argument or field that was rejected. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The item an operation needs does not exist (or has expired). */
export class StateNotFoundError extends StateError {
  readonly code = 'not_found';
  readonly status = 404;
}

/** The item already exists and the operation may not replace it. */
export class StateConflictError extends StateError {
  readonly code = 'conflict';
  readonly status = 409;
}

/** The backend could not be reached or failed; the operation did not happen. */
export class StateBackendUnavailableError extends StateError {
  readonly code = 'backend_unavailable';
  readonly status = 503;
}

/**
 * The backend is held by another connection or process (a locked SQLite database) and did not
 * free up within the short busy timeout; nothing was written. Safe to retry.
 */
export class StateBackendBusyError extends StateError {
  readonly code = 'backend_busy';
  readonly status = 503;
}

/**
 * The backend has no room left (a full disk, or SQLite's `max_page_count` reached). The write was
 * rolled back; writes succeed again once space is freed.
 */
export class StateStorageFullError extends StateError {
  readonly code = 'storage_full';
  readonly status = 507;
}

/** The backend does not offer this operation (for example a store without the audit trail). */
export class StateNotSupportedError extends StateError {
  readonly code = 'not_supported';
  readonly status = 501;
}

/** The module was configured with options or environment values it cannot run with. */
export class StateConfigurationError extends StateError {
  readonly code = 'configuration_error';
  readonly status = 500;
}

/**
 * Seconds a client should wait before trying again after a "try later" state error, by error
 * code; the value of the `Retry-After` header those answers carry. A backend that is away usually
 * comes back within seconds (the Redis connection notices within about a second), a lock is held
 * for a fraction of one, and a full disk needs an operator.
 */
export const RETRY_AFTER_SECONDS: Readonly<
  Record<'backend_unavailable' | 'backend_busy' | 'storage_full', number>
> = Object.freeze({
  backend_unavailable: 2,
  backend_busy: 1,
  storage_full: 60,
});

/**
 * The `Retry-After` seconds of a "try later" answer: for a state error, or an error code such as
 * `'backend_unavailable'`; `undefined` for everything a retry would not fix.
 */
export function retryAfterSeconds(error: unknown): number | undefined {
  const code =
    error instanceof StateError ? error.code : typeof error === 'string' ? error : undefined;
  return code !== undefined && Object.hasOwn(RETRY_AFTER_SECONDS, code)
    ? RETRY_AFTER_SECONDS[code as keyof typeof RETRY_AFTER_SECONDS]
    : undefined;
}
