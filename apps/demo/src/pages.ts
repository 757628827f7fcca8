import { escapeHtml } from '@livegate/live-auth';
import { DEMO_ASSET_PATHS } from './demo-assets';

/**
 * The policy of every response of the demo: nothing inline, nothing from another origin, no
 * framing. Pages load the stylesheet and scripts above, and socket.io's client from the server.
 */
export const DEMO_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface PageOptions {
  /** Script paths of this origin, loaded at the end of the body in this order. */
  scripts?: readonly string[];
  /** `data-*` attributes of each script tag, by path (already-known, escaped here). */
  scriptData?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

function scriptTag(path: string, data: Readonly<Record<string, string>> = {}): string {
  const attributes = Object.entries(data)
    .map(([name, value]) => ` data-${escapeHtml(name)}="${escapeHtml(value)}"`)
    .join('');
  return `<script src="${escapeHtml(path)}"${attributes}></script>`;
}

/** A demo page around already-escaped body markup: the stylesheet, the menu, then the scripts. */
export function page(title: string, body: string, options: PageOptions = {}): string {
  const scripts = (options.scripts ?? [])
    .map((path) => scriptTag(path, options.scriptData?.[path]))
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${DEMO_ASSET_PATHS.css}">
</head>
<body>
<header class="top"><a class="brand" href="/live">Livegate demo</a>
<nav><a href="/live">Live</a><a href="/admin">Admin</a><a href="/">Widgets</a><a href="/login">Sign in</a></nav></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
${scripts}
</body>
</html>
`;
}
