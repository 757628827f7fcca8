import type { UserSession } from '@livegate/state';
import type { ClaimsPrincipal } from './claims-principal';

/** Why a request that presented credentials is anonymous anyway. */
export type AuthFailure = 'invalid_credentials' | 'backend_unavailable';

/** What authentication resolved for one request or socket. Read-only; often shared. */
export interface AuthState {
  readonly principal: ClaimsPrincipal;
  readonly session: UserSession | null;
  readonly failure: AuthFailure | null;
}

const AUTH_STATE = Symbol.for('livegate.auth.request');

type Carrier = Record<string | symbol, unknown> & { raw?: Record<string | symbol, unknown> };

/** A socket.io socket: its auth state lives in `socket.data`, which is all the server keeps. */
function carrierOf(target: unknown): Carrier | undefined {
  if (typeof target !== 'object' || target === null) {
    return undefined;
  }
  const socket = target as { handshake?: unknown; data?: unknown };
  if (typeof socket.handshake === 'object' && typeof socket.data === 'object' && socket.data) {
    return socket.data as Carrier;
  }
  return target as Carrier;
}

/**
 * Attaches the auth state, with `req.user` and `req.authSession` for handlers that read the
 * request directly. On Fastify the middleware sees the raw Node request; guards see Fastify's
 * request, whose `raw` it is, so both places are read.
 */
export function attachAuthState(target: unknown, auth: AuthState): void {
  const carrier = carrierOf(target)!;
  carrier[AUTH_STATE] = auth;
  carrier.user = auth.principal;
  carrier.authSession = auth.session;
}

/**
 * The auth state of an HTTP request (Express, Fastify or raw Node) or of a socket.io socket, as
 * the middleware or the handshake resolved it; `undefined` where authentication has not run.
 */
export function authStateOf(requestOrSocket: unknown): AuthState | undefined {
  const carrier = carrierOf(requestOrSocket);
  if (!carrier) {
    return undefined;
  }
  const own = carrier[AUTH_STATE] as AuthState | undefined;
  if (own) {
    return own;
  }
  const fromRaw = carrier.raw?.[AUTH_STATE] as AuthState | undefined;
  if (fromRaw) {
    attachAuthState(carrier, fromRaw);
  }
  return fromRaw;
}
