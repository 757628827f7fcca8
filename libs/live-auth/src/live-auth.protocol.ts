import type { Claim } from '@livegate/auth';

/**
 * What travels between the live-auth gateway and the browser script: the socket.io namespace,
 * the two events the server sends, and the handshake the browser sends. The server never listens
 * to auth events from a client: a client cannot update, revoke or choose its rooms.
 */
export const LIVE_AUTH_NAMESPACE = '/live-auth';

/** Server → client: the principal changed (or the connection just started). */
export const AUTH_UPDATE_EVENT = 'auth:update';
/** Server → client: go to `to` (the login redirect); the server disconnects right after. */
export const AUTH_NAVIGATE_EVENT = 'auth:navigate';

/** Where the module serves the browser script. */
export const LIVE_AUTH_SCRIPT_PATH = '/livegate/live-auth.js';

/** The principal as a browser sees it. */
export interface LivePrincipal {
  isAuthenticated: boolean;
  userId: string | null;
  name: string | null;
  claims: Claim[];
  roles: string[];
}

/** What a region shows: its allowed branch, its denied branch, or the authorizing one. */
export type RegionState = 'allowed' | 'denied' | 'authorizing';

/** One region rendered for one principal: the inner HTML of its `data-auth-region` element. */
export interface RenderedRegion {
  state: RegionState;
  html: string;
}

/** `auth:update`: the new principal, its `claimsVersion` and every region of the page re-rendered. */
export interface AuthUpdateMessage {
  version: number;
  principal: LivePrincipal;
  regions: Record<string, RenderedRegion>;
}

/** `auth:navigate`: where to go, and why. */
export interface AuthNavigateMessage {
  to: string;
  reason: 'revoked' | 'denied' | 'expired';
}

/**
 * The handshake's `auth` object, as the browser script sends it: the live page it shows (a name
 * registered with `LivePages`) and the last `claimsVersion` it has seen (0 when none), so a tab
 * that reconnects after missing an update is brought up to date at once.
 */
export interface LiveHandshake {
  page?: string;
  version?: number;
}
