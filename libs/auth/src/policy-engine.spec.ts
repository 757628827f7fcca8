import { Logger } from '@nestjs/common';
import { ANONYMOUS, ClaimsPrincipal } from './claims-principal';
import { hasClaims, PolicyEngine } from './policy-engine';

const admin = new ClaimsPrincipal({
  isAuthenticated: true,
  userId: 'a',
  claims: [
    { type: 'role', value: 'admin' },
    { type: 'email_verified', value: 'true' },
  ],
});

describe('PolicyEngine', () => {
  let engine: PolicyEngine;

  beforeEach(() => {
    engine = new PolicyEngine();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('evaluates claim requirements, with or without a value', async () => {
    engine.addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] });
    engine.addPolicy('Verified', { requiresClaim: ['email_verified'] });
    expect(await engine.evaluate('AdminOnly', admin)).toBe(true);
    expect(await engine.evaluate('Verified', admin)).toBe(true);
    expect(await engine.evaluate('AdminOnly', ANONYMOUS)).toBe(false);
  });

  it('evaluates sync and async predicates with the context', async () => {
    engine.addPolicy(
      'Owner',
      async (principal, context) => context.params?.id === principal.userId,
    );
    expect(await engine.evaluate('Owner', admin, { params: { id: 'a' } })).toBe(true);
    expect(await engine.evaluate('Owner', admin, { params: { id: 'b' } })).toBe(false);
  });

  it('denies a missing, throwing, rejecting or non-boolean policy', async () => {
    engine.addPolicy('Throws', () => {
      throw new Error('bug');
    });
    engine.addPolicy('Rejects', () => Promise.reject(new Error('bug')));
    engine.addPolicy('Truthy', () => 'yes' as unknown as boolean);
    for (const name of ['Missing', 'Throws', 'Rejects', 'Truthy']) {
      expect(await engine.evaluate(name, admin)).toBe(false);
    }
  });

  it('rejects malformed definitions', () => {
    expect(() => engine.addPolicy('', { requiresClaim: ['role'] })).toThrow(TypeError);
    expect(() => engine.addPolicy('X', {} as never)).toThrow(TypeError);
  });

  it('hasClaims needs every claim', () => {
    expect(hasClaims(admin, [['role', 'admin'], ['email_verified']])).toBe(true);
    expect(
      hasClaims(admin, [
        ['role', 'admin'],
        ['tier', 'beta'],
      ]),
    ).toBe(false);
  });
});
