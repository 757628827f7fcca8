/** Where an OAuth error happened, as far as it is known. Never a token, code or state. */
export interface OAuthErrorContext {
  /** The provider's name (`google`, `github`, ...). */
  provider?: string;
  /** The login flow's id. */
  flowId?: string;
  /** The timeout that ran out, in seconds. */
  timeout?: number;
  cause?: unknown;
}

/**
 * The base of every OAuth error: a stable `code` for `{ error, message }` bodies, the HTTP
 * `status` a route answers with, and the context the flow knows.
 */
export abstract class OAuthError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly provider?: string;
  readonly flowId?: string;

  constructor(message: string, context: OAuthErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.provider = context.provider;
    this.flowId = context.flowId;
  }
}

/** A failed login or a configuration that cannot work (an unknown provider, a missing URL). */
export class AuthenticationError extends OAuthError {
  readonly code: string = 'authentication_failed';
  readonly status: number = 401;
}

/**
 * The provider could not be used: its discovery document or keys could not be fetched (it is
 * down, does not answer in time, or its TLS certificate is not trusted). No login can start;
 * routes answer 502.
 */
export class ProviderUnavailableError extends AuthenticationError {
  override readonly code = 'provider_unavailable';
  override readonly status = 502;
}

/** The user did not finish logging in within the flow's timeout. */
export class AuthFlowTimeout extends OAuthError {
  readonly code = 'auth_timeout';
  readonly status = 408;
  readonly timeout?: number;

  constructor(message: string, context: OAuthErrorContext = {}) {
    super(message, context);
    this.timeout = context.timeout;
  }
}

/** The flow was cancelled before it finished. */
export class AuthFlowCancelled extends OAuthError {
  readonly code = 'auth_cancelled';
  readonly status = 400;
}

/** A token failed: the exchange with the provider, or a stored token that cannot be read. */
export class TokenError extends OAuthError {
  readonly code: string = 'token_error';
  readonly status: number = 502;
}

/** The access token expired and there is no refresh token to renew it. */
export class TokenExpiredError extends TokenError {
  override readonly code = 'token_expired';
  override readonly status = 401;
}

/** The provider refused the refresh token: the user has to log in again. */
export class TokenRefreshError extends TokenError {
  override readonly code = 'reauth_required';
  override readonly status = 401;
}
