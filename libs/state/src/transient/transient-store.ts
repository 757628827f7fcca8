/**
 * Short-lived values every worker shares, each with its own lifetime: one-time login
 * transactions (`take` reads and deletes at once, so a value is used by one request only, on
 * whichever worker), ids seen once (`add` succeeds for the first caller only), and counters
 * (`increment`, for rate limits). Keys follow the id rules of every store; values are strings of
 * at most `MAX_TRANSIENT_VALUE_BYTES`; lifetimes are seconds, as every TTL. Expired values are
 * invisible to every call.
 */
export abstract class TransientStore {
  /** Sets `key` to `value` for `ttl` seconds, replacing what it held. */
  abstract set(key: string, value: string, ttl: number): Promise<void>;
  /** Sets `key` only if it holds nothing live; `true` when this call set it. */
  abstract add(key: string, value: string, ttl: number): Promise<boolean>;
  abstract get(key: string): Promise<string | null>;
  /** Reads and deletes `key` in one step: of concurrent callers, one gets the value. */
  abstract take(key: string): Promise<string | null>;
  /** Deletes `key`; `true` when it held something live. */
  abstract delete(key: string): Promise<boolean>;
  /**
   * Adds one to the counter at `key` and returns the new count. A counter that does not exist
   * starts at 1 and lives `ttl` seconds from then; later increments keep that expiry.
   */
  abstract increment(key: string, ttl: number): Promise<number>;
}
