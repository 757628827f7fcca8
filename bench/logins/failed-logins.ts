import { quantile, spread } from '../support/stats';

/**
 * The failing logins that must look alike from outside (status, body and time), or a caller
 * could learn which usernames exist or are disabled.
 */
export const FAILED_LOGIN_KINDS = ['unknownUser', 'wrongPassword', 'disabledUser'] as const;
export type FailedLoginKind = (typeof FAILED_LOGIN_KINDS)[number];

/** One failing login as the client saw it. */
export interface FailedLoginAttempt {
  kind: FailedLoginKind;
  status: number;
  body: string;
  /** From sending the request to the last byte of the answer, ms. */
  milliseconds: number;
}

/** Whether unknown users, wrong passwords and disabled users can be told apart by the answer. */
export interface FailedLoginTiming {
  /** Attempts of each kind, one at a time on one connection, the kinds interleaved. */
  attemptsPerKind: number;
  /** Latency per kind, ms. */
  kinds: Record<FailedLoginKind, { p50: number; p90: number }>;
  /** The largest difference between two kinds' p50 over the median of their p50s. */
  p50Spread: number;
  /** The first attempt's answer, which every other must repeat exactly. */
  answer: { status: number; body: string };
  /** Attempts whose status or body differ from the first's, or that were not a 401. */
  mismatches: number;
}

/** Nearest-rank percentiles per kind, and every answer that would tell the kinds apart. */
export function summarizeFailedLogins(attempts: readonly FailedLoginAttempt[]): FailedLoginTiming {
  if (attempts.length === 0) {
    throw new Error('No failed login was measured');
  }
  const [first] = attempts;
  const kinds = Object.fromEntries(
    FAILED_LOGIN_KINDS.map((kind) => {
      const sorted = attempts
        .filter((attempt) => attempt.kind === kind)
        .map((attempt) => attempt.milliseconds)
        .sort((a, b) => a - b);
      return [kind, { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) }];
    }),
  ) as FailedLoginTiming['kinds'];
  const medians = spread(FAILED_LOGIN_KINDS.map((kind) => kinds[kind].p50));
  return {
    attemptsPerKind: attempts.filter((attempt) => attempt.kind === FAILED_LOGIN_KINDS[0]).length,
    kinds,
    p50Spread: (medians.max - medians.min) / medians.median,
    answer: { status: first.status, body: first.body },
    mismatches: attempts.filter(
      (attempt) =>
        attempt.status !== 401 || attempt.status !== first.status || attempt.body !== first.body,
    ).length,
  };
}
