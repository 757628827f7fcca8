import * as client from 'openid-client';
import { AuthenticationError, ProviderUnavailableError } from '../oauth.errors';
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
import { LogoutTokenVerifier } from './logout-token';
import { failureReason, loginFailed } from './provider-errors';
import { refreshWith, revokeWith, tokensOf } from './token-calls';

/** Seconds of clock difference tolerated on `exp`, `iat` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** Oldest ID token accepted at a login, in seconds from its `iat` (openid-client allows a week). */
export const MAX_ID_TOKEN_AGE_SECONDS = 300;
/** Seconds a provider request may take. */
export const PROVIDER_TIMEOUT_SECONDS = 10;

export interface OidcProviderOptions {
  /** The provider's name in routes, errors and logs. Default `oidc`. */
  name?: string;
  /** The issuer URL; discovery must answer with exactly this issuer. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Default `openid email profile`; `openid` is always asked for. */
  scopes?: readonly string[];
  /** The ID token signing algorithm the client registered. Default `RS256`. */
  idTokenAlgorithm?: string;
  /** Development only: an `http://` issuer (tests on loopback). */
  allowInsecureIssuer?: boolean;
  /** Seconds a provider request may take. Default `PROVIDER_TIMEOUT_SECONDS`. */
  timeoutSeconds?: number;
}

type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/**
 * An OpenID Connect provider found by discovery, on `openid-client`: PKCE S256, `state` and
 * `nonce` on every login; the ID token's signature (keys only from the issuer's JWKS), issuer,
 * audience and authorized party, expiry and age checked; userinfo only for the ID token's
 * subject. `GoogleProvider` and `MicrosoftProvider` are this with their issuers.
 */
export class OidcProvider extends OAuthProvider {
  readonly name: string;
  readonly kind = 'oidc' as const;
  readonly issuer: string;
  private configuration?: Promise<client.Configuration>;

