import type { Logger } from '@nestjs/common';
import type {
  ClaimRequirement,
  ClaimsPrincipal,
  PolicyContext,
  PolicyEngine,
} from '@livegate/auth';

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

/** What a region or page asks of a principal: authenticated, every claim, and the policy. */
export interface AuthGate {
  readonly policy?: string;
  readonly claims: readonly ClaimRequirement[];
}

/** The gate of a region's or page's definition, checked; a `TypeError` naming `owner` otherwise. */
export function parseAuthGate(
  owner: string,
  definition: { policy?: unknown; claims?: unknown },
): AuthGate {
  const { policy, claims } = definition;
  if (policy !== undefined && (typeof policy !== 'string' || policy.length === 0)) {
    throw new TypeError(`${owner}: "policy" must be a policy name`);
  }
  return {
    ...(policy !== undefined ? { policy } : {}),
    claims: parseClaimRequirements(owner, claims),
  };
}

/**
 * Whether the principal passes the gate: authenticated, with every claim, and passing the policy
 * (`PolicyEngine.evaluate`, which denies a missing or failing policy). `false` on any failure,
 * logged under `owner`: the gate fails closed.
 */
export async function passesGate(
  owner: string,
  gate: AuthGate,
  principal: ClaimsPrincipal,
  policies: PolicyEngine,
  context: PolicyContext,
  logger: Logger,
): Promise<boolean> {
  try {
    if (principal?.isAuthenticated !== true || !hasEveryClaim(principal, gate.claims)) {
      return false;
    }
    if (gate.policy === undefined) {
      return true;
    }
    if (!policies.has(gate.policy)) {
      logger.warn(`${owner}: policy ${gate.policy} is not defined: denied`);
      return false;
    }
    return (await policies.evaluate(gate.policy, principal, context)) === true;
  } catch (error) {
    logger.error(`${owner}: deciding failed: ${String(error)}: denied`);
    return false;
  }
}
