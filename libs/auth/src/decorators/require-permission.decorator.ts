import { SetMetadata } from '@nestjs/common';
import type { ResourceType } from '@livegate/state';

export const PERMISSION_KEY = 'livegate:permission';

export interface PermissionRequirement {
  permission: string;
  /** A resource type: the permission is then checked on the resource named by `idParam`. */
  resource?: ResourceType;
  /** Route parameter holding the resource id. Default `id`. */
  idParam?: string;
}

/**
 * The session needs the permission, through its roles or (with `resource`) a resource grant on
 * the resource named by the route parameter. A resource the caller may not read answers 404; one
 * it may read but not act on, 403.
 */
export const RequirePermission = (
  permission: string,
  options: { resource?: ResourceType; idParam?: string } = {},
): MethodDecorator & ClassDecorator =>
  SetMetadata(PERMISSION_KEY, {
    permission,
    resource: options.resource,
    idParam: options.idParam ?? 'id',
  } satisfies PermissionRequirement);
