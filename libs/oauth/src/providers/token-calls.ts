import * as client from 'openid-client';
import { TokenError } from '../oauth.errors';
import { DEFAULT_ACCESS_TOKEN_LIFETIME, type OAuthTokens } from '../token-stores/oauth-tokens';
import { failureReason, refreshFailed } from './provider-errors';

/** The tokens of a token endpoint response, with a bounded default lifetime. */
export function tokensOf(response: client.TokenEndpointResponse, now = Date.now()): OAuthTokens {
  const expiresIn =
    typeof response.expires_in === 'number' && response.expires_in > 0
      ? response.expires_in
      : DEFAULT_ACCESS_TOKEN_LIFETIME;
  return {
    accessToken: response.access_token,
    tokenType: 'Bearer',
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(response.id_token ? { idToken: response.id_token } : {}),
    expiresAt: now + Math.round(expiresIn * 1000),
    ...(response.scope ? { scope: response.scope } : {}),
  };
}

/**
 * The refresh grant every provider kind shares: new tokens, keeping the refresh token it was
 * given when the provider does not rotate it; failures as `refreshFailed` names them.
 */
export async function refreshWith(
  config: client.Configuration,
  provider: string,
  refreshToken: string,
): Promise<OAuthTokens> {
  try {
    const tokens = tokensOf(await client.refreshTokenGrant(config, refreshToken));
    return tokens.refreshToken ? tokens : { ...tokens, refreshToken };
  } catch (error) {
    throw refreshFailed(provider, error);
  }
}

/** RFC 7009 revocation at the configuration's revocation endpoint; `false` when it has none. */
export async function revokeWith(
  config: client.Configuration,
  provider: string,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<boolean> {
  if (!config.serverMetadata().revocation_endpoint) {
    return false;
  }
  try {
    await client.tokenRevocation(config, token, { token_type_hint: hint });
    return true;
  } catch (error) {
    throw new TokenError(`Revoking the ${provider} token failed: ${failureReason(error)}`, {
      provider,
      cause: error,
    });
  }
}