  constructor(protected readonly options: OidcProviderOptions) {
    super();
    this.name = options.name ?? 'oidc';
    let url: URL;
    try {
      url = new URL(options.issuer);
    } catch {
      throw new AuthenticationError(`The ${this.name} issuer is not a URL`, {
        provider: this.name,
      });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowInsecureIssuer)) {
      throw new AuthenticationError(
        `The ${this.name} issuer must be an https:// URL (http:// only with allowInsecureIssuer, in development)`,
        { provider: this.name },
      );
    }
    if (typeof options.clientId !== 'string' || options.clientId === '') {
      throw new AuthenticationError(`The ${this.name} provider needs a client id`, {
        provider: this.name,
      });
    }
    this.issuer = options.issuer;
  }

  /** The discovered configuration, fetched once (again after a failure). */
  protected config(): Promise<client.Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const { clientId, clientSecret } = this.options;
    let config: client.Configuration;
    try {
      config = await client.discovery(
        new URL(this.issuer),
        clientId,
        { id_token_signed_response_alg: this.options.idTokenAlgorithm ?? 'RS256' },
        clientSecret ? client.ClientSecretPost(clientSecret) : client.None(),
        {
          execute: this.options.allowInsecureIssuer ? [client.allowInsecureRequests] : [],
          timeout: this.options.timeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS,
        },
      );
    } catch (error) {
      throw new ProviderUnavailableError(
        `The ${this.name} issuer ${this.issuer} could not be discovered: ${failureReason(error)}`,
        { provider: this.name, cause: error },
      );
    }
    if (!this.acceptsDiscoveredIssuer(config.serverMetadata().issuer)) {
      throw new AuthenticationError(
        `The ${this.name} issuer discovered at ${this.issuer} names another issuer: refusing it`,
        { provider: this.name },
      );
    }
    config.timeout = this.options.timeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS;
    // Verify the ID token's signature also when it comes straight from the token endpoint.
    client.enableNonRepudiationChecks(config);
    return config;
  }

  /** Whether discovery's `issuer` is the configured one (exactly, unless a subclass knows better). */
  protected acceptsDiscoveredIssuer(discovered: string): boolean {
    return discovered === this.issuer;
  }

  /** More authorization parameters a provider needs (Google's `access_type`). */
  protected extraAuthorizationParameters(): Record<string, string> {
    return {};
  }

  /** A provider's own checks of the verified ID token claims: the problem, or `undefined`. */
  protected claimsProblem(_claims: client.IDToken): string | undefined {
    return undefined;
  }

  protected scopes(options?: AuthorizationOptions): string {
    const scopes = options?.scopes ?? this.options.scopes ?? ['openid', 'email', 'profile'];
    return [...new Set(['openid', ...scopes])].join(' ');
  }

  async authorizationRequest(
    redirectUri: string,
    options: AuthorizationOptions = {},
  ): Promise<AuthorizationRequest> {
    const config = await this.config();
    const pkce = PkceChallenge.generate();
    const transaction: AuthorizationTransaction = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: pkce.verifier,
      redirectUri,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.scopes(options),
      code_challenge: pkce.challenge,
      code_challenge_method: pkce.method,
      state: transaction.state,
      nonce: transaction.nonce!,
      ...this.extraAuthorizationParameters(),
      ...(options.loginHint ? { login_hint: options.loginHint } : {}),
      ...(options.prompt ? { prompt: options.prompt } : {}),
    });
    return { url, transaction };
  }

  async completeLogin(
    callbackUrl: URL,
    transaction: AuthorizationTransaction,
  ): Promise<LoginResult> {
    try {
      const config = await this.config();
      // The redirect URI is the configured one, whatever host the callback arrived on.
      const current = new URL(transaction.redirectUri);
      current.search = callbackUrl.search;
      const response: TokenResponse = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      const claims = response.claims();
      if (!claims) {
        throw new AuthenticationError(`The ${this.name} token response holds no ID token`, {
          provider: this.name,
        });
      }
      const problem = this.claimsProblem(claims);
      if (problem) {
        throw new AuthenticationError(`The ${this.name} ID token is refused: ${problem}`, {
          provider: this.name,
        });
      }
      const age = Date.now() / 1000 - claims.iat;
      if (age > MAX_ID_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) {
        throw new AuthenticationError(
          `The ${this.name} ID token was issued ${Math.round(age)} s ago: too old for a login`,
          { provider: this.name },
        );
      }
      const userinfo = await client.fetchUserInfo(config, response.access_token, claims.sub);
      return {
        tokens: tokensOf(response),
        user: this.userOf({ ...claims, ...userinfo }),
        ...(typeof claims.sid === 'string' ? { providerSessionId: claims.sid } : {}),
      };
    } catch (error) {
      throw loginFailed(this.name, error);
    }
  }

  /** The user of merged ID token claims and userinfo (their `sub` already checked equal). */
  protected userOf(raw: Record<string, unknown>): ProviderUserInfo {
    return {
      issuer: typeof raw.iss === 'string' ? raw.iss : this.issuer,
      subject: String(raw.sub),
      ...(typeof raw.email === 'string' ? { email: raw.email } : {}),
      emailVerified: raw.email_verified === true,
      ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
      raw: Object.freeze({ ...raw }),
    };
  }

  async refresh(refreshToken: string): Promise<OAuthTokens> {
    return refreshWith(await this.config(), this.name, refreshToken);
  }

  private logoutVerifier?: Promise<LogoutTokenVerifier>;

  async verifyLogoutToken(token: string): Promise<LogoutRequest> {
    this.logoutVerifier ??= this.config().then((config) => {
      const jwksUri = config.serverMetadata().jwks_uri;
      if (!jwksUri) {
        throw new AuthenticationError(`The ${this.name} issuer publishes no keys (jwks_uri)`, {
          provider: this.name,
        });
      }
      return new LogoutTokenVerifier(this.name, this.issuer, this.options.clientId, jwksUri);
    });
    const verifier = await this.logoutVerifier.catch((error: unknown) => {
      this.logoutVerifier = undefined;
      throw error;
    });
    return verifier.verify(token);
  }

  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean> {
    return revokeWith(await this.config(), this.name, token, hint);
  }
}
