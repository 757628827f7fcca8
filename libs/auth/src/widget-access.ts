/**
 * Headers of every widget page: never cached, never sniffed, and a content security policy that
 * keeps the widget to its own origin.
 */
export const WIDGET_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; " +
    "form-action 'self'; object-src 'none'",
});
