import { StateValidationError } from '../state.errors';
import { assertId, assertName, normalizeNames } from '../common/validation';

/** The role table every backend is seeded with. Roles are flat: permissions are the union. */
export const DEFAULT_ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  admin: Object.freeze(['read', 'write', 'admin', 'delete', 'manage_users']),
  editor: Object.freeze(['read', 'write']),
  viewer: Object.freeze(['read']),
  anonymous: Object.freeze([] as string[]),
});

/**
 * A built-in role's permissions; `undefined` for any other name. Looked up as an own property, so
 * names that are also names on `Object.prototype` (`constructor`, `toString`, ...) are unknown
 * roles like any other.
 */
export function defaultRolePermissionsOf(role: string): readonly string[] | undefined {
  return Object.hasOwn(DEFAULT_ROLE_PERMISSIONS, role) ? DEFAULT_ROLE_PERMISSIONS[role] : undefined;
}

/** The claim type whose values are roles: `{ type: 'role', value: 'editor' }`. */
export const ROLE_CLAIM_TYPE = 'role';

/** Whether a value is a role name (`assertName`'s rule) without throwing for the caller. */
export function isRoleName(value: unknown): value is string {
  try {
    assertName('role', value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The roles a session has: its `roles`, then the values of the `role` claims in
 * `metadata.claims` that are role names, without duplicates. A role granted either way is the same
 * role: every permission check, the principal and every guard use this one list.
 */
export function effectiveRoles(session: {
  readonly roles: readonly string[];
  readonly metadata?: Readonly<Record<string, unknown>> | null;
}): string[] {
  const roles = new Set(session.roles);
  const claims = session.metadata?.claims;
  if (Array.isArray(claims)) {
    for (const claim of claims as unknown[]) {
      if (claim === null || typeof claim !== 'object') {
        continue;
      }
      const { type, value } = claim as { type?: unknown; value?: unknown };
      if (type === ROLE_CLAIM_TYPE && isRoleName(value)) {
        roles.add(value);
      }
    }
  }
  return [...roles];
}

/** The closed set of resource types a permission can be checked against. */
export const RESOURCE_TYPES = Object.freeze(['widget', 'session', 'user', 'system'] as const);
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Resource grants as kept in `session.metadata.permissions`: `"type:id"` → permissions. */
export type ResourceGrants = Record<string, string[]>;

export function assertResourceType(field: string, value: unknown): asserts value is ResourceType {
  if (typeof value !== 'string' || !(RESOURCE_TYPES as readonly string[]).includes(value)) {
    throw new StateValidationError(field, `must be one of ${RESOURCE_TYPES.join(', ')}`);
  }
}

/** The grant key of one resource: `"widget:dashboard-1"`. */
export function resourceKey(resourceType: ResourceType, resourceId: string): string {
  return `${resourceType}:${resourceId}`;
}

/**
 * Validates `metadata.permissions` when a session is written: each key is `type:id` with a known
 * type and a valid id, each value a list of permission names. Grants only add to roles.
 */
export function assertResourceGrants(field: string, value: unknown): void {
  if (value === undefined) {
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StateValidationError(field, 'must be an object of "type:id" → permissions');
  }
  for (const [key, permissions] of Object.entries(value as Record<string, unknown>)) {
    const separator = key.indexOf(':');
    if (separator < 0) {
      throw new StateValidationError(`${field}["${key}"]`, 'must be a "type:id" key');
    }
    assertResourceType(`${field}["${key}"]`, key.slice(0, separator));
    assertId(`${field}["${key}"]`, key.slice(separator + 1));
    if (!Array.isArray(permissions)) {
      throw new StateValidationError(`${field}["${key}"]`, 'must be an array of permissions');
    }
    normalizeNames(`${field}["${key}"]`, permissions);
  }
}

/** Whether the grants in session metadata give `permission` on exactly this resource. */
export function grantsPermission(
  metadata: Readonly<Record<string, unknown>>,
  resourceType: ResourceType,
  resourceId: string,
  permission: string,
): boolean {
  const grants = metadata.permissions;
  if (grants === null || typeof grants !== 'object' || Array.isArray(grants)) {
    return false;
  }
  const key = resourceKey(resourceType, resourceId);
  if (!Object.prototype.hasOwnProperty.call(grants, key)) {
    return false;
  }
  const granted = (grants as Record<string, unknown>)[key];
  return Array.isArray(granted) && granted.includes(permission);
}

/** Validates the four arguments of `checkPermission`. */
export function assertPermissionQuery(
  sessionId: unknown,
  resourceType: unknown,
  resourceId: unknown,
  permission: unknown,
): asserts resourceType is ResourceType {
  assertId('sessionId', sessionId);
  assertResourceType('resourceType', resourceType);
  assertId('resourceId', resourceId);
  assertName('permission', permission);
}

/**
 * The permission decision every backend makes: any of the session's effective roles (its roles and
 * role claims) grants the permission, or a resource grant names exactly this resource.
 * `rolePermissions` gives one role's permissions.
 */
export function sessionAllows(
  session: { roles: readonly string[]; metadata: Readonly<Record<string, unknown>> },
  rolePermissions: (role: string) => Iterable<string> | undefined,
  resourceType: ResourceType,
  resourceId: string,
  permission: string,
): boolean {
  for (const role of effectiveRoles(session)) {
    for (const granted of rolePermissions(role) ?? []) {
      if (granted === permission) {
        return true;
      }
    }
  }
  return grantsPermission(session.metadata, resourceType, resourceId, permission);
}
