import type { Claim } from '@livegate/auth';
import { StateValidationError } from '@livegate/state';

export const MAX_CLAIMS = 256;
export const MAX_CLAIM_VALUE_LENGTH = 256;

const CLAIM_TYPE = /^[a-z][a-z0-9_.:-]{0,63}$/;
/** Control, format (zero-width, bidirectional) and line or paragraph separator characters. */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * Claims as a user row keeps them: checked (a type like `role` or `tier`, a value of 1 to 256
 * visible characters), without duplicates, in a stable order. Bad claims are a
 * `StateValidationError`; nothing is written.
 */
export function normalizeClaims(claims: unknown): Claim[] {
  if (!Array.isArray(claims)) {
    throw new StateValidationError('claims', 'must be a list of { type, value }');
  }
  if (claims.length > MAX_CLAIMS) {
    throw new StateValidationError('claims', `at most ${MAX_CLAIMS} claims`);
  }
  const seen = new Map<string, Claim>();
  for (const claim of claims as unknown[]) {
    const { type, value } = (claim ?? {}) as { type?: unknown; value?: unknown };
    if (typeof type !== 'string' || !CLAIM_TYPE.test(type)) {
      throw new StateValidationError(
        'claims',
        'a claim type is 1 to 64 lower-case letters, digits and _ . : - (starting with a letter)',
      );
    }
    if (
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > MAX_CLAIM_VALUE_LENGTH ||
      INVISIBLE.test(value) ||
      value.trim() !== value
    ) {
      throw new StateValidationError(
        'claims',
        `a claim value is 1 to ${MAX_CLAIM_VALUE_LENGTH} visible characters`,
      );
    }
    seen.set(`${type}\u0000${value}`, { type, value });
  }
  return [...seen.values()].sort(
    (a, b) => a.type.localeCompare(b.type, 'en') || a.value.localeCompare(b.value, 'en'),
  );
}
