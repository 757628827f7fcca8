import { StateValidationError } from '../state.errors';

/** Longest id (widget, session, user, channel, thread, message, worker) accepted by any store. */
export const MAX_ID_LENGTH = 256;
/** Longest role or permission name. */
export const MAX_NAME_LENGTH = 64;
/** Largest serialized metadata object (bytes of JSON). */
export const MAX_METADATA_BYTES = 64 * 1024;
/** Largest widget HTML or token, in characters. */
export const MAX_HTML_LENGTH = 8 * 1024 * 1024;
export const MAX_TOKEN_LENGTH = 4096;

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Checks an identifier: a non-empty string of at most 256 characters without control characters. */
export function assertId(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new StateValidationError(field, 'must be a string');
  }
  if (value.length === 0) {
    throw new StateValidationError(field, 'must not be empty');
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new StateValidationError(field, `must be at most ${MAX_ID_LENGTH} characters`);
  }
  if (CONTROL_CHARACTERS.test(value)) {
    throw new StateValidationError(field, 'must not contain control characters');
  }
  if (value.trim() !== value) {
    throw new StateValidationError(field, 'must not start or end with white space');
  }
}

/** Checks a role or permission name: letters, digits and `_ . : -`, at most 64 characters. */
export function assertName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new StateValidationError(field, `must be a name of 1 to ${MAX_NAME_LENGTH} characters`);
  }
  if (!NAME_PATTERN.test(value)) {
    throw new StateValidationError(
      field,
      'may contain only letters, digits and _ . : - and must start with a letter or digit',
    );
  }
}

/** Checks a list of role or permission names and returns it without duplicates. */
export function normalizeNames(field: string, value: unknown): string[] {
  if (typeof value === 'string' || value == null || typeof value !== 'object') {
    throw new StateValidationError(field, 'must be an array or set of names');
  }
  const names = Array.from(value as Iterable<unknown>);
  names.forEach((name, index) => assertName(`${field}[${index}]`, name));
  return [...new Set(names as string[])];
}

/**
 * Checks a TTL in seconds: a finite number greater than zero. Fractions are allowed (they are
 * kept to the millisecond); zero, negative and non-finite values are never read as "forever".
 */
export function assertTtl(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StateValidationError(field, 'must be a finite number of seconds');
  }
  if (value <= 0) {
    throw new StateValidationError(field, 'must be greater than zero');
  }
  if (value < 0.001) {
    throw new StateValidationError(field, 'must be at least one millisecond');
  }
}

/** TTL in seconds → whole milliseconds (at least 1). */
export function ttlToMs(ttlSeconds: number): number {
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

/** Checks a string payload (HTML, token, message content) and its size. */
export function assertText(
  field: string,
  value: unknown,
  maxLength: number,
  { allowEmpty = true } = {},
): asserts value is string {
  if (typeof value !== 'string') {
    throw new StateValidationError(field, 'must be a string');
  }
  if (!allowEmpty && value.length === 0) {
    throw new StateValidationError(field, 'must not be empty');
  }
  if (value.length > maxLength) {
    throw new StateValidationError(field, `must be at most ${maxLength} characters`);
  }
}

/**
 * Checks metadata: a plain JSON object of bounded size. Returns a deep copy so callers cannot
 * mutate what the store keeps.
 */
export function normalizeMetadata(field: string, value: unknown): Record<string, unknown> {
  if (value === undefined) {
    return {};
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StateValidationError(field, 'must be a plain object');
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    throw new StateValidationError(field, 'must be serializable as JSON');
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) {
    throw new StateValidationError(field, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

/** Checks a page size: a whole number from 1 to `max`. */
export function assertLimit(field: string, value: unknown, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new StateValidationError(field, `must be a whole number from 1 to ${max}`);
  }
}
