import { SetMetadata } from '@nestjs/common';
import type { ClaimRequirement } from '../policy-engine';

export const AUTH_PAGE_KEY = 'livegate:auth-page';

export interface AuthPageOptions {
  policy?: string;
  claims?: ClaimRequirement[];
  /** Where a denied request is sent with a 303. Default `/login`. */
  redirect?: string;
}

/**
 * Guards an HTML page: an anonymous principal, or one failing the policy or claims, gets a 303 to
 * `redirect` and the handler never runs.
 */
export const Auth = (options: AuthPageOptions = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(AUTH_PAGE_KEY, { ...options, redirect: options.redirect ?? '/login' });
