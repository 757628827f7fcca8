/** Headers as Node gives them: lower-case names, string or string[] values. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** The session ids a request presents, before any lookup. */
export interface PresentedCredentials {
  cookie?: string;
  bearer?: string;
  /** `?session=`: only read on a WebSocket handshake. */
  query?: string;
  /** Something was presented but could not be read (bad scheme, duplicate cookie). */
  malformed: boolean;
}

const MAX_CREDENTIAL_LENGTH = 512;

function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Reads one cookie. Two cookies of that name with different values (cookie tossing) make the
 * credential unreadable rather than picking one.
 */
export function readCookie(
  headers: RequestHeaders,
  name: string,
): { value?: string; malformed: boolean } {
  const raw = header(headers, 'cookie');
  if (!raw) {
    return { malformed: false };
  }
  // A scan over `;`-separated pairs: this runs on every request.
  let value: string | undefined;
  for (let start = 0; start < raw.length;) {
    let end = raw.indexOf(';', start);
    if (end < 0) {
      end = raw.length;
    }
    const separator = raw.indexOf('=', start);
    if (separator >= 0 && separator < end && raw.slice(start, separator).trim() === name) {
      let current = raw.slice(separator + 1, end).trim();
      if (current.startsWith('"') && current.endsWith('"') && current.length >= 2) {
        current = current.slice(1, -1);
      }
      if (current.includes('%')) {
        try {
          current = decodeURIComponent(current);
        } catch {
          return { malformed: true };
        }
      }
      if (value !== undefined && value !== current) {
        return { malformed: true };
      }
      value = current;
    }
    start = end + 1;
  }
  return value === undefined || value.length > MAX_CREDENTIAL_LENGTH
    ? { malformed: value !== undefined }
    : { value, malformed: false };
}

/** Reads `Bearer <token>` from the auth header (name and scheme are case-insensitive). */
export function readBearer(
  headers: RequestHeaders,
  headerName: string,
): { value?: string; malformed: boolean } {
  const raw = header(headers, headerName);
  if (raw === undefined) {
    return { malformed: false };
  }
  const match = /^Bearer +([^\s,]+) *$/i.exec(raw);
  if (!match || match[1].length > MAX_CREDENTIAL_LENGTH) {
    return { malformed: true };
  }
  return { value: match[1], malformed: false };
}

/** Every credential of an HTTP request or WebSocket handshake. */
export function presentedCredentials(
  headers: RequestHeaders,
  cookieNames: readonly string[],
  headerName: string,
  query?: unknown,
): PresentedCredentials {
  let malformed = false;
  let cookie: string | undefined;
  for (const name of cookieNames) {
    const read = readCookie(headers, name);
    malformed ||= read.malformed;
    cookie ??= read.value;
  }
  const bearer = readBearer(headers, headerName);
  malformed ||= bearer.malformed;
  let fromQuery: string | undefined;
  if (query !== undefined) {
    if (typeof query === 'string' && query.length > 0 && query.length <= MAX_CREDENTIAL_LENGTH) {
      fromQuery = query;
    } else {
      malformed = true;
    }
  }
  return { cookie, bearer: bearer.value, query: fromQuery, malformed };
}
