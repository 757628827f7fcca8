import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { UserSession } from '@livegate/state';
import { authOf } from './current-user.decorator';

/** The request's session, or `null` (anonymous, or auth disabled). */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): UserSession | null =>
    authOf(context)?.session ?? null,
);
