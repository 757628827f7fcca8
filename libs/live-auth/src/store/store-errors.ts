import {
  StateBackendBusyError,
  StateBackendUnavailableError,
  StateConflictError,
  StateError,
} from '@livegate/state';

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const CONNECTION =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|57P0\d|08\w{3}|53300)$/;

function codeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth += 1) {
    const { code, driverError } = current as { code?: unknown; driverError?: unknown };
    if (typeof code === 'string') {
      return code;
    }
    current = driverError ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a failed write broke a unique key (a taken username or identity). */
export function isUniqueViolation(error: unknown): boolean {
  return UNIQUE.has(codeOf(error) ?? '');
}

/**
 * The state error a failed user-store call stands for. Unique keys are `StateConflictError`, locks
 * `StateBackendBusyError`, a database that cannot be reached or fails `StateBackendUnavailableError`
 * (503): never an answer that could be read as "no such user".
 */
export function toStoreError(error: unknown, conflict = 'The user already exists'): StateError {
  if (error instanceof StateError) {
    return error;
  }
  const code = codeOf(error);
  if (code !== undefined && UNIQUE.has(code)) {
    return new StateConflictError(conflict, { cause: error });
  }
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
    return new StateBackendBusyError(
      'The user store is locked by another process; nothing was written',
      {
        cause: error,
      },
    );
  }
  const reason =
    code !== undefined && (CONNECTION.test(code) || code.startsWith('SQLITE_')) ? code : 'an error';
  return new StateBackendUnavailableError(`The user store failed (${reason})`, { cause: error });
}
