import { Injectable, Logger } from '@nestjs/common';
import type { ClaimsPrincipal } from './claims-principal';

/** What a policy sees besides the principal: the request (HTTP) or client (WebSocket). */
export interface PolicyContext {
  request?: unknown;
  client?: unknown;
  params?: Record<string, string>;
}

export type PolicyPredicate = (
  principal: ClaimsPrincipal,
  context: PolicyContext,
) => boolean | Promise<boolean>;

/** A claim requirement: `['role', 'admin']`, or `['email_verified']` for any value. */
export type ClaimRequirement = readonly [type: string, value?: string];

export type PolicyDefinition = { requiresClaim: ClaimRequirement } | PolicyPredicate;

/**
 * Named authorization policies, evaluated server-side. A policy that is missing, throws or
 * rejects denies: the engine fails closed.
 */
@Injectable()
export class PolicyEngine {
  private readonly logger = new Logger(PolicyEngine.name);
  private readonly policies = new Map<string, PolicyPredicate>();

  addPolicy(name: string, definition: PolicyDefinition): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError('A policy needs a name');
    }
    if (typeof definition === 'function') {
      this.policies.set(name, definition);
    } else if (definition && Array.isArray(definition.requiresClaim)) {
      const [type, value] = definition.requiresClaim;
      this.policies.set(name, (principal) => principal.hasClaim(type, value));
    } else {
      throw new TypeError(`Policy ${name} needs { requiresClaim } or a predicate`);
    }
    return this;
  }

  has(name: string): boolean {
    return this.policies.has(name);
  }

  /** Whether the principal satisfies the policy; `false` for a missing or failing policy. */
  async evaluate(
    name: string,
    principal: ClaimsPrincipal,
    context: PolicyContext = {},
  ): Promise<boolean> {
    const policy = this.policies.get(name);
    if (!policy) {
      this.logger.warn(`Policy ${name} is not defined: denied`);
      return false;
    }
    try {
      return (await policy(principal, context)) === true;
    } catch (error) {
      this.logger.error(`Policy ${name} failed: ${String(error)}: denied`);
      return false;
    }
  }
}

/** Whether the principal has every required claim. */
export function hasClaims(
  principal: ClaimsPrincipal,
  requirements: readonly ClaimRequirement[],
): boolean {
  return requirements.every(([type, value]) => principal.hasClaim(type, value));
}
