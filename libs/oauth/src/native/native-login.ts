import { randomUUID, timingSafeEqual } from 'node:crypto';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  OAuthError,
  type OAuthErrorContext,
} from '../oauth.errors';
import type {
  AuthorizationOptions,
  AuthorizationTransaction,
  OAuthProvider,
  ProviderUserInfo,
} from '../providers/oauth-provider';
import { loginFailed } from '../providers/provider-errors';
import type { OAuthTokens } from '../token-stores/oauth-tokens';
import { LoopbackCallbackServer, type CallbackAnswer } from './loopback-server';
import { openSystemBrowser, type BrowserOpener } from './system-browser';

/** Seconds a native login waits for the user by default (`AUTH_TIMEOUT_SECONDS`). */
export const DEFAULT_AUTH_TIMEOUT_SECONDS = 120;

export interface NativeLoginOptions extends AuthorizationOptions {
  provider: OAuthProvider;
  /** Opens the sign-in URL. Default `openSystemBrowser`; tests and headless apps pass their own. */
  openBrowser?: BrowserOpener;
  /** Seconds to wait for the redirect. Default `DEFAULT_AUTH_TIMEOUT_SECONDS`. */
  timeoutSeconds?: number;
  /** The loopback port; default 0, a free one (register `http://127.0.0.1/callback` with any port). */
  port?: number;
  /** The redirect URI's path. Default `/callback`. */
  callbackPath?: string;
}

/** The outcome of a native login (the reference's `AuthFlowResult`). */
export interface AuthFlowResult {
  readonly success: true;
  readonly flowId: string;
  readonly provider: string;
  readonly tokens: OAuthTokens;
  /** The provider's userinfo as it sent it (`sub`, `email`, `name`; GitHub's `id`, `login`). */
  readonly userInfo: Readonly<Record<string, unknown>>;
  /** Who signed in, as the other Livegate logins name it. */
  readonly user: ProviderUserInfo;
}

