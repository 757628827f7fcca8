/** Resolves after `ms` milliseconds of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitForOptions {
  /** Longest time to wait before giving up (default 2,000 ms). */
  timeoutMs?: number;
  /** Pause between two checks (default 10 ms). */
  intervalMs?: number;
  /** Describes the awaited condition in the timeout error. */
  description?: string;
}

/**
 * Checks `predicate` until it returns true, at most until `timeoutMs` has passed; then throws. The
 * predicate is always checked once more at the deadline, so a slow last check still counts.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 2000, intervalMs = 10, description = 'condition' }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) {
      return;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`waitFor: ${description} not met within ${timeoutMs} ms`);
    }
    await sleep(Math.min(intervalMs, remaining));
  }
}
