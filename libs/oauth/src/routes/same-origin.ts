import type { RequestHeaders } from '@livegate/auth';
import { AuthHttpException } from '@livegate/auth';

function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/**
 * Refuses a state-changing request that does not come from the app's own pages: its `Origin`
 * (or, without one, its `Referer`) must be `origin`. A request with neither is refused too:
 * browsers send `Origin` on every cross-origin POST, and a script on this origin can send it.
 */
export function assertSameOrigin(headers: RequestHeaders, origin: string): void {
  const sent = header(headers, 'origin');
  let from: string | undefined;
  if (sent !== undefined) {
    from = sent;
  } else {
    const referer = header(headers, 'referer');
    try {
      from = referer === undefined ? undefined : new URL(referer).origin;
    } catch {
      from = undefined;
    }
  }
  if (from !== origin) {
    throw new AuthHttpException(403, 'forbidden', 'Cross-site requests to this route are refused');
  }
}