/** A constant-time comparison of the state a request carries with the one the flow sent. */
function sameState(received: string | null, expected: string): boolean {
  if (received === null) {
    return false;
  }
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The same error with this flow's id and provider in its context. */
function inFlow(error: unknown, context: OAuthErrorContext): OAuthError {
  const failure = error instanceof OAuthError ? error : loginFailed(context.provider!, error);
  if (failure.flowId === context.flowId) {
    return failure;
  }
  const Kind = failure.constructor as new (
    message: string,
    context: OAuthErrorContext,
  ) => OAuthError;
  return new Kind(failure.message, { ...context, cause: failure.cause ?? failure });
}

const SUCCESS: CallbackAnswer = {
  status: 200,
  title: 'Authentication complete',
  message: 'You are signed in. You can close this window and return to the app.',
  final: true,
};

/**
 * One native login (RFC 8252): a callback server on 127.0.0.1, the provider's sign-in page in the
 * system browser, PKCE S256 with `state` (and `nonce` for OpenID Connect), and the code exchanged
 * once the redirect lands. A request with a wrong or missing `state`, or to another `Host`, gets a
 * 400 page and leaves the flow waiting for the real redirect. It ends, and its server closes, on
 * success, on the provider's error (`AuthenticationError`), on `cancel()` (`AuthFlowCancelled`) or
 * after `timeoutSeconds` (`AuthFlowTimeout`); every error names the flow and provider.
 */
export class NativeLoginFlow {
  readonly flowId = randomUUID();
  /** Resolves with the result, or rejects with the flow's typed error. */
  readonly result: Promise<AuthFlowResult>;
  private server: LoopbackCallbackServer | undefined;
  private finish!: (outcome: { result?: AuthFlowResult; error?: OAuthError }) => void;
  private ended = false;
  /** A redirect with the right state arrived: its code is being exchanged. */
  private exchanging = false;

  constructor(private readonly options: NativeLoginOptions) {
    this.result = new Promise<AuthFlowResult>((resolve, reject) => {
      this.finish = ({ result, error }) => {
        if (this.ended) {
          return;
        }
        this.ended = true;
        if (error) {
          reject(error);
        } else {
          resolve(result!);
        }
      };
    });
    // Handled here too, so that a flow nobody awaits yet cannot crash the process.
    this.result.catch(() => undefined);
    void this.run();
  }

  /** The redirect URI of this flow, once its server listens (`undefined` before). */
  get redirectUri(): string | undefined {
    return this.server?.redirectUri;
  }

  /** Ends the flow with `AuthFlowCancelled` (the user closed the login window, say). */
  cancel(): void {
    this.fail(
      new AuthFlowCancelled(`The ${this.providerName} sign-in was cancelled`, this.context()),
    );
  }

  private get providerName(): string {
    return this.options.provider.name;
  }

  private context(extra: OAuthErrorContext = {}): OAuthErrorContext {
    return { provider: this.providerName, flowId: this.flowId, ...extra };
  }

  private fail(error: OAuthError): void {
    this.finish({ error });
    void this.server?.close();
  }

  private async run(): Promise<void> {
    const { provider, openBrowser = openSystemBrowser } = this.options;
    const timeout = this.options.timeoutSeconds ?? DEFAULT_AUTH_TIMEOUT_SECONDS;
    const timer = setTimeout(
      () =>
        this.fail(
          new AuthFlowTimeout(
            `The ${this.providerName} sign-in was not completed within ${timeout} s`,
            this.context({ timeout }),
          ),
        ),
      timeout * 1000,
    );
    timer.unref();
    void this.result.finally(() => clearTimeout(timer)).catch(() => undefined);
    try {
      const server = await LoopbackCallbackServer.listen(
        this.options.port,
        this.options.callbackPath,
      );
      this.server = server;
      if (this.ended) {
        await server.close();
        return;
      }
      const { url, transaction } = await provider.authorizationRequest(server.redirectUri, {
        scopes: this.options.scopes,
        loginHint: this.options.loginHint,
        prompt: this.options.prompt,
      });
      server.onCallback((callback) => this.callback(callback, transaction));
      if (!this.ended) {
        await openBrowser(url);
      }
    } catch (error) {
      this.fail(inFlow(error, this.context()));
    }
  }

  private async callback(
    callback: URL,
    transaction: AuthorizationTransaction,
  ): Promise<CallbackAnswer> {
    if (!sameState(callback.searchParams.get('state'), transaction.state)) {
      return {
        status: 400,
        title: 'Not this sign-in',
        message:
          'This link is not the sign-in this app is waiting for. Return to the app and try again.',
      };
    }
    if (this.ended || this.exchanging) {
      return {
        status: 410,
        title: 'Sign-in finished',
        message: 'This sign-in is over. You can close this window.',
      };
    }
    this.exchanging = true;
    const outcome = await this.exchange(callback, transaction);
    const finished = !this.ended;
    this.finish(outcome);
    return finished && !outcome.error
      ? SUCCESS
      : {
          status: 400,
          title: 'Sign-in failed',
          message: 'The sign-in did not complete. Return to the app and try again.',
          final: true,
        };
  }

  private async exchange(
    callback: URL,
    transaction: AuthorizationTransaction,
  ): Promise<{ result?: AuthFlowResult; error?: OAuthError }> {
    const error = callback.searchParams.get('error');
    if (error !== null) {
      const code = /^[\w.-]{1,64}$/.test(error) ? error : 'an error';
      return {
        error: new AuthenticationError(
          `The ${this.providerName} sign-in was refused: the provider answered ${code}`,
          this.context(),
        ),
      };
    }
    try {
      const { tokens, user } = await this.options.provider.completeLogin(callback, transaction);
      return {
        result: {
          success: true,
          flowId: this.flowId,
          provider: this.providerName,
          tokens,
          userInfo: user.raw,
          user,
        },
      };
    } catch (failure) {
      return { error: inFlow(failure, this.context()) };
    }
  }
}

/** Starts a native login; await `.result` for its `AuthFlowResult`, or call `.cancel()`. */
export function nativeLogin(options: NativeLoginOptions): NativeLoginFlow {
  return new NativeLoginFlow(options);
}
