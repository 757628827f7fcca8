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
/**
 * Deepest nesting of objects and arrays in metadata and event data (the outermost one is level
 * 1). Checked before anything is serialized, so a deep value is refused instead of overflowing
 * the stack of `JSON.stringify` or of a reader in another process.
 */
export const MAX_NESTING_DEPTH = 32;

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/**
 * A UTF-16 code unit that is half of a surrogate pair without its other half. With the `u` flag
 * only unpaired halves are single code points, so paired astral characters (emoji) never match.
 * Encoded as UTF-8 (a Redis key, an SQLite text, a SHA-256 input) it becomes U+FFFD, so two
 * different ids would meet in one key.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const NONCHARACTERS = Array.from({ length: 17 }, (_, plane) => {
  const hex = plane.toString(16);
  return `\\u{${hex}FFFE}-\\u{${hex}FFFF}`;
}).join('');
/**
 * Invisible format characters (Unicode category Cf: the bidirectional embeddings, overrides and
 * isolates U+202A-U+202E and U+2066-U+2069, zero-width space and joiners U+200B-U+200D, the marks
 * U+200E/U+200F/U+061C, U+FEFF, the soft hyphen U+00AD, U+2060-U+2064, the tag characters, ...)
 * and the noncharacters (U+FDD0-U+FDEF and the last two code points of every plane): an id that
 * looks like another one on screen must not be a different key.
 */
const INVISIBLE_CHARACTERS = new RegExp(`[\\p{Cf}\\u{FDD0}-\\u{FDEF}${NONCHARACTERS}]`, 'u');
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** `U+XXXX` of the first code point of `text`. */
function codePointName(text: string): string {
  return `U+${text.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Checks an identifier: a non-empty string of at most 256 characters, well-formed UTF-16, without
 * control characters, invisible format characters or noncharacters, and without white space at
 * either end. Any two ids that pass are different keys on every backend.
 */
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
  if (LONE_SURROGATE.test(value)) {
    throw new StateValidationError(
      field,
      'must be well-formed Unicode (it contains half of a surrogate pair)',
    );
  }
  const invisible = INVISIBLE_CHARACTERS.exec(value);
  if (invisible) {
    throw new StateValidationError(
      field,
      `must not contain invisible format characters or noncharacters (${codePointName(invisible[0])})`,
    );
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
 * The longest TTL or lifetime a store accepts: 100 years in seconds. Longer ones would overflow
 * an expiry in milliseconds (`Number.MAX_VALUE` seconds is `Infinity` milliseconds).
 */
export const MAX_TTL_SECONDS = 100 * 365 * 24 * 3600;

/**
 * Checks a TTL in seconds: a finite number greater than zero and at most `MAX_TTL_SECONDS`.
 * Fractions are allowed (they are kept to the millisecond); zero, negative and non-finite values
 * are never read as "forever".
 */
export function assertTtl(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StateValidationError(field, 'must be a finite number of seconds');
  }
  if (value > MAX_TTL_SECONDS) {
    throw new StateValidationError(field, `must be at most ${MAX_TTL_SECONDS} seconds (100 years)`);
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

/** A key as it appears in a field path; very long keys are shortened, so the path stays short. */
function pathKey(key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 61)}...` : key;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
}

/** What a value that is not JSON is, for the error message. */
function describeNonJson(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : String(value);
    case 'undefined':
      return 'undefined (leave the field out, or use null)';
    case 'bigint':
      return 'a BigInt (use a string or a number)';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  return null;
}

