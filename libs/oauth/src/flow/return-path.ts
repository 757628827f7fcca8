/** Longest post-login return path kept, in characters. */
export const MAX_RETURN_PATH_LENGTH = 2048;

/**
 * The post-login return path if it stays on this app: a path starting with one `/` (never `//`
 * or `/\`, which browsers read as another host), no scheme, no control characters or
 * backslashes, at most `MAX_RETURN_PATH_LENGTH` characters. Anything else is `/`.
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_PATH_LENGTH) {
    return '/';
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (!value.startsWith('/') || /^\/[/\\]/.test(value) || /[\\\u0000-\u001f\u007f]/.test(value)) {
    return '/';
  }
  let resolved: URL;
  try {
    resolved = new URL(value, 'http://livegate.invalid');
  } catch {
    return '/';
  }
  if (resolved.origin !== 'http://livegate.invalid') {
    return '/';
  }
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // Resolving dot segments can make another host of a path: `/..//evil.example` is `//evil.example`.
  return /^\/[/\\]/.test(path) ? '/' : path;
}
