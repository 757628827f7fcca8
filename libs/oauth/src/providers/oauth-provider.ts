import type { OAuthTokens } from '../token-stores/oauth-tokens';

/** `oidc` providers sign the user in with an ID token; `oauth2` ones only through userinfo. */
export type ProviderKind = 'oidc' | 'oauth2';

/** Who signed in, as the provider vouches for it. */
export interface ProviderUserInfo {
  /** The issuer: the provider's own identifier (an OIDC issuer URL, or a fixed one for OAuth2). */
  readonly issuer: string;
  /** The provider's stable id of the user (`sub`; GitHub's numeric id), never a changeable name. */
  readonly subject: string;
  readonly email?: string;
  /** Whether the provider verified `email`: only a verified email may promote to admin. */
  readonly emailVerified: boolean;
  readonly name?: string;
  /** The provider's userinfo (and ID token claims) as it sent them. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** What a login needs to remember between the redirect and the callback. Never sent to the browser. */
export interface AuthorizationTransaction {
  readonly state: string;
  readonly nonce?: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
}

/** An authorization request: the URL to send the browser to, and its transaction. */
export interface AuthorizationRequest {
  readonly url: URL;
  readonly transaction: AuthorizationTransaction;
}

export interface AuthorizationOptions {
  /** Scopes instead of the provider's configured ones. */
  scopes?: readonly string[];
  loginHint?: string;
  prompt?: string;
}

/** The outcome of a callback: the tokens and the user they belong to. */
export interface LoginResult {
  readonly tokens: OAuthTokens;
  readonly user: ProviderUserInfo;
  /** The provider's session id (the ID token's `sid`), which back-channel logout names. */
  readonly providerSessionId?: string;
}

/** A verified back-channel logout token: whom it logs out, and its id (accepted once). */
export interface LogoutRequest {
  readonly issuer: string;
  readonly subject?: string;
  readonly providerSessionId?: string;
  readonly tokenId: string;
  /** Until when the token is valid (epoch ms): its id must be remembered that long. */
  readonly expiresAt: number;
}

/**
 * One identity provider. Every method fails with an `AuthenticationError` or `TokenError`
 * naming the provider, never with a token, code or state in its message.
 */
export abstract class OAuthProvider {
  /** `google`, `github`, `microsoft`, or the name given to an `oidc` or `custom` provider. */
  abstract readonly name: string;
  abstract readonly kind: ProviderKind;
  /** The URL to send the browser to (PKCE S256 always; `nonce` for OpenID Connect). */
  abstract authorizationRequest(
    redirectUri: string,
    options?: AuthorizationOptions,
  ): Promise<AuthorizationRequest>;
  /** Exchanges the code of the callback URL for tokens, checking everything the transaction holds. */
  abstract completeLogin(
    callbackUrl: URL,
    transaction: AuthorizationTransaction,
  ): Promise<LoginResult>;
  /** New tokens for a refresh token; `TokenRefreshError` when the provider refuses it. */
  abstract refresh(refreshToken: string): Promise<OAuthTokens>;
  /**
   * Verifies a back-channel logout token (OpenID Connect Back-Channel Logout 1.0); a provider
   * without back-channel logout refuses every token with `AuthenticationError`.
   */
  abstract verifyLogoutToken(token: string): Promise<LogoutRequest>;
  /** Revokes a token (RFC 7009); `false` when the provider has no way to. */
  abstract revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean>;
}
