import { createHash } from 'node:crypto';
import { AUTH_NAVIGATE_EVENT, AUTH_UPDATE_EVENT, LIVE_AUTH_NAMESPACE } from '../live-auth.protocol';

/** The DOM event the browser script dispatches on `document` after each applied `auth:update`. */
export const LIVE_AUTH_UPDATE_DOM_EVENT = 'livegate:auth-update';

const literal = (value: string): string => JSON.stringify(value);

/**
 * The browser side of live auth, served as a file (`LIVE_AUTH_SCRIPT_PATH`) so that pages need no
 * inline script and work under `script-src 'self'`. ES2019, no eval, no inline handlers. It needs
 * socket.io's client loaded before it (`/socket.io/socket.io.js`) and reads its own tag:
 * `<script src="/livegate/live-auth.js" data-page="name" data-version="3">`.
 *
 * It connects to the live-auth namespace over WebSocket, sending `{ page, version }` as the
 * handshake `auth` (a function, so a reconnect sends the newest version it has seen). It applies
 * an `auth:update` only when its version is not older than the last one: each
 * `[data-auth-region]` element named in `regions` gets the new HTML and `data-auth-state`, the
 * root element gets `data-auth-version`, and `document` gets a `livegate:auth-update` event. It
 * follows an `auth:navigate` only to a path of this origin (one leading `/`, no `//`, `/\`,
 * backslash or control character). It never emits anything: the server decides everything.
 * After the server disconnects it stays disconnected (socket.io's rule): the server only does so
 * with a navigation, or to a tab it refuses.
 */
export const LIVE_AUTH_CLIENT_SCRIPT: string = String.raw`/* Livegate live auth: swaps auth regions and follows auth:navigate. */
(() => {
  'use strict';
  const script = document.currentScript;
  const connect = window.io;
  if (!script || typeof connect !== 'function') {
    return;
  }
  const NAMESPACE = ${literal(LIVE_AUTH_NAMESPACE)};
  const UPDATE = ${literal(AUTH_UPDATE_EVENT)};
  const NAVIGATE = ${literal(AUTH_NAVIGATE_EVENT)};
  const DOM_EVENT = ${literal(LIVE_AUTH_UPDATE_DOM_EVENT)};
  const STATES = ['allowed', 'denied', 'authorizing'];
  const isVersion = (value) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  const isObject = (value) => typeof value === 'object' && value !== null;
  const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

  const page = script.getAttribute('data-page') || '';
  const rendered = Number(script.getAttribute('data-version'));
  let lastVersion = isVersion(rendered) ? rendered : 0;

  const swap = (regions) => {
    if (!isObject(regions)) {
      return;
    }
    const elements = document.querySelectorAll('[data-auth-region]');
    for (let index = 0; index < elements.length; index += 1) {
      const element = elements[index];
      const name = element.getAttribute('data-auth-region');
      const region = own(regions, name) ? regions[name] : null;
      if (isObject(region) && typeof region.html === 'string' && STATES.indexOf(region.state) !== -1) {
        element.innerHTML = region.html;
        element.setAttribute('data-auth-state', region.state);
      }
    }
  };

  const sameOriginTarget = (to) => {
    if (typeof to !== 'string' || !/^\/(?![\/\\])/.test(to) || /[\\\u0000-\u001f\u007f]/.test(to)) {
      return null;
    }
    let url;
    try {
      url = new URL(to, window.location.href);
    } catch {
      return null;
    }
    return url.origin === window.location.origin ? url.href : null;
  };

  const socket = connect(NAMESPACE, {
    auth: (callback) => callback(page ? { page, version: lastVersion } : { version: lastVersion }),
    transports: ['websocket'],
  });

  socket.on(UPDATE, (message) => {
    if (!isObject(message) || !isVersion(message.version) || message.version < lastVersion) {
      return;
    }
    lastVersion = message.version;
    swap(message.regions);
    document.documentElement.setAttribute('data-auth-version', String(lastVersion));
    document.dispatchEvent(new CustomEvent(DOM_EVENT, { detail: message }));
  });

  socket.on(NAVIGATE, (message) => {
    const target = isObject(message) ? sameOriginTarget(message.to) : null;
    if (target !== null) {
      window.location.assign(target);
    }
  });
})();
`;

/** SHA-256 of the script, hex: its strong ETag. */
export const LIVE_AUTH_CLIENT_SCRIPT_SHA256: string = createHash('sha256')
  .update(LIVE_AUTH_CLIENT_SCRIPT, 'utf8')
  .digest('hex');

/** The script's Subresource Integrity value, for a page's `<script integrity="…">`. */
export const LIVE_AUTH_CLIENT_SCRIPT_INTEGRITY: string = `sha256-${createHash('sha256')
  .update(LIVE_AUTH_CLIENT_SCRIPT, 'utf8')
  .digest('base64')}`;
