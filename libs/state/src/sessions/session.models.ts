/**
 * A session as the stores return it: a deeply frozen, read-only snapshot. A change goes through
 * the store (`refreshSession`, `deleteSession`, a new session), never through this object.
 */
export interface UserSession {
  readonly sessionId: string;
  readonly userId: string;
  readonly roles: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The TTL in seconds the session was created with; `refreshSession` extends by it by default. */
  readonly ttl: number;
}

export interface CreateSessionInput {
  /** Defaults to 256 random bits, base64url. */
  sessionId?: string;
  userId: string;
  roles?: Iterable<string>;
  /** Seconds; defaults to the store's session TTL. */
  ttl?: number;
  /** JSON metadata; `metadata.permissions` holds resource grants (`"widget:id" → ["write"]`). */
  metadata?: Record<string, unknown>;
}
