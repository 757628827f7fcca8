/** What a backend reports about itself to a readiness check. */
export interface StateBackendHealth {
  /** `up` when its stores can be used right now. */
  readonly status: 'up' | 'down';
  /** Why it is down, in words fit for a client: no driver text. */
  readonly message?: string;
}
