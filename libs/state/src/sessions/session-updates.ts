import { StateValidationError } from '../state.errors';
import { assertId, assertName, MAX_METADATA_BYTES, normalizeNames } from '../common/validation';
import { assertResourceType, isRoleName, resourceKey, ROLE_CLAIM_TYPE } from './roles';
import type { SessionClaim, UserSession } from './session.models';

/** Most roles a session holds. */
export const MAX_SESSION_ROLES = 100;
/** Most claims in `metadata.claims`. */
export const MAX_SESSION_CLAIMS = 100;
/** Longest claim value, in characters. */
export const MAX_CLAIM_VALUE_LENGTH = 1024;
/** Largest `metadata.claims`, in bytes of JSON. */
export const MAX_CLAIMS_BYTES = 16 * 1024;
/** Most resources one `grant` or `revoke` list names. */
export const MAX_CHANGE_RESOURCES = 100;
/** Most permissions one resource entry of a change names. */
export const MAX_CHANGE_PERMISSIONS = 64;
/**
 * Largest resource grants a change may leave a session with, counted as `grantBytes` does. The
 * same count on every backend (the Redis scripts count the same bytes), so a change is refused
 * or applied alike everywhere.
 */
export const MAX_GRANT_BYTES = MAX_METADATA_BYTES;

/** The parts a `SessionChange` may have. */
const CHANGE_PARTS = new Set(['roles', 'claims', 'grant', 'revoke']);

/** Half of a surrogate pair without its other half: it has no UTF-8 form, so no backend keeps it. */
const LONE_SURROGATE = /\p{Cs}/u;

/** One resource of a validated change: its grant key and permissions (`null`: all of them). */
export interface ResourceChange {
  readonly key: string;
  readonly permissions: readonly string[] | null;
}

