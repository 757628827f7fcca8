import * as client from 'openid-client';
import { TokenError } from '../oauth.errors';
import type { OAuthTokens } from '../token-stores/oauth-tokens';
import { failureReason, refreshFailed } from './provider-errors';
import { tokensOf } from './oidc.provider';

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
