import { StateConflictError, StateNotFoundError, StateValidationError } from '@livegate/state';
import type { UserStore } from '../users/user-store';

/** A fresh, empty user store for one test. */
export interface UserStoreSubject {
  store: UserStore;
  /** Closes this store and opens the same one again, as a restarted process would. */
  reopen?(): Promise<UserStore>;
  teardown(): Promise<void>;
}

export type UserStoreFactory = () => Promise<UserStoreSubject>;

const HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA';
const GITHUB = 'https://github.com';

/**
 * The behaviour every user store shares: normalized unique usernames, provider identities keyed by
 * (issuer, subject), claims with a version that grows by one per change (also under concurrent
 * changes), the other fields, paging, and bad input refused with nothing written.
 */
export function describeUserStoreContract(name: string, factory: UserStoreFactory): void {
  describe(`UserStore contract (${name})`, () => {
    let subject: UserStoreSubject;
    let store: UserStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject?.teardown();
    });

    const count = async () => (await store.listUsers({ limit: 500 })).users.length;

    it('creates a user with defaults and finds it by id and by username in any case or width', async () => {
      const alice = await store.createUser({ username: 'Alice' });
      expect(alice).toMatchObject({
        username: 'Alice',
        displayName: 'Alice',
        passwordHash: null,
        disabled: false,
        claims: [],
        claimsVersion: 0,
        identities: [],
      });
      expect(alice.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(alice.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect((await store.findById(alice.id))?.username).toBe('Alice');
      for (const spelling of ['alice', 'ALICE', 'ａｌｉｃｅ', 'Ａｌｉｃｅ']) {
        expect((await store.findByUsername(spelling))?.id).toBe(alice.id);
      }
      expect(await store.findByUsername('bob')).toBeNull();
      expect(await store.findById('00000000-0000-4000-8000-000000000000')).toBeNull();
    });

    it.each([
      ['alice', 'ALICE'],
      ['alice', 'ａｌｉｃｅ'],
      ['straße', 'STRASSE'],
      ['ﬁle', 'file'],
      ['Ω', 'Ω'],
    ])('keeps usernames unique in their normalized form (%s, then %s)', async (first, second) => {
      await store.createUser({ username: first });
      await expect(store.createUser({ username: second })).rejects.toThrow(StateConflictError);
      expect(await count()).toBe(1);
    });

    it.each([
      ['empty', ''],
      ['a space', 'al ice'],
      ['surrounding space', ' alice'],
      ['a zero-width space', 'al\u200bice'],
      ['a zero-width joiner', 'al\u200dice'],
      ['a bidirectional override', 'al\u202eice'],
      ['a control character', 'al\u0000ice'],
      ['a new line', 'alice\n'],
      ['a leading dot', '.alice'],
      ['a slash', 'al/ice'],
      ['65 characters', 'a'.repeat(65)],
      ['not a string', 42],
    ])('refuses a username with %s, creating nothing', async (_case, username) => {
      await expect(store.createUser({ username: username as string })).rejects.toThrow(
        StateValidationError,
      );
      expect(await count()).toBe(0);
    });

    it('links provider identities by (issuer, subject), once each', async () => {
      const alice = await store.createUser({
        username: 'alice',
        identity: { issuer: GITHUB, subject: '583231' },
      });
      expect(alice.identities).toEqual([{ issuer: GITHUB, subject: '583231' }]);
      const google = { issuer: 'https://accounts.google.com', subject: '583231' };
      const linked = await store.linkIdentity(alice.id, google);
      expect(linked.identities).toHaveLength(2);
      expect((await store.linkIdentity(alice.id, google)).identities).toHaveLength(2);
      expect((await store.findByIdentity(google))?.id).toBe(alice.id);
      expect((await store.findByIdentity({ issuer: GITHUB, subject: '583231' }))?.id).toBe(
        alice.id,
      );
      expect(await store.findByIdentity({ issuer: GITHUB, subject: '583232' })).toBeNull();

      const bob = await store.createUser({ username: 'bob' });
      await expect(store.linkIdentity(bob.id, google)).rejects.toThrow(StateConflictError);
      await expect(
        store.createUser({ username: 'carol', identity: { issuer: GITHUB, subject: '583231' } }),
      ).rejects.toThrow(StateConflictError);
      // The failed creation left nothing behind, not even the user row.
      expect(await store.findByUsername('carol')).toBeNull();
      await expect(
        store.linkIdentity('00000000-0000-4000-8000-000000000000', {
          issuer: GITHUB,
          subject: '1',
        }),
      ).rejects.toThrow(StateNotFoundError);
    });

    it.each([
      { issuer: '', subject: '1' },
      { issuer: GITHUB, subject: '' },
      { issuer: GITHUB, subject: 'has space' },
      { issuer: GITHUB, subject: 'x'.repeat(257) },
      { issuer: 'x'.repeat(513), subject: '1' },
      { issuer: GITHUB },
    ])('refuses a malformed identity (%#)', async (identity) => {
      const alice = await store.createUser({ username: 'alice' });
      await expect(store.linkIdentity(alice.id, identity as never)).rejects.toThrow(
        StateValidationError,
      );
      await expect(store.findByIdentity(identity as never)).rejects.toThrow(StateValidationError);
      expect((await store.findById(alice.id))?.identities).toEqual([]);
    });

    it('changes claims through updateClaims only, one version per change', async () => {
      const alice = await store.createUser({
        username: 'alice',
        claims: [{ type: 'role', value: 'viewer' }],
      });
      expect(alice.claims).toEqual([{ type: 'role', value: 'viewer' }]);
      const granted = await store.updateClaims(alice.id, (claims) => [
        ...claims,
        { type: 'role', value: 'admin' },
        { type: 'role', value: 'admin' },
      ]);
      expect(granted.claims).toEqual([
        { type: 'role', value: 'admin' },
        { type: 'role', value: 'viewer' },
      ]);
      expect(granted.claimsVersion).toBe(1);
      const revoked = await store.updateClaims(alice.id, (claims) =>
        claims.filter((claim) => claim.value !== 'admin'),
      );
      expect(revoked.claimsVersion).toBe(2);
      expect(revoked.claims).toEqual([{ type: 'role', value: 'viewer' }]);
      await expect(
        store.updateClaims('00000000-0000-4000-8000-000000000000', (claims) => claims),
      ).rejects.toThrow(StateNotFoundError);
    });

    it('keeps every one of 20 concurrent claims changes, with 20 versions', async () => {
      const alice = await store.createUser({ username: 'alice' });
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.updateClaims(alice.id, (claims) => [
            ...claims,
            { type: 'tier', value: `t${index}` },
          ]),
        ),
      );
      const after = await store.findById(alice.id);
      expect(after?.claims).toHaveLength(20);
      expect(after?.claimsVersion).toBe(20);
    });

    it.each([
      [[{ type: 'Role', value: 'admin' }]],
      [[{ type: 'role', value: '' }]],
      [[{ type: 'role', value: 'ad\u200bmin' }]],
      [[{ type: 'role', value: ' admin' }]],
      [[{ type: 'role', value: 'x'.repeat(257) }]],
      [[{ type: 'role' }]],
      [Array.from({ length: 257 }, (_, index) => ({ type: 'tier', value: `t${index}` }))],
      ['not a list'],
    ])('refuses bad claims, changing nothing (%#)', async (claims) => {
      const alice = await store.createUser({ username: 'alice' });
      await expect(store.updateClaims(alice.id, () => claims as never)).rejects.toThrow(
        StateValidationError,
      );
      await expect(store.createUser({ username: 'bob', claims: claims as never })).rejects.toThrow(
        StateValidationError,
      );
      expect(await store.findById(alice.id)).toMatchObject({ claims: [], claimsVersion: 0 });
      expect(await store.findByUsername('bob')).toBeNull();
    });

    it('sets the password hash, the disabled flag and the display name', async () => {
      const alice = await store.createUser({ username: 'alice', displayName: 'Alice Example' });
      expect(alice.displayName).toBe('Alice Example');
      expect((await store.setPasswordHash(alice.id, HASH)).passwordHash).toBe(HASH);
      expect((await store.setPasswordHash(alice.id, null)).passwordHash).toBeNull();
      await expect(store.setPasswordHash(alice.id, 'plaintext-password')).rejects.toThrow(
        StateValidationError,
      );
      expect((await store.setDisabled(alice.id, true)).disabled).toBe(true);
      expect((await store.setDisabled(alice.id, false)).disabled).toBe(false);
      expect((await store.setDisplayName(alice.id, 'Alice E.')).displayName).toBe('Alice E.');
      await expect(store.setDisplayName(alice.id, '\u202e')).rejects.toThrow(StateValidationError);
      await expect(store.setDisabled('00000000-0000-4000-8000-000000000000', true)).rejects.toThrow(
        StateNotFoundError,
      );
      await expect(store.findById('../etc')).rejects.toThrow(StateValidationError);
    });

    it('lists users in pages and deletes a user with its identities', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 7; index += 1) {
        ids.push((await store.createUser({ username: `user${index}` })).id);
      }
      const first = await store.listUsers({ limit: 3 });
      expect(first.users).toHaveLength(3);
      const second = await store.listUsers({ limit: 3, after: first.next! });
      const third = await store.listUsers({ limit: 3, after: second.next! });
      expect(third.next).toBeNull();
      const listed = [...first.users, ...second.users, ...third.users].map((user) => user.id);
      expect(listed.sort()).toEqual([...ids].sort());
      await expect(store.listUsers({ limit: 0 })).rejects.toThrow(StateValidationError);

      await store.linkIdentity(ids[0], { issuer: GITHUB, subject: '7' });
      expect(await store.deleteUser(ids[0])).toBe(true);
      expect(await store.deleteUser(ids[0])).toBe(false);
      expect(await store.findByIdentity({ issuer: GITHUB, subject: '7' })).toBeNull();
      // The identity is free again.
      await store.linkIdentity(ids[1], { issuer: GITHUB, subject: '7' });
    });

    it('keeps everything across a restart', async () => {
      if (!subject.reopen) {
        return;
      }
      const alice = await store.createUser({
        username: 'Alice',
        passwordHash: HASH,
        identity: { issuer: GITHUB, subject: '1' },
      });
      await store.updateClaims(alice.id, () => [{ type: 'role', value: 'admin' }]);
      store = await subject.reopen();
      expect(await store.findByUsername('alice')).toMatchObject({
        id: alice.id,
        passwordHash: HASH,
        claims: [{ type: 'role', value: 'admin' }],
        claimsVersion: 1,
        identities: [{ issuer: GITHUB, subject: '1' }],
      });
    });
  });
}