/** What kind of object a value that is not a plain object or array is. */
function describeObject(value: object): string | null {
  if (Array.isArray(value)) {
    return null;
  }
  const prototype = Object.getPrototypeOf(value) as object | null;
  // Compared by shape rather than by identity with this realm's Object.prototype, so that plain
  // objects made in another realm (a vm context, a test sandbox) are plain here too.
  if (prototype === null || Object.getPrototypeOf(prototype) === null) {
    return Object.prototype.toString.call(value) === '[object Object]' ? null : 'a special object';
  }
  for (const [type, name] of [
    [Date, 'a Date (use an ISO string or a number)'],
    [Map, 'a Map (use an object)'],
    [Set, 'a Set (use an array)'],
    [RegExp, 'a RegExp'],
    [Error, 'an Error'],
    [Promise, 'a Promise'],
  ] as const) {
    if (value instanceof type) {
      return name;
    }
  }
  const constructorName = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === 'string' && constructorName !== ''
    ? `an instance of ${constructorName}`
    : 'an instance of a class';
}

/** Counts down the values a walk may still visit; past zero the value is too large anyway. */
interface WalkBudget {
  remaining: number;
  readonly field: string;
  readonly maxBytes: number;
}

// Every JSON value takes at least one byte, so more values than bytes cannot fit.
function tooLarge(budget: WalkBudget): StateValidationError {
  return new StateValidationError(budget.field, `must be at most ${budget.maxBytes} bytes as JSON`);
}

function spend(budget: WalkBudget): void {
  budget.remaining -= 1;
  if (budget.remaining < 0) {
    throw tooLarge(budget);
  }
}

/**
 * Checks that `value` is plain JSON: null, booleans, finite numbers, strings, arrays without holes
 * and plain objects whose own properties are all enumerable data properties with string keys,
 * nested at most `MAX_NESTING_DEPTH` levels, without cycles. Getters are never called. The
 * recursion stops at the depth limit, so a value of any depth is refused without exhausting the
 * stack.
 */
function assertPlainJsonValue(
  path: string,
  value: unknown,
  depth: number,
  ancestors: object[],
  budget: WalkBudget,
): void {
  spend(budget);
  const primitive = describeNonJson(value);
  if (primitive !== null) {
    throw new StateValidationError(path, `must be plain JSON, not ${primitive}`);
  }
  if (value === null || typeof value !== 'object') {
    return;
  }
  if (ancestors.includes(value)) {
    throw new StateValidationError(path, 'must be plain JSON, not a cycle (it contains itself)');
  }
  if (depth >= MAX_NESTING_DEPTH) {
    throw new StateValidationError(
      path,
      `must not be nested more than ${MAX_NESTING_DEPTH} levels deep`,
    );
  }
  let entries: [string, PropertyDescriptor | undefined][];
  try {
    const kind = describeObject(value);
    if (kind !== null) {
      throw new StateValidationError(path, `must be plain JSON, not ${kind}`);
    }
    const keys = Reflect.ownKeys(value);
    const symbol = keys.find((key) => typeof key === 'symbol');
    if (symbol !== undefined) {
      throw new StateValidationError(
        path,
        `must be plain JSON, not an object with a symbol key (${String(symbol)})`,
      );
    }
    if (Array.isArray(value)) {
      const extra = (keys as string[]).find(
        (key) => key !== 'length' && !(/^(0|[1-9][0-9]*)$/.test(key) && Number(key) < value.length),
      );
      if (extra !== undefined) {
        throw new StateValidationError(
          `${path}${pathKey(extra)}`,
          'must be plain JSON, not a named property of an array',
        );
      }
      if (value.length > budget.remaining) {
        throw tooLarge(budget);
      }
      entries = Array.from({ length: value.length }, (_, index) => [
        `[${index}]`,
        Reflect.getOwnPropertyDescriptor(value, index),
      ]);
    } else {
      entries = (keys as string[]).map((key) => [
        pathKey(key),
        Reflect.getOwnPropertyDescriptor(value, key),
      ]);
    }
  } catch (error) {
    if (error instanceof StateValidationError) {
      throw error;
    }
    // A proxy whose traps throw, for instance.
    throw new StateValidationError(
      path,
      `must be plain JSON; it could not be read (${(error as Error)?.message ?? String(error)})`,
    );
  }
  ancestors.push(value);
  for (const [key, descriptor] of entries) {
    const childPath = `${path}${key}`;
    if (descriptor === undefined) {
      throw new StateValidationError(childPath, 'must be plain JSON, not an empty array slot');
    }
    if (descriptor.get !== undefined || descriptor.set !== undefined) {
      throw new StateValidationError(childPath, 'must be plain JSON, not a getter or setter');
    }
    if (!descriptor.enumerable) {
      throw new StateValidationError(
        childPath,
        'must be plain JSON, not a non-enumerable property',
      );
    }
    assertPlainJsonValue(childPath, descriptor.value, depth + 1, ancestors, budget);
  }
  ancestors.pop();
}

