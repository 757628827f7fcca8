import { SetMetadata } from '@nestjs/common';

export const POLICY_KEY = 'livegate:policy';

/** The principal must satisfy the named `PolicyEngine` policy (403 otherwise; fails closed). */
export const Policy = (name: string): MethodDecorator & ClassDecorator =>
  SetMetadata(POLICY_KEY, name);
