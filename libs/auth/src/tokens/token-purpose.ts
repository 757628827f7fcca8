/** What a token is for. Each purpose has its own tag in the token and its own signing key. */
export type TokenPurpose = 'session' | 'widget';

/** Longest lifetime of a session token: 30 days, in seconds. */
export const MAX_SESSION_TOKEN_LIFETIME_SECONDS = 30 * 24 * 60 * 60;
/** Longest lifetime of a widget token: one hour, in seconds. */
export const MAX_WIDGET_TOKEN_TTL_SECONDS = 60 * 60;

export interface TokenPurposeDefinition {
  /** Second part of the token. It is signed, so a token cannot be relabelled for another purpose. */
  readonly tag: string;
  /** HKDF `info`: binds the derived key to the purpose and to the format version. */
  readonly keyInfo: string;
  /**
   * Payload key of the subject (user id or widget id). The keys differ per purpose so that even a
   * payload lifted from one kind of token has the wrong shape for the other.
   */
  readonly subjectClaim: string;
  /** Longest lifetime (`exp - iat`) a token of this purpose may claim, in seconds. */
  readonly maxLifetimeSeconds: number;
}

export const TOKEN_PURPOSES: Readonly<Record<TokenPurpose, TokenPurposeDefinition>> = Object.freeze(
  {
    session: Object.freeze({
      tag: 'session',
      keyInfo: 'livegate/session-token/v1',
      subjectClaim: 'sub',
      maxLifetimeSeconds: MAX_SESSION_TOKEN_LIFETIME_SECONDS,
    }),
    widget: Object.freeze({
      tag: 'widget',
      keyInfo: 'livegate/widget-token/v1',
      subjectClaim: 'wid',
      maxLifetimeSeconds: MAX_WIDGET_TOKEN_TTL_SECONDS,
    }),
  },
);
