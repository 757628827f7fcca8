import { setReplyHeader } from '@livegate/auth';

/**
 * Headers of every answer of the login routes: nothing cached (they carry codes, states and
 * personal data), no referrer (a callback URL holds the code), and for pages a content security
 * policy that allows nothing but their own inline style.
 */
export function noStore(reply: unknown): void {
  setReplyHeader(reply, 'Cache-Control', 'no-store');
  setReplyHeader(reply, 'Pragma', 'no-cache');
  setReplyHeader(reply, 'Referrer-Policy', 'no-referrer');
}

export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** The headers of a static page: nothing cached, no referrer, the strict policy, HTML. */
export function pageHeaders(reply: unknown): void {
  noStore(reply);
  setReplyHeader(reply, 'Content-Security-Policy', PAGE_CSP);
  setReplyHeader(reply, 'X-Content-Type-Options', 'nosniff');
  setReplyHeader(reply, 'Content-Type', 'text/html; charset=utf-8');
}

/** A static page of a title, a message and an optional link, every text escaped. */
export function staticPage(
  title: string,
  message: string,
  link?: { href: string; text: string },
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
${link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : ''}</body></html>
`;
}

/** A static page saying what went wrong, echoing nothing unescaped. */
export function errorPage(reply: unknown, title: string, message: string): string {
  pageHeaders(reply);
  return staticPage(title, message, { href: '/auth/login', text: 'Sign in again' });
}
