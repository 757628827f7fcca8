import { hash as argon2Hash } from '@node-rs/argon2';
import { StateValidationError } from '@livegate/state';
import { MAX_PASSWORD_LENGTH, PasswordHasher, parsePassword } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with Argon2id at OWASP parameters and verifies', async () => {
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(stored, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(stored, 'correct horse batterY')).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
  });

  it('normalizes passwords with NFKC: the same password typed two ways verifies', async () => {
    const stored = await hasher.hash('ｐａｓｓｗｏｒｄ１２３');
    expect(await hasher.verify(stored, 'password123')).toBe(true);
  });

  it.each([
    ['too short', 'short12'],
    ['too long', 'x'.repeat(MAX_PASSWORD_LENGTH + 1)],
    ['not a string', 12345678],
  ])('refuses a password %s before any hashing', async (_case, password) => {
    expect(() => parsePassword(password)).toThrow(StateValidationError);
    await expect(hasher.hash(password as string)).rejects.toThrow(StateValidationError);
    expect(hasher.load).toEqual({ running: 0, waiting: 0 });
  });

  it('answers false for a malformed hash and for the dummy of an unknown user', async () => {
    expect(await hasher.verify('$argon2id$garbage', 'whatever-password')).toBe(false);
    expect(await hasher.verifyOrDummy(null, 'whatever-password')).toBe(false);
    expect(await hasher.verifyOrDummy(undefined, 'whatever-password')).toBe(false);
  });

  it('asks for a rehash of weaker parameters and of other algorithms', async () => {
    const weak = await argon2Hash('correct horse battery', {
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
      algorithm: 2,
    });
    expect(hasher.needsRehash(weak)).toBe(true);
    const argon2i = await argon2Hash('correct horse battery', { algorithm: 1 });
    expect(hasher.needsRehash(argon2i)).toBe(true);
    expect(hasher.needsRehash('not a hash')).toBe(true);
    expect(() => new PasswordHasher({ memoryCost: 4096 })).toThrow(/at least 19456/);
  });

  it('runs at most `concurrency` hashes at once; the others wait their turn', async () => {
    const bounded = new PasswordHasher({ concurrency: 2 });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, bounded.load.running)), 1);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) => bounded.hash(`password-number-${index}`)),
    );
    clearInterval(watch);
    expect(new Set(results).size).toBe(6);
    expect(most).toBeLessThanOrEqual(2);
    expect(bounded.load).toEqual({ running: 0, waiting: 0 });
  });
});
