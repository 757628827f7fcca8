import { assertId, assertTtl } from '../common/validation';
import { StateConflictError, StateValidationError } from '../state.errors';

/** Largest transient value, in UTF-8 bytes. */
export const MAX_TRANSIENT_VALUE_BYTES = 64 * 1024;

export function assertTransientKey(key: unknown): asserts key is string {
  assertId('key', key);
}

/** Checks a `set` or `add`: the key, a string value within the size cap, a positive TTL. */
export function assertTransientEntry(key: unknown, value: unknown, ttl: unknown): void {
  assertTransientKey(key);
  if (typeof value !== 'string') {
    throw new StateValidationError('value', 'must be a string');
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_TRANSIENT_VALUE_BYTES) {
    throw new StateValidationError('value', `must be at most ${MAX_TRANSIENT_VALUE_BYTES} bytes`);
  }
  assertTtl('ttl', ttl);
}

/** What a counter holds: a whole number written by `increment`. */
export const COUNT = /^\d+$/;

/** `increment` on a key that holds a value, not a count. */
export function notACount(): StateConflictError {
  return new StateConflictError(
    'The key holds a value that is not a count: it cannot be incremented',
  );
}
