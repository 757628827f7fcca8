import type { UserSession } from '@livegate/state';
import type { ClaimsPrincipal } from './claims-principal';

/** Why a request that presented credentials is anonymous anyway. */
export type AuthFailure = 'invalid_credentials' | 'backend_unavailable';

/** What the middleware (or the guard) resolved for one request or socket. */
export interface RequestAuth {
  principal: ClaimsPrincipal;
  session: UserSession | null;
  failure: AuthFailure | null;
}

const AUTH_STATE = Symbol.for('livegate.auth.request');

type Carrier = Record<string | symbol, unknown> & { raw?: Record<string | symbol, unknown> };

/**
 * Attaches the auth state as `req.user` and `req.authSession`. On Fastify the middleware sees the
 * raw Node request; guards see Fastify's request, whose `raw` it is, so both places are read.
 */
export function setRequestAuth(request: unknown, auth: RequestAuth): void {
  const carrier = request as Carrier;
  carrier[AUTH_STATE] = auth;
  carrier.user = auth.principal;
  carrier.authSession = auth.session;
}

export function getRequestAuth(request: unknown): RequestAuth | undefined {
  const carrier = request as Carrier | undefined;
  const auth = (carrier?.[AUTH_STATE] ?? carrier?.raw?.[AUTH_STATE]) as RequestAuth | undefined;
  if (auth && carrier && carrier[AUTH_STATE] === undefined) {
    setRequestAuth(carrier, auth);
  }
  return auth;
}
