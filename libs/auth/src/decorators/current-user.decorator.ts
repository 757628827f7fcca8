import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ANONYMOUS, type ClaimsPrincipal } from '../claims-principal';
import { getRequestAuth } from '../request-auth';

/** The request's `ClaimsPrincipal` (`ANONYMOUS` when none). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClaimsPrincipal =>
    authOf(context)?.principal ?? ANONYMOUS,
);

export function authOf(context: ExecutionContext) {
  if (context.getType() === 'ws') {
    return getRequestAuth(context.switchToWs().getClient<{ data?: unknown }>().data);
  }
  return getRequestAuth(context.switchToHttp().getRequest());
}
