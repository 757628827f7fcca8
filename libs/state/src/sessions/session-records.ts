import { Logger } from '@nestjs/common';
import type { UserSession } from './session.models';
import { freezeSession } from './session.validation';

/**
 * A session as a backend stored it, before it is trusted: JSON columns or fields as text, times
 * as numbers or numeric text. `permissions` and `claims`, when given, are JSON text that replaces
 * `metadata.permissions` / `metadata.claims` (the Redis layout keeps them in fields of their own).
 */
export interface StoredSessionRecord {
  sessionId: unknown;
  userId: unknown;
  roles: unknown;
  metadata: unknown;
  createdAt: unknown;
  expiresAt: unknown;
  ttl: unknown;
  /** Missing on records written before sessions had versions: version 1. */
  version?: unknown;
  permissions?: unknown;
  claims?: unknown;
}

/** A record that is not a session, with what is wrong in words that quote none of its content. */
export interface CorruptSessionRecord {
  readonly corrupt: string;
}

function parseJson(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof value !== 'string') {
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch {
    return { ok: false };
  }
}

function numberOf(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    return Number(value);
  }
  return Number.NaN;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Turns a stored record into a frozen session, or says why it cannot be one (bad JSON, wrong
 * types, missing fields). Every backend that reads text it did not just validate goes through
 * this, so a damaged record is an invalid session everywhere, never an exception.
 */
export function sessionFromRecord(record: StoredSessionRecord): UserSession | CorruptSessionRecord {
  if (typeof record.sessionId !== 'string' || record.sessionId === '') {
    return { corrupt: 'the session id is missing' };
  }
  if (typeof record.userId !== 'string' || record.userId === '') {
    return { corrupt: 'the user id is missing' };
  }
  const roles = parseJson(record.roles);
  if (
    !roles.ok ||
    !Array.isArray(roles.value) ||
    !roles.value.every((role) => typeof role === 'string')
  ) {
    return { corrupt: 'roles are not a JSON array of names' };
  }
  const metadata = parseJson(record.metadata);
  if (!metadata.ok || !isObject(metadata.value)) {
    return { corrupt: 'metadata is not a JSON object' };
  }
  const fields = metadata.value;
  if (record.permissions !== undefined) {
    const permissions = parseJson(record.permissions);
    if (!permissions.ok || !isObject(permissions.value)) {
      return { corrupt: 'resource grants are not a JSON object' };
    }
    fields.permissions = permissions.value;
  }
  if (fields.permissions !== undefined) {
    if (
      !isObject(fields.permissions) ||
      !Object.values(fields.permissions).every(
        (granted) => Array.isArray(granted) && granted.every((name) => typeof name === 'string'),
      )
    ) {
      return { corrupt: 'resource grants are not lists of permissions' };
    }
  }
  if (record.claims !== undefined) {
    const claims = parseJson(record.claims);
    if (!claims.ok || !Array.isArray(claims.value)) {
      return { corrupt: 'claims are not a JSON array' };
    }
    fields.claims = claims.value;
  }
  const createdAt = numberOf(record.createdAt);
  const expiresAt = numberOf(record.expiresAt);
  const ttl = numberOf(record.ttl);
  const version = record.version === undefined ? 1 : numberOf(record.version);
  if (!Number.isFinite(createdAt) || !Number.isFinite(expiresAt)) {
    return { corrupt: 'its times are not numbers' };
  }
  if (!(Number.isFinite(ttl) && ttl > 0)) {
    return { corrupt: 'its TTL is not a positive number' };
  }
  if (!(Number.isSafeInteger(version) && version >= 1)) {
    return { corrupt: 'its version is not a positive whole number' };
  }
  return freezeSession({
    sessionId: record.sessionId,
    userId: record.userId,
    roles: roles.value as string[],
    metadata: fields,
    createdAt,
    expiresAt,
    ttl,
    version,
  });
}

export function isCorruptSessionRecord(
  value: UserSession | CorruptSessionRecord,
): value is CorruptSessionRecord {
  return 'corrupt' in value;
}

/** How many damaged records are remembered as reported; past it, the memory starts over. */
const REMEMBERED_REPORTS = 10_000;

/**
 * Warns once per damaged session record, naming it by the start of its hashed key (never the
 * session id, never its content), so a damaged record read on every request does not flood the
 * log.
 */
export class CorruptSessionLog {
  private readonly logger: Logger;
  private readonly reported = new Set<string>();

  constructor(context: string) {
    this.logger = new Logger(context);
  }

  /** The session, or `null` (reported once) when the record is damaged. */
  read(hashedKey: string, record: StoredSessionRecord): UserSession | null {
    const session = sessionFromRecord(record);
    if (!isCorruptSessionRecord(session)) {
      return session;
    }
    this.report(hashedKey, session.corrupt);
    return null;
  }

  report(hashedKey: string, problem: string): void {
    if (this.reported.has(hashedKey)) {
      return;
    }
    if (this.reported.size >= REMEMBERED_REPORTS) {
      this.reported.clear();
    }
    this.reported.add(hashedKey);
    this.logger.warn(
      `Session record ${hashedKey.slice(0, 16)}… cannot be read (${problem}); it is treated as ` +
        'no session',
    );
  }
}
