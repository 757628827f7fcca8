import { Injectable, type NestMiddleware } from '@nestjs/common';
import { DEMO_CONTENT_SECURITY_POLICY } from './pages';

/** The response headers of every answer of the demo (a raw Node response on both platforms). */
export const DEMO_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': DEMO_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
});

/** Sets `DEMO_SECURITY_HEADERS` before any route runs, so error pages and redirects have them too. */
@Injectable()
export class SecurityHeadersMiddleware implements NestMiddleware {
  use(
    _request: unknown,
    response: { setHeader(name: string, value: string): unknown },
    next: () => void,
  ): void {
    for (const [name, value] of Object.entries(DEMO_SECURITY_HEADERS)) {
      response.setHeader(name, value);
    }
    next();
  }
}
