import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ANONYMOUS, type ClaimsPrincipal } from '../claims-principal';
import { authStateOf, type AuthState } from '../request-auth';

/** The request's `ClaimsPrincipal` (`ANONYMOUS` when none). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClaimsPrincipal =>
    authOf(context)?.principal ?? ANONYMOUS,
);

/** The auth state of the request or socket a handler runs for. */
export function authOf(context: ExecutionContext): AuthState | undefined {
  return authStateOf(
    context.getType() === 'ws'
      ? context.switchToWs().getClient<unknown>()
      : context.switchToHttp().getRequest<unknown>(),
  );
}
