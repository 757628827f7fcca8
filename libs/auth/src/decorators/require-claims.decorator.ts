import { SetMetadata } from '@nestjs/common';
import type { ClaimRequirement } from '../policy-engine';

export const CLAIMS_KEY = 'livegate:claims';

/** The principal needs every claim: `@RequireClaims(['role', 'admin'], ['email_verified'])`. */
export const RequireClaims = (...claims: ClaimRequirement[]): MethodDecorator & ClassDecorator =>
  SetMetadata(CLAIMS_KEY, claims);
