import { AuthHttpException, type RequestHeaders } from '@livegate/auth';

function single(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** The host (`name:port`) a request's `Origin`, or else its `Referer`, names; `null` when neither. */
function sentFrom(headers: RequestHeaders): string | null | undefined {
  const origin = single(headers, 'origin');
  const referer = origin === undefined ? single(headers, 'referer') : undefined;
  const source = origin ?? referer;
  if (source === undefined) {
    return null;
  }
  try {
    return new URL(source).host;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a cross-site request: its `Origin` (or, without one, its `Referer`) must name the host
 * the request was sent to (or `origin`, the app's public origin, when it is configured). A
 * browser sends `Origin` on every cross-site POST and a page cannot forge `Host`. With
 * `browserRoute`, a request with neither header is refused too (the routes that set a cookie);
 * API routes accept it, as clients outside a browser send neither.
 */
export function assertSameSite(
  headers: RequestHeaders,
  options: { origin?: string; browserRoute: boolean },
): void {
  const from = sentFrom(headers);
  if (from === null && !options.browserRoute) {
    return;
  }
  const host = options.origin ? new URL(options.origin).host : single(headers, 'host');
  if (from === null || from === undefined || host === undefined || from !== host.toLowerCase()) {
    throw new AuthHttpException(403, 'forbidden', 'Cross-site requests to this route are refused');
  }
}
