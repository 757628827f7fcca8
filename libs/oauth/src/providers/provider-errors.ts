import { AuthenticationError, TokenError, TokenRefreshError } from '../oauth.errors';

/**
 * Why a provider call failed, in words safe to log and show: the OAuth error code the provider
 * answered with, or the check that failed. Never a token, code or state value.
 */
export function failureReason(error: unknown): string {
  const { error: oauthCode, code, name, message } = (error ?? {}) as Record<string, unknown>;
  if (typeof oauthCode === 'string' && /^[\w.-]{1,64}$/.test(oauthCode)) {
    return `the provider answered ${oauthCode}`;
  }
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'OAUTH_TIMEOUT') {
    return 'the provider did not answer in time';
  }
  const transport = transportFailure(error);
  if (transport) {
    return transport;
  }
  if (typeof code === 'string' && typeof message === 'string') {
    // openid-client's checks: their messages name the check, never the value that failed it.
    // The innermost one is the most precise ("unexpected JWT "iss" (issuer) claim value").
    const inner = (error as { cause?: unknown }).cause as Record<string, unknown> | undefined;
    if (inner && typeof inner.code === 'string' && typeof inner.message === 'string') {
      return failureReason(inner);
    }
    return message.replace(/\s+/g, ' ').slice(0, 200);
  }
  return 'the provider could not be reached or answered with something unexpected';
}

/** TLS and connection failures that Node names with a code, anywhere in the cause chain. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL|ALTNAME/;
const CONNECTION_CODE = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;

function transportFailure(error: unknown): string | undefined {
  for (let depth = 0, current = error; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODE.test(code)) {
      return `the provider's TLS certificate was refused (${code})`;
    }
    if (typeof code === 'string' && CONNECTION_CODE.test(code)) {
      return `the provider could not be reached (${code})`;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The OAuth error code a provider answered with, when it answered one. */
export function oauthErrorCode(error: unknown): string | undefined {
  const value = (error as { error?: unknown } | null)?.error;
  return typeof value === 'string' ? value : undefined;
}

export function loginFailed(provider: string, error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) {
    return error;
  }
  return new AuthenticationError(`The ${provider} login failed: ${failureReason(error)}`, {
    provider,
    cause: error,
  });
}

export function refreshFailed(provider: string, error: unknown): TokenError {
  if (error instanceof TokenError) {
    return error;
  }
  const context = { provider, cause: error };
  return oauthErrorCode(error) === 'invalid_grant'
    ? new TokenRefreshError(`The ${provider} refresh token was refused: sign in again`, context)
    : new TokenError(`Refreshing the ${provider} token failed: ${failureReason(error)}`, context);
}
