/**
 * The demo's static files, served from these strings by `DemoAssetsController` (no inline style
 * or script anywhere: every page runs under `DEMO_CONTENT_SECURITY_POLICY`).
 */

/** Where the stylesheet and the demo's two scripts are served. */
export const DEMO_ASSET_PATHS = {
  css: '/demo/demo.css',
  loginScript: '/demo/login.js',
  liveScript: '/demo/live.js',
} as const;

export const DEMO_CSS = `/* Livegate demo */
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --accent: #2453c9; --ok: #1f7a3d; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header.top { display: flex; gap: 1.5rem; align-items: baseline; padding: 0.75rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; color: var(--ink); text-decoration: none; }
header.top nav a { margin-right: 1rem; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
a { color: var(--accent); }
code { font-size: 0.9em; background: #eef0f4; padding: 0 0.25em; border-radius: 3px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.muted { color: var(--muted); }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 1rem 0; }
.actions form { margin: 0; }
button { font: inherit; padding: 0.35rem 0.8rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: #a11; }
label { display: block; margin: 0.5rem 0 0.2rem; }
input { font: inherit; width: 100%; padding: 0.35rem 0.5rem; border: 1px solid var(--line); border-radius: 6px; }
form.stack button { margin-top: 0.75rem; }
.message { min-height: 1.5em; }
.message.error { color: #a11; }
[data-auth-region] { border-radius: 8px; padding: 0.75rem 1rem; border: 1px dashed var(--line); background: #fff; }
[data-auth-state="allowed"] { border: 1px solid var(--ok); background: #f1faf4; }
[data-auth-state="authorizing"] { border-color: var(--warn); background: #fff8e6; }
[data-auth-region] p { margin: 0.25rem 0; }
ul.claims { list-style: none; padding: 0; margin: 0; }
ul.claims li { padding: 0.1rem 0; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
td form { display: inline; }
`;

/**
 * The sign-in page's script: the register and sign-in forms post JSON to the local identity
 * provider (`/auth/local/register`, `/auth/local/login`), then open the live page. Errors are
 * written as text, never as HTML.
 */
export const DEMO_LOGIN_SCRIPT = `/* Livegate demo: sign-in page. */
(() => {
  'use strict';
  const message = document.getElementById('login-message');
  const say = (text, error) => {
    if (message) {
      message.textContent = text;
      message.className = error ? 'message error' : 'message';
    }
  };
  const post = (path, body) =>
    fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const problem = async (response) => {
    try {
      const body = await response.json();
      if (body && typeof body.message === 'string') {
        return body.message;
      }
    } catch (error) {
      // Not JSON: the status says enough.
    }
    return 'The server answered ' + response.status;
  };
  const credentials = (form) => ({
    username: form.elements.namedItem('username').value,
    password: form.elements.namedItem('password').value,
  });
  const signIn = async (body) => {
    const response = await post('/auth/local/login', body);
    if (!response.ok) {
      say(await problem(response), true);
      return;
    }
    window.location.assign('/live');
  };
  const handle = (id, action) => {
    const form = document.getElementById(id);
    if (!form) {
      return;
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      say('Working…', false);
      action(credentials(form)).catch(() => say('The server could not be reached', true));
    });
  };
  handle('register-form', async (body) => {
    const response = await post('/auth/local/register', body);
    if (response.status !== 201) {
      say(await problem(response), true);
      return;
    }
    await signIn(body);
  });
  handle('login-form', signIn);
})();
`;

/**
 * The live page's script: shows the claims, roles and version of every \`livegate:auth-update\`
 * the live-auth script fires (as text, never as HTML).
 */
export const DEMO_LIVE_SCRIPT = `/* Livegate demo: the live page's claims. */
(() => {
  'use strict';
  const list = document.getElementById('claims');
  const roles = document.getElementById('roles');
  const version = document.getElementById('claims-version');
  document.addEventListener('livegate:auth-update', (event) => {
    const detail = event.detail || {};
    const principal = detail.principal || {};
    if (list && Array.isArray(principal.claims)) {
      const items = principal.claims.map((claim) => {
        const item = document.createElement('li');
        const type = document.createElement('code');
        type.textContent = String(claim.type);
        item.append(type, ' = ' + String(claim.value));
        return item;
      });
      list.replaceChildren(...items);
    }
    if (roles && Array.isArray(principal.roles)) {
      roles.textContent = principal.roles.join(', ') || '(none)';
    }
    if (version && typeof detail.version === 'number') {
      version.textContent = String(detail.version);
    }
  });
})();
`;
