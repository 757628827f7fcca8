import { createHash, randomBytes } from 'node:crypto';
import type { TransientStore } from '@livegate/state';
import { AuthenticationError } from '../oauth.errors';
import type { AuthorizationTransaction, OAuthProvider } from '../providers/oauth-provider';
import { safeReturnPath } from './return-path';

/** What is kept of a login between its redirect and its callback. */
export interface StoredTransaction extends AuthorizationTransaction {
  readonly provider: string;
  readonly returnTo: string;
  readonly createdAt: number;
}

/** A started login: where to send the browser, and the transaction cookie's value. */
export interface StartedLogin {
  readonly url: URL;
  readonly cookieValue: string;
}

/** The transient-store key of a transaction: the SHA-256 of its cookie, never the cookie. */
export function transactionKey(cookieValue: string): string {
  return `oauth:tx:${createHash('sha256').update(cookieValue, 'utf8').digest('hex')}`;
}

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Login transactions in the state backend's transient store, so a callback may land on any
 * worker: the state, nonce and PKCE verifier are kept under a hash of a random value that only
 * the browser that started the login holds (the transaction cookie). A transaction is taken, not
 * read: it serves one callback, and an attacker's callback URL opened in a victim's browser
 * (login CSRF) finds no transaction of its own.
 */
export class LoginTransactions {
  constructor(
    private readonly store: TransientStore,
    private readonly maxAgeSeconds: number,
  ) {}

  async begin(
    provider: OAuthProvider,
    redirectUri: string,
    returnTo: unknown,
  ): Promise<StartedLogin> {
    const { url, transaction } = await provider.authorizationRequest(redirectUri);
    const cookieValue = randomBytes(32).toString('base64url');
    const stored: StoredTransaction = {
      ...transaction,
      provider: provider.name,
      returnTo: safeReturnPath(returnTo),
      createdAt: Date.now(),
    };
    await this.store.set(transactionKey(cookieValue), JSON.stringify(stored), this.maxAgeSeconds);
    return { url, cookieValue };
  }

  /**
   * The transaction of this browser's login with `provider`, taken (it cannot be used again).
   * Refused with `AuthenticationError` when the cookie is missing or malformed, the transaction
   * unknown, used or expired, it belongs to another provider, or the callback's `state` is not
   * its own.
   */
  async finish(
    provider: OAuthProvider,
    cookieValue: string | undefined,
    callbackState: unknown,
  ): Promise<StoredTransaction> {
    const context = { provider: provider.name };
    if (cookieValue === undefined || !COOKIE_VALUE.test(cookieValue)) {
      throw new AuthenticationError(
        'This browser started no login (the login transaction cookie is missing): sign in again',
        context,
      );
    }
    const raw = await this.store.take(transactionKey(cookieValue));
    if (raw === null) {
      throw new AuthenticationError(
        'The login transaction is unknown, already used or expired: sign in again',
        context,
      );
    }
    const stored = JSON.parse(raw) as StoredTransaction;
    if (stored.provider !== provider.name) {
      throw new AuthenticationError('The login was started with another provider', context);
    }
    if (typeof callbackState !== 'string' || callbackState !== stored.state) {
      throw new AuthenticationError("The callback's state is not this login's", context);
    }
    return stored;
  }
}
