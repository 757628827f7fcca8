/**
 * What a region or live page may be called: a letter or digit, then up to 63 letters, digits,
 * `_` or `-`. Names travel in `data-auth-region` attributes, handshakes and message keys, so
 * nothing that needs escaping (or `__proto__`) can be one.
 */
export const LIVE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** Throws a `TypeError` naming the `kind` unless `name` matches `LIVE_NAME_PATTERN`. */
export function assertLiveName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new TypeError(
      `A ${kind} name must be a string, not ${name === null ? 'null' : typeof name}`,
    );
  }
  if (!LIVE_NAME_PATTERN.test(name)) {
    throw new TypeError(
      `Invalid ${kind} name ${JSON.stringify(name.slice(0, 80))}: use 1 to 64 letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
}
