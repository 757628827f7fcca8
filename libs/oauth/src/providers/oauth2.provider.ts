import * as client from 'openid-client';
import { AuthenticationError } from '../oauth.errors';
import { PkceChallenge } from '../flow/pkce';
import type { OAuthTokens } from '../token-stores/oauth-tokens';
import {
  OAuthProvider,
  type AuthorizationOptions,
  type AuthorizationRequest,
  type AuthorizationTransaction,
  type LoginResult,
  type LogoutRequest,
  type ProviderUserInfo,
} from './oauth-provider';
import { loginFailed } from './provider-errors';
import { refreshWith, revokeWith } from './token-calls';
import { PROVIDER_TIMEOUT_SECONDS } from './oidc.provider';
import { tokensOf } from './token-calls';

/** The endpoints of a plain OAuth2 provider. */
export interface OAuth2Endpoints {
  /** The identifier the user's identity is scoped to (an issuer URL, or the provider's site). */
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  revocationUrl?: string;
}

export interface OAuth2ProviderOptions {
  name: string;
  clientId: string;
  clientSecret?: string;
  scopes?: readonly string[];
  /** Development only: `http://` endpoints (tests on loopback). */
  allowInsecureEndpoints?: boolean;
  timeoutSeconds?: number;
}

/**
 * A provider without OpenID Connect: the user is whoever the userinfo call (with the access
 * token just obtained) says. PKCE S256 and a one-time `state` on every login; the subclass
 * names the endpoints and reads the user.
 */
export abstract class OAuth2Provider extends OAuthProvider {
  readonly kind = 'oauth2' as const;
  readonly name: string;
  protected readonly config: client.Configuration;
  protected readonly timeoutMs: number;

  constructor(
    protected readonly options: OAuth2ProviderOptions,
    protected readonly endpoints: OAuth2Endpoints,
  ) {
    super();
    this.name = options.name;
    if (typeof options.clientId !== 'string' || options.clientId === '') {
      throw new AuthenticationError(`The ${this.name} provider needs a client id`, {
        provider: this.name,
      });
    }
    for (const [field, url] of Object.entries(endpoints)) {
      this.checkUrl(field, url);
    }
    this.timeoutMs = (options.timeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS) * 1000;
    this.config = new client.Configuration(
      {
        issuer: endpoints.issuer,
        authorization_endpoint: endpoints.authorizeUrl,
        token_endpoint: endpoints.tokenUrl,
        ...(endpoints.revocationUrl ? { revocation_endpoint: endpoints.revocationUrl } : {}),
      },
      options.clientId,
      undefined,
      options.clientSecret ? client.ClientSecretPost(options.clientSecret) : client.None(),
    );
    this.config.timeout = options.timeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS;
    if (options.allowInsecureEndpoints) {
      client.allowInsecureRequests(this.config);
    }
  }

  protected checkUrl(field: string, url: string | undefined): void {
    if (url === undefined) {
      return;
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AuthenticationError(`The ${this.name} ${field} is not a URL`, {
        provider: this.name,
      });
    }
    if (
      parsed.protocol !== 'https:' &&
      !(parsed.protocol === 'http:' && this.options.allowInsecureEndpoints)
    ) {
      throw new AuthenticationError(
        `The ${this.name} ${field} must be an https:// URL (http:// only in development)`,
        { provider: this.name },
      );
    }
  }

  /** Who the access token belongs to. */
  protected abstract fetchUser(accessToken: string): Promise<ProviderUserInfo>;

  /** The authorization parameter a login hint goes in. */
  protected readonly loginHintParameter: string = 'login_hint';

  protected defaultScopes(): readonly string[] {
    return [];
  }

  async authorizationRequest(
    redirectUri: string,
    options: AuthorizationOptions = {},
  ): Promise<AuthorizationRequest> {
    const pkce = PkceChallenge.generate();
    const transaction: AuthorizationTransaction = {
      state: client.randomState(),
      codeVerifier: pkce.verifier,
      redirectUri,
    };
    const scopes = options.scopes ?? this.options.scopes ?? this.defaultScopes();
    const url = client.buildAuthorizationUrl(this.config, {
      redirect_uri: redirectUri,
      ...(scopes.length ? { scope: scopes.join(' ') } : {}),
      code_challenge: pkce.challenge,
      code_challenge_method: pkce.method,
      state: transaction.state,
      ...(options.loginHint ? { [this.loginHintParameter]: options.loginHint } : {}),
      ...(options.prompt ? { prompt: options.prompt } : {}),
    });
    return { url, transaction };
  }

  async completeLogin(
    callbackUrl: URL,
    transaction: AuthorizationTransaction,
  ): Promise<LoginResult> {
    try {
      const current = new URL(transaction.redirectUri);
      current.search = callbackUrl.search;
      const response = await client.authorizationCodeGrant(this.config, current, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        idTokenExpected: false,
      });
      const tokens = tokensOf(response);
      return { tokens, user: await this.fetchUser(tokens.accessToken) };
    } catch (error) {
      throw loginFailed(this.name, error);
    }
  }

  async refresh(refreshToken: string): Promise<OAuthTokens> {
    return refreshWith(this.config, this.name, refreshToken);
  }

  async verifyLogoutToken(): Promise<LogoutRequest> {
    throw new AuthenticationError(`The ${this.name} provider has no back-channel logout`, {
      provider: this.name,
    });
  }

  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean> {
    return revokeWith(this.config, this.name, token, hint);
  }

  /** GETs a JSON resource with the access token, bounded by the provider timeout. */
  protected async getJson(
    url: string,
    accessToken: string,
    headers: Record<string, string> = {},
  ): Promise<unknown> {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...headers, authorization: `Bearer ${accessToken}` },
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) {
      await response.arrayBuffer();
      throw new AuthenticationError(`The ${this.name} user API answered ${response.status}`, {
        provider: this.name,
      });
    }
    try {
      return await response.json();
    } catch (error) {
      throw new AuthenticationError(`The ${this.name} user API did not answer JSON`, {
        provider: this.name,
        cause: error,
      });
    }
  }
}

/** A `subject` from a userinfo field: a non-empty string or a safe integer, else refused. */
export function subjectOf(provider: string, value: unknown): string {
  if (
    (typeof value === 'string' && value !== '' && value.length <= 255) ||
    Number.isSafeInteger(value)
  ) {
    return String(value);
  }
  throw new AuthenticationError(`The ${provider} userinfo names no user id`, { provider });
}
