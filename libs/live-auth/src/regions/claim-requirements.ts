import type { ClaimRequirement } from '@livegate/auth';

/**
 * A frozen copy of the claim requirements of a region or page: `[type]` (any value) or
 * `[type, value]`, type a non-empty string. Copied, so that changing the caller's array later
 * cannot change who passes. Throws a `TypeError` naming `owner` on anything else.
 */
export function parseClaimRequirements(
  owner: string,
  claims: unknown,
): readonly ClaimRequirement[] {
  if (claims === undefined) {
    return Object.freeze([]);
  }
  if (!Array.isArray(claims)) {
    throw new TypeError(`${owner}: "claims" must be an array of [type] or [type, value] pairs`);
  }
  return Object.freeze(
    claims.map((claim: unknown, index) => {
      const valid =
        Array.isArray(claim) &&
        (claim.length === 1 || claim.length === 2) &&
        typeof claim[0] === 'string' &&
        claim[0].length > 0 &&
        (claim[1] === undefined || typeof claim[1] === 'string');
      if (!valid) {
        throw new TypeError(
          `${owner}: claims[${index}] must be [type] or [type, value], type a non-empty string`,
        );
      }
      const [type, value] = claim as [string, string?];
      return Object.freeze(value === undefined ? [type] : [type, value]) as ClaimRequirement;
    }),
  );
}

/** Whether the principal has every required claim. */
export function hasEveryClaim(
  principal: { hasClaim(type: string, value?: string): boolean },
  requirements: readonly ClaimRequirement[],
): boolean {
  return requirements.every(([type, value]) => principal.hasClaim(type, value));
}
