import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'livegate:roles';

/** The principal needs any one of these roles (403 otherwise). */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);
