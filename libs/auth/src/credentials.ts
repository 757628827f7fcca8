import { MAX_ID_LENGTH } from '@livegate/state';

/** Headers as Node gives them: lower-case names, string or string[] values. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** What a socket.io handshake presents besides its headers. */
export interface HandshakeCredentials {
  /** `?session=` as socket.io parsed it: a string, or an array when repeated. */
  query?: unknown;
  /** `auth.token` of the handshake payload: an explicit bearer. */
  token?: unknown;
}

/** The session ids a request presents, before any lookup. */
export interface PresentedCredentials {
  cookie?: string;
  /** `Authorization: Bearer`. */
  bearer?: string;
  /** A handshake's `auth.token`: an explicit bearer. */
  token?: string;
  /** `?session=`: only read on a WebSocket handshake. */
  query?: string;
  /** Something was presented but could not be read (bad scheme, duplicate cookie). */
  malformed: boolean;
  /** A handshake value is not one string (a repeated `?session=`, say): nothing may be used. */
  refused: boolean;
}

const MAX_CREDENTIAL_LENGTH = 512;

// Session ids as Livegate issues them, or as a caller chose them within the state limits.
const SESSION_ID = /^[A-Za-z0-9_.~:-]+$/;

/** Whether a presented value can name a session at all: checked before any store lookup. */
export function isSessionIdShape(value: string): boolean {
  return value.length <= MAX_ID_LENGTH && SESSION_ID.test(value);
}

function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Reads one cookie. Two cookies of that name with different values (cookie tossing) make the
 * credential unreadable rather than picking one. Values are taken as they are: never
 * percent-decoded, so one id has exactly one spelling, and a value outside the session-id charset
 * is unreadable.
 */
export function readCookie(
  headers: RequestHeaders,
  name: string,
): { value?: string; malformed: boolean } {
  const raw = header(headers, 'cookie');
  if (!raw) {
    return NOTHING;
  }
  // A scan over `;`-separated pairs: this runs on every request.
  let value: string | undefined;
  let malformed = false;
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
      if (value !== undefined && value !== current) {
        return MALFORMED;
      }
      value = current;
      malformed ||= !isSessionIdShape(current);
    }
    start = end + 1;
  }
  if (value === undefined) {
    return NOTHING;
  }
  return malformed ? MALFORMED : { value, malformed: false };
}

/** Whether the request carries a cookie of one of these names, readable or not. */
export function carriesCookie(headers: RequestHeaders, names: readonly string[]): boolean {
  for (const name of names) {
    const read = readCookie(headers, name);
    if (read.value !== undefined || read.malformed) {
      return true;
    }
  }
  return false;
}

const NOTHING = Object.freeze({ malformed: false });
const MALFORMED = Object.freeze({ malformed: true });

/** Reads `Bearer <token>` from the auth header (name and scheme are case-insensitive). */
export function readBearer(
  headers: RequestHeaders,
  headerName: string,
): { value?: string; malformed: boolean } {
  const raw = header(headers, headerName);
  if (raw === undefined) {
    return NOTHING;
  }
  const match = /^Bearer +([^\s,]+) *$/i.exec(raw);
  if (!match || match[1].length > MAX_CREDENTIAL_LENGTH) {
    return MALFORMED;
  }
  return { value: match[1], malformed: false };
}

/** A handshake value: one non-empty string of bounded length, or nothing usable. */
function handshakeValue(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CREDENTIAL_LENGTH
    ? value
    : undefined;
}

/**
 * Every credential of an HTTP request or, with `handshake`, of a WebSocket handshake. HTTP
 * requests never pass `handshake`: `?session=` is not read there.
 */
export function presentedCredentials(
  headers: RequestHeaders,
  cookieNames: readonly string[],
  headerName: string,
  handshake?: HandshakeCredentials,
): PresentedCredentials {
  let malformed = false;
  let cookie: string | undefined;
  for (const name of cookieNames) {
    const read = readCookie(headers, name);
    malformed ||= read.malformed;
    cookie ??= read.value;
  }
  const fromHeader = readBearer(headers, headerName);
  malformed ||= fromHeader.malformed;
  let query: string | undefined;
  let token: string | undefined;
  let refused = false;
  if (handshake) {
    if (handshake.query !== undefined) {
      query = handshakeValue(handshake.query);
      refused ||= query === undefined;
    }
    if (handshake.token !== undefined) {
      token = handshakeValue(handshake.token);
      refused ||= token === undefined;
    }
  }
  return { cookie, bearer: fromHeader.value, token, query, malformed, refused };
}