/**
 * Checks metadata: a plain JSON object (see the README: no `Date`, `Map`, `Set`, function, class
 * instance, `undefined`, `NaN` or `Infinity`, `BigInt`, symbol key, getter or cycle; nothing is
 * converted or dropped), nested at most 32 levels, of bounded size. Errors name the field path
 * (`metadata.a.b[2]`). Returns a deep copy so callers cannot mutate what the store keeps.
 */
export function normalizeMetadata(field: string, value: unknown): Record<string, unknown> {
  if (value === undefined) {
    return {};
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StateValidationError(field, 'must be a plain object');
  }
  assertPlainJsonValue(field, value, 0, [], {
    remaining: MAX_METADATA_BYTES,
    field,
    maxBytes: MAX_METADATA_BYTES,
  });
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) {
    throw new StateValidationError(field, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

/** Whether a parsed JSON value is nested at most `maxDepth` levels; never deeper than that. */
export function isWithinNestingDepth(value: unknown, maxDepth = MAX_NESTING_DEPTH): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth += 1) {
    const next: unknown[] = [];
    for (const item of level) {
      if (item !== null && typeof item === 'object') {
        if (depth >= maxDepth) {
          return false;
        }
        next.push(...(Array.isArray(item) ? item : Object.values(item)));
      }
    }
    level = next;
  }
  return true;
}

/**
 * `JSON.stringify` as a publisher means it (`toJSON` honoured, `undefined` members left out),
 * with the nesting limit and the size cap enforced while it runs: a value nested deeper than
 * `MAX_NESTING_DEPTH` levels, or with more values than `maxBytes`, stops it at once instead of
 * overflowing the stack. `undefined` when the value itself has no JSON form.
 */
export function boundedJsonStringify(
  field: string,
  value: unknown,
  maxBytes: number,
): string | undefined {
  const depths = new WeakMap<object, number>();
  let remaining = maxBytes;
  let json: string | undefined;
  try {
    json = JSON.stringify(value, function (this: object, _key: string, member: unknown) {
      remaining -= 1;
      if (remaining < 0) {
        throw new StateValidationError(field, `must be at most ${maxBytes} bytes as JSON`);
      }
      if (member !== null && typeof member === 'object') {
        // JSON.stringify walks depth first and calls this just before it descends into
        // `member`, so the holder's depth is always the one on the current path.
        const depth = (depths.get(this) ?? 0) + 1;
        if (depth > MAX_NESTING_DEPTH) {
          throw new StateValidationError(
            field,
            `must not be nested more than ${MAX_NESTING_DEPTH} levels deep`,
          );
        }
        depths.set(member, depth);
      }
      return member;
    });
  } catch (error) {
    if (error instanceof StateValidationError) {
      throw error;
    }
    throw new StateValidationError(field, 'must be serializable as JSON');
  }
  if (json !== undefined && Buffer.byteLength(json, 'utf8') > maxBytes) {
    throw new StateValidationError(field, `must be at most ${maxBytes} bytes as JSON`);
  }
  return json;
}

/** Checks a page size: a whole number from 1 to `max`. */
export function assertLimit(field: string, value: unknown, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new StateValidationError(field, `must be a whole number from 1 to ${max}`);
  }
}
