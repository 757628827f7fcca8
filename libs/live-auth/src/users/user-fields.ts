import { StateValidationError } from '@livegate/state';
import { INVISIBLE } from './claims';
import type { ProviderIdentity } from './user-record';

// The fields of a user row other than its username and claims, checked as every user store must
// check them before it writes: a `StateValidationError` (400) names the field.

export const MAX_DISPLAY_NAME_LENGTH = 128;
const ISSUER = /^[\x21-\x7e]{1,512}$/;
const SUBJECT = /^[\x21-\x7e]{1,256}$/;

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** User ids are the UUIDs the store makes. */
export function assertUserId(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !USER_ID.test(value)) {
    throw new StateValidationError(field, 'must be a user id (a lower-case UUID)');
  }
}

export function displayNameOf(value: unknown): string {
  const name = typeof value === 'string' ? value.normalize('NFKC').trim() : undefined;
  if (!name || [...name].length > MAX_DISPLAY_NAME_LENGTH || INVISIBLE.test(name)) {
    throw new StateValidationError(
      'displayName',
      `must be 1 to ${MAX_DISPLAY_NAME_LENGTH} visible characters`,
    );
  }
  return name;
}

export function identityOf(value: unknown): ProviderIdentity {
  const { issuer, subject } = (value ?? {}) as { issuer?: unknown; subject?: unknown };
  if (typeof issuer !== 'string' || !ISSUER.test(issuer)) {
    throw new StateValidationError('identity.issuer', 'must be 1 to 512 printable characters');
  }
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    throw new StateValidationError('identity.subject', 'must be 1 to 256 printable characters');
  }
  return { issuer, subject };
}

export function passwordHashOf(value: unknown): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value !== 'string' || !/^\$argon2id\$[\x21-\x7e]{10,500}$/.test(value)) {
    throw new StateValidationError('passwordHash', 'must be an Argon2id PHC string');
  }
  return value;
}