/** A `SessionChange` after validation: what every backend applies, in this order. */
export interface NormalizedSessionChange {
  readonly roles?: readonly string[];
  readonly claims?: readonly SessionClaim[];
  readonly grant: readonly (ResourceChange & { readonly permissions: readonly string[] })[];
  readonly revoke: readonly ResourceChange[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** Validates role names of a session: names, at most `MAX_SESSION_ROLES`, duplicates dropped. */
export function normalizeRoles(field: string, value: unknown): string[] {
  const roles = normalizeNames(field, value);
  if (roles.length > MAX_SESSION_ROLES) {
    throw new StateValidationError(field, `must hold at most ${MAX_SESSION_ROLES} roles`);
  }
  return roles;
}

/**
 * Validates claims as `metadata.claims` keeps them: an array of at most `MAX_SESSION_CLAIMS`
 * objects with exactly a `type` (a name) and a `value` (a string of at most
 * `MAX_CLAIM_VALUE_LENGTH` characters, well-formed Unicode; a role name for `role` claims, since
 * a role claim is a role). Returns copies in the order given, duplicates kept.
 */
export function normalizeClaims(field: string, value: unknown): SessionClaim[] {
  if (!Array.isArray(value)) {
    throw new StateValidationError(field, 'must be an array of { type, value } claims');
  }
  if (value.length > MAX_SESSION_CLAIMS) {
    throw new StateValidationError(field, `must hold at most ${MAX_SESSION_CLAIMS} claims`);
  }
  const claims = value.map((claim: unknown, index) => {
    const at = `${field}[${index}]`;
    if (!isPlainObject(claim)) {
      throw new StateValidationError(at, 'must be a { type, value } object');
    }
    const extra = Object.keys(claim).find((key) => key !== 'type' && key !== 'value');
    if (extra !== undefined || !Object.hasOwn(claim, 'type') || !Object.hasOwn(claim, 'value')) {
      throw new StateValidationError(at, 'must have exactly the fields type and value');
    }
    assertName(`${at}.type`, claim.type);
    const claimValue = claim.value;
    if (typeof claimValue !== 'string') {
      throw new StateValidationError(`${at}.value`, 'must be a string');
    }
    if (claimValue.length > MAX_CLAIM_VALUE_LENGTH) {
      throw new StateValidationError(
        `${at}.value`,
        `must be at most ${MAX_CLAIM_VALUE_LENGTH} characters`,
      );
    }
    if (LONE_SURROGATE.test(claimValue)) {
      throw new StateValidationError(`${at}.value`, 'must be well-formed Unicode');
    }
    if (claim.type === ROLE_CLAIM_TYPE && !isRoleName(claimValue)) {
      throw new StateValidationError(`${at}.value`, 'must be a role name in a role claim');
    }
    return { type: claim.type, value: claimValue };
  });
  if (Buffer.byteLength(JSON.stringify(claims), 'utf8') > MAX_CLAIMS_BYTES) {
    throw new StateValidationError(field, `must be at most ${MAX_CLAIMS_BYTES} bytes as JSON`);
  }
  return claims;
}

function normalizeResources(
  field: string,
  value: unknown,
  permissionsRequired: boolean,
): ResourceChange[] {
  if (!Array.isArray(value)) {
    throw new StateValidationError(field, 'must be an array of { resourceType, resourceId }');
  }
  if (value.length === 0) {
    throw new StateValidationError(field, 'must name at least one resource (or be left out)');
  }
  if (value.length > MAX_CHANGE_RESOURCES) {
    throw new StateValidationError(field, `must name at most ${MAX_CHANGE_RESOURCES} resources`);
  }
  return value.map((entry: unknown, index) => {
    const at = `${field}[${index}]`;
    if (!isPlainObject(entry)) {
      throw new StateValidationError(at, 'must be a { resourceType, resourceId } object');
    }
    const extra = Object.keys(entry).find(
      (key) => key !== 'resourceType' && key !== 'resourceId' && key !== 'permissions',
    );
    if (extra !== undefined) {
      throw new StateValidationError(`${at}.${extra}`, 'is not a part of a resource entry');
    }
    assertResourceType(`${at}.resourceType`, entry.resourceType);
    assertId(`${at}.resourceId`, entry.resourceId);
    const key = resourceKey(entry.resourceType, entry.resourceId);
    if (entry.permissions === undefined) {
      if (permissionsRequired) {
        throw new StateValidationError(`${at}.permissions`, 'must name the permissions to grant');
      }
      return { key, permissions: null };
    }
    const permissions = normalizeNames(`${at}.permissions`, entry.permissions);
    if (permissions.length === 0) {
      throw new StateValidationError(
        `${at}.permissions`,
        permissionsRequired
          ? 'must name at least one permission'
          : 'must name at least one permission (leave it out to revoke them all)',
      );
    }
    if (permissions.length > MAX_CHANGE_PERMISSIONS) {
      throw new StateValidationError(
        `${at}.permissions`,
        `must name at most ${MAX_CHANGE_PERMISSIONS} permissions`,
      );
    }
    return { key, permissions };
  });
}

/**
 * Validates a `SessionChange` before anything is written: at least one part, and nothing but
 * `roles`, `claims`, `grant` and `revoke`.
 */
export function normalizeSessionChange(change: unknown): NormalizedSessionChange {
  if (!isPlainObject(change)) {
    throw new StateValidationError(
      'change',
      'must be an object with roles, claims, grant or revoke',
    );
  }
  const unknown = Object.keys(change).find((key) => !CHANGE_PARTS.has(key));
  if (unknown !== undefined) {
    throw new StateValidationError(`change.${unknown}`, 'is not a part of a session change');
  }
  const given = [...CHANGE_PARTS].filter((part) => change[part] !== undefined);
  if (given.length === 0) {
    throw new StateValidationError('change', 'must have roles, claims, grant or revoke');
  }
  return {
    roles: change.roles === undefined ? undefined : normalizeRoles('change.roles', change.roles),
    claims:
      change.claims === undefined ? undefined : normalizeClaims('change.claims', change.claims),
    grant:
      change.grant === undefined
        ? []
        : (normalizeResources(
            'change.grant',
            change.grant,
            true,
          ) as NormalizedSessionChange['grant']),
    revoke:
      change.revoke === undefined ? [] : normalizeResources('change.revoke', change.revoke, false),
  };
}

/**
 * The size of resource grants as every backend counts it: for each resource, the UTF-8 bytes of
 * its `type:id` key and of its permissions joined by single spaces, plus one.
 */
export function grantBytes(grants: Readonly<Record<string, readonly string[]>>): number {
  let total = 0;
  for (const [key, permissions] of Object.entries(grants)) {
    total += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(permissions.join(' '), 'utf8') + 1;
  }
  return total;
}

/** The error of a change that would leave the session with grants over `MAX_GRANT_BYTES`. */
export function grantsTooLargeError(): StateValidationError {
  return new StateValidationError(
    'change.grant',
    `would leave the session with resource grants over ${MAX_GRANT_BYTES} bytes`,
  );
}

function permissionList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/**
 * Applies a validated change to a session (memory and SQLite; the Redis scripts do the same in
 * Lua): roles replaced, `metadata.claims` replaced, each grant's permissions added to
 * `metadata.permissions["type:id"]` (existing ones first, in their order), each revoke's removed
 * (all of them without a list; a key left empty goes, and so does one that was empty), and the
 * version one higher. Roles,
 * claims and metadata not named by the change are kept as they are; times and TTL never change.
 * Returns a new, unfrozen session; throws `grantsTooLargeError` and changes nothing when grants
 * would outgrow `MAX_GRANT_BYTES`.
 */
export function applySessionChange(
  session: UserSession,
  change: NormalizedSessionChange,
): UserSession {
  const metadata: Record<string, unknown> = { ...session.metadata };
  if (change.claims !== undefined) {
    metadata.claims = change.claims.map((claim) => ({ type: claim.type, value: claim.value }));
  }
  if (change.grant.length > 0 || change.revoke.length > 0) {
    const current = isPlainObject(metadata.permissions) ? metadata.permissions : undefined;
    let permissions: Record<string, string[]> | undefined;
    if (current !== undefined) {
      permissions = {};
      // A resource left with no permissions goes whenever the grants are rewritten: the Redis
      // scripts cannot tell an empty list from an empty object, so neither is kept anywhere.
      for (const [key, value] of Object.entries(current)) {
        const names = permissionList(value);
        if (names.length > 0) {
          permissions[key] = names;
        }
      }
    }
    for (const { key, permissions: added } of change.grant) {
      permissions ??= {};
      const existing = Object.hasOwn(permissions, key) ? permissions[key] : [];
      permissions[key] = [...existing, ...added.filter((name) => !existing.includes(name))];
    }
    for (const { key, permissions: removed } of change.revoke) {
      if (permissions === undefined || !Object.hasOwn(permissions, key)) {
        continue;
      }
      const kept =
        removed === null ? [] : permissions[key].filter((name) => !removed.includes(name));
      if (kept.length === 0) {
        delete permissions[key];
      } else {
        permissions[key] = kept;
      }
    }
    if (change.grant.length > 0 && permissions && grantBytes(permissions) > MAX_GRANT_BYTES) {
      throw grantsTooLargeError();
    }
    if (permissions !== undefined) {
      metadata.permissions = permissions;
    }
  }
  return {
    ...session,
    roles: change.roles === undefined ? session.roles : [...change.roles],
    metadata,
    version: session.version + 1,
  };
}
