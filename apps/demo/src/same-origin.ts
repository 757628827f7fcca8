import { ForbiddenException } from '@nestjs/common';

type Headers = Record<string, string | string[] | undefined>;

function single(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/**
 * Refuses a form post from another site, beside the `SameSite=Lax` cookie: the `Origin` (or,
 * without one, the `Referer`) must name the host the request was sent to. Browsers send `Origin`
 * on every form post; a request with neither is refused too, as these routes are for browsers.
 */
export function assertSameOrigin(request: { headers: Headers }): void {
  const headers = request.headers ?? {};
  const source = single(headers, 'origin') ?? single(headers, 'referer');
  const host = single(headers, 'host')?.toLowerCase();
  let from: string | undefined;
  try {
    from = source && source !== 'null' ? new URL(source).host : undefined;
  } catch {
    from = undefined;
  }
  if (!from || !host || from !== host) {
    throw new ForbiddenException({
      error: 'forbidden',
      message: 'Cross-site requests to this route are refused',
    });
  }
}
