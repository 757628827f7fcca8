import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { AuthenticationError } from '../oauth.errors';
import type { LogoutRequest } from './oauth-provider';

/** The event a back-channel logout token carries (OpenID Connect Back-Channel Logout 1.0). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Oldest logout token accepted, in seconds from its `iat`. */
export const MAX_LOGOUT_TOKEN_AGE_SECONDS = 120;

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/**
 * Verifies a back-channel logout token as an ID token is verified: the signature with the
 * issuer's published keys (never keys from the token), `iss`, `aud` (the client id), `iat`
 * within `MAX_LOGOUT_TOKEN_AGE_SECONDS`, `exp` if present, the logout event, no `nonce`, a `jti`,
 * and a `sub` or a `sid`.
 */
export class LogoutTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly provider: string,
    private readonly issuer: string,
    private readonly clientId: string,
    jwksUri: string,
  ) {
    this.keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000 });
  }

  async verify(token: string): Promise<LogoutRequest> {
    let payload: JWTPayload;
    let header: { typ?: string };
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        audience: this.clientId,
        algorithms: ALGORITHMS,
        maxTokenAge: MAX_LOGOUT_TOKEN_AGE_SECONDS,
        clockTolerance: 30,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (error) {
      throw this.refused(`it did not verify (${(error as { code?: string }).code ?? 'invalid'})`);
    }
    if (header.typ !== undefined && header.typ.toLowerCase() !== 'logout+jwt') {
      throw this.refused('its type is not logout+jwt');
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = events?.[BACKCHANNEL_LOGOUT_EVENT];
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw this.refused('it carries no back-channel logout event');
    }
    if ('nonce' in payload) {
      throw this.refused('it carries a nonce');
    }
    const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
    if (!subject && !sid) {
      throw this.refused('it names neither a user (sub) nor a session (sid)');
    }
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) {
      throw this.refused('it has no usable id (jti)');
    }
    const expiresAt = ((payload.exp ?? payload.iat! + MAX_LOGOUT_TOKEN_AGE_SECONDS) + 30) * 1000;
    return {
      issuer: this.issuer,
      ...(subject ? { subject } : {}),
      ...(sid ? { providerSessionId: sid } : {}),
      tokenId: payload.jti,
      expiresAt,
    };
  }

  private refused(reason: string): AuthenticationError {
    return new AuthenticationError(`The ${this.provider} logout token is refused: ${reason}`, {
      provider: this.provider,
    });
  }
}
