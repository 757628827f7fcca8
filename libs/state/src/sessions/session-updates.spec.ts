import { StateValidationError } from '../state.errors';
import { effectiveRoles } from './roles';
import { sessionFromRecord } from './session-records';
import {
  applySessionChange,
  grantBytes,
  MAX_GRANT_BYTES,
  normalizeClaims,
  normalizeSessionChange,
} from './session-updates';
import { freezeSession } from './session.validation';
import type { UserSession } from './session.models';

const session = (overrides: Partial<UserSession> = {}): UserSession =>
  freezeSession({
    sessionId: 's',
    userId: 'u',
    roles: ['viewer'],
    metadata: { permissions: { 'widget:w': ['read'] }, other: { kept: [] } },
    createdAt: 1,
    expiresAt: 2,
    ttl: 1,
    version: 3,
    ...overrides,
  });

function fieldOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StateValidationError);
    return (error as StateValidationError).field;
  }
  throw new Error('expected a StateValidationError');
}

describe('session changes', () => {
  it('names the part of a change that is wrong', () => {
    expect(fieldOf(() => normalizeSessionChange({}))).toBe('change');
    expect(fieldOf(() => normalizeSessionChange({ role: ['admin'] }))).toBe('change.role');
    expect(fieldOf(() => normalizeSessionChange({ roles: ['ok', 'bad role'] }))).toBe(
      'change.roles[1]',
    );
    expect(
      fieldOf(() => normalizeSessionChange({ claims: [{ type: 'role', value: 'a b' }] })),
    ).toBe('change.claims[0].value');
    expect(
      fieldOf(() =>
        normalizeSessionChange({
          grant: [{ resourceType: 'widget', resourceId: 'w', permissions: ['read'] }, {}],
        }),
      ),
    ).toBe('change.grant[1].resourceType');
    expect(
      fieldOf(() => normalizeSessionChange({ revoke: [{ resourceType: 'user', resourceId: '' }] })),
    ).toBe('change.revoke[0].resourceId');
  });

  it('normalizes roles and permissions without duplicates and keeps claims as given', () => {
    expect(
      normalizeSessionChange({
        roles: ['a', 'a', 'b'],
        claims: [
          { type: 't', value: 'x' },
          { type: 't', value: 'x' },
        ],
        grant: [{ resourceType: 'widget', resourceId: 'w', permissions: new Set(['r', 'r']) }],
        revoke: [{ resourceType: 'user', resourceId: 'u' }],
      }),
    ).toEqual({
      roles: ['a', 'b'],
      claims: [
        { type: 't', value: 'x' },
        { type: 't', value: 'x' },
      ],
      grant: [{ key: 'widget:w', permissions: ['r'] }],
      revoke: [{ key: 'user:u', permissions: null }],
    });
    expect(normalizeClaims('claims', [])).toEqual([]);
  });

  it('applies a change to a new object, leaving the snapshot it started from as it was', () => {
    const before = session();
    const after = applySessionChange(
      before,
      normalizeSessionChange({
        grant: [{ resourceType: 'widget', resourceId: 'w', permissions: ['write', 'read'] }],
      }),
    );
    expect(after.metadata).toEqual({
      permissions: { 'widget:w': ['read', 'write'] },
      other: { kept: [] },
    });
    expect(after.version).toBe(4);
    expect(before.metadata.permissions).toEqual({ 'widget:w': ['read'] });
    expect(before.version).toBe(3);
    // Parts the change does not name are shared, not copied.
    expect(after.metadata.other).toBe(before.metadata.other);
  });

  it('drops resources left without permissions whenever the grants are rewritten', () => {
    const before = session({
      metadata: { permissions: { 'widget:empty': [], 'widget:w': ['r'] } },
    });
    const after = applySessionChange(
      before,
      normalizeSessionChange({ revoke: [{ resourceType: 'widget', resourceId: 'x' }] }),
    );
    expect(after.metadata.permissions).toEqual({ 'widget:w': ['r'] });
  });

  it('counts grant bytes as the Redis scripts do', () => {
    expect(grantBytes({})).toBe(0);
    expect(grantBytes({ 'widget:w': ['read', 'write'] })).toBe(8 + 10 + 1);
    expect(grantBytes({ 'widget:é': ['r'] })).toBe(9 + 1 + 1);
    const huge = { [`widget:${'x'.repeat(200)}`]: Array.from({ length: 400 }, (_, i) => `p${i}`) };
    expect(grantBytes(huge)).toBeGreaterThan(1000);
    expect(MAX_GRANT_BYTES).toBe(64 * 1024);
  });
});

describe('effective roles', () => {
  it('are the roles, then the role claims that are role names, without duplicates', () => {
    expect(
      effectiveRoles({
        roles: ['viewer', 'editor'],
        metadata: {
          claims: [
            { type: 'role', value: 'admin' },
            { type: 'role', value: 'viewer' },
            { type: 'role', value: 'not a role' },
            { type: 'role', value: 7 },
            { type: 'group', value: 'ops' },
            'role',
            null,
          ],
        },
      }),
    ).toEqual(['viewer', 'editor', 'admin']);
    expect(effectiveRoles({ roles: [], metadata: { claims: { type: 'role' } } })).toEqual([]);
    expect(effectiveRoles({ roles: ['a'] })).toEqual(['a']);
  });
});

describe('stored session records', () => {
  const record = {
    sessionId: 's',
    userId: 'u',
    roles: '["viewer"]',
    metadata: '{"a":{}}',
    createdAt: '1',
    expiresAt: 2,
    ttl: '60',
  };

  it('reads a record, version 1 when it has none, and takes grants and claims from their own fields', () => {
    expect(sessionFromRecord(record)).toEqual({
      sessionId: 's',
      userId: 'u',
      roles: ['viewer'],
      metadata: { a: {} },
      createdAt: 1,
      expiresAt: 2,
      ttl: 60,
      version: 1,
    });
    expect(
      sessionFromRecord({
        ...record,
        metadata: '{"permissions":{"widget:x":["read"]},"claims":[],"b":1}',
        permissions: '{"widget:y":["write"]}',
        claims: '[{"type":"t","value":"v"}]',
        version: '4',
      }),
    ).toMatchObject({
      metadata: {
        permissions: { 'widget:y': ['write'] },
        claims: [{ type: 't', value: 'v' }],
        b: 1,
      },
      version: 4,
    });
  });

  it('says what is wrong with a damaged record, without quoting it', () => {
    const damaged: Record<string, unknown>[] = [
      { sessionId: undefined },
      { userId: '' },
      { roles: 'not json' },
      { roles: '{"a":1}' },
      { roles: '[1]' },
      { metadata: '[]' },
      { metadata: 'null' },
      { metadata: '{"permissions":5}' },
      { metadata: '{"permissions":{"widget:x":"read"}}' },
      { permissions: '{oops' },
      { claims: '{}' },
      { createdAt: 'soon' },
      { expiresAt: '' },
      { ttl: '0' },
      { version: 'x' },
      { version: '1.5' },
    ];
    for (const change of damaged) {
      const result = sessionFromRecord({ ...record, ...change });
      expect(result).toEqual({ corrupt: expect.any(String) });
      expect((result as { corrupt: string }).corrupt).not.toContain('oops');
    }
  });
});
