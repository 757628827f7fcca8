import { TokenError } from '../oauth.errors';
import type { OAuthTokens } from '../token-stores/oauth-tokens';
import type { TokenStore } from '../token-stores/token-store';

/** A fresh, empty token store for one test, and a look at what it really wrote. */
export interface TokenStoreSubject {
  store: TokenStore;
  teardown(): Promise<void>;
  /** The stored bytes of `key` as the backend holds them; left out for memory. */
  raw?(key: string): Promise<string | null>;
  /** Overwrites the stored bytes of `key`, to show that a damaged entry is an error. */
  overwrite?(key: string, value: string): Promise<void>;
}

export type TokenStoreFactory = () => Promise<TokenStoreSubject>;

const HOUR = 3600 * 1000;

const tokensFor = (name: string, extra: Partial<OAuthTokens> = {}): OAuthTokens => ({
  accessToken: `access-${name}-Zq81x`,
  tokenType: 'Bearer',
  refreshToken: `refresh-${name}-Kp27w`,
  idToken: `header.payload-${name}.signature`,
  expiresAt: Date.now() + HOUR,
  scope: 'openid email profile',
  ...extra,
});

async function tokenErrorOf(action: () => Promise<unknown>): Promise<TokenError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokenError);
  return caught as TokenError;
}

/**
 * The behaviour every token store shares: `save`, `load`, `delete`, `exists`, `listKeys`, keys
 * checked like every Livegate id, tokens checked before they are written, the keep time of
 * `storedUntil`, and (where the factory can show the stored bytes) encryption at rest.
 */
export function describeTokenStoreContract(name: string, factory: TokenStoreFactory): void {
  describe(`TokenStore contract (${name})`, () => {
    let subject: TokenStoreSubject;
    let store: TokenStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject?.teardown();
    });

    it('saves, loads, lists and deletes the tokens of a key', async () => {
      const tokens = tokensFor('alice');
      await store.save('alice@example.com', tokens);

      expect(await store.load('alice@example.com')).toEqual(tokens);
      expect(await store.exists('alice@example.com')).toBe(true);
      expect(await store.listKeys()).toEqual(['alice@example.com']);

      expect(await store.delete('alice@example.com')).toBe(true);
      expect(await store.delete('alice@example.com')).toBe(false);
      expect(await store.load('alice@example.com')).toBeNull();
      expect(await store.exists('alice@example.com')).toBe(false);
      expect(await store.listKeys()).toEqual([]);
    });

    it('answers null and false for a key it never saw', async () => {
      expect(await store.load('nobody')).toBeNull();
      expect(await store.exists('nobody')).toBe(false);
      expect(await store.delete('nobody')).toBe(false);
    });

    it('replaces the tokens of a key on save, keeping only the known fields', async () => {
      await store.save('k', tokensFor('one'));
      const minimal = { accessToken: 'only-access', tokenType: 'Bearer' };
      await store.save('k', { ...minimal, extra: 'dropped' } as OAuthTokens);

      expect(await store.load('k')).toEqual(minimal);
      expect(await store.listKeys()).toEqual(['k']);
    });

    it('keeps many keys apart, including ones that look like patterns or paths', async () => {
      const keys = [
        'user-1',
        'user-10',
        'a*b',
        'a?c',
        '[x]',
        'dir/file',
        'ütf-ключ',
        'session:abc',
      ];
      for (const [index, key] of keys.entries()) {
        await store.save(key, tokensFor(`k${index}`));
      }
      for (const [index, key] of keys.entries()) {
        expect((await store.load(key))?.accessToken).toBe(tokensFor(`k${index}`).accessToken);
      }
      expect((await store.listKeys()).sort()).toEqual([...keys].sort());
      expect(await store.delete('a*b')).toBe(true);
      expect((await store.listKeys()).sort()).toEqual(keys.filter((key) => key !== 'a*b').sort());
    });

    it.each([
      ['an empty key', ''],
      ['a control character', 'a\u0000b'],
      ['a lone surrogate', 'a\ud800b'],
      ['a bidirectional override', 'a\u202eb'],
      ['an over-long key', 'k'.repeat(1000)],
      ['not a string', 42],
    ])('refuses %s on every method, writing nothing', async (_label, key) => {
      const bad = key as string;
      await tokenErrorOf(() => store.save(bad, tokensFor('x')));
      await tokenErrorOf(() => store.load(bad));
      await tokenErrorOf(() => store.exists(bad));
      await tokenErrorOf(() => store.delete(bad));
      expect(await store.listKeys()).toEqual([]);
    });

    it.each([
      ['no access token', { accessToken: undefined }],
      ['an empty access token', { accessToken: '' }],
      ['whitespace in the access token', { accessToken: 'two words' }],
      ['no token type', { tokenType: undefined }],
      ['an expiry that is not a time', { expiresAt: Number.NaN }],
      ['a fractional expiry', { expiresAt: 1.5 }],
      ['an over-long refresh token', { refreshToken: 'r'.repeat(20_000) }],
    ])('refuses tokens with %s, writing nothing', async (_label, change) => {
      await tokenErrorOf(() =>
        store.save('k', { ...tokensFor('k'), ...change } as unknown as OAuthTokens),
      );
      expect(await store.exists('k')).toBe(false);
    });

    it('drops an entry whose access token expired long ago when it has no refresh token', async () => {
      await store.save(
        'stale',
        tokensFor('stale', { refreshToken: undefined, expiresAt: Date.now() - HOUR }),
      );
      expect(await store.load('stale')).toBeNull();
      expect(await store.exists('stale')).toBe(false);
      expect(await store.listKeys()).toEqual([]);
    });

    it('keeps an entry with a refresh token after its access token expired, until it can be used', async () => {
      const tokens = tokensFor('renewable', { expiresAt: Date.now() - 24 * HOUR });
      await store.save('renewable', tokens);
      expect(await store.load('renewable')).toEqual(tokens);
    });

    it('holds no token in the clear at rest, and refuses an entry that was tampered with', async () => {
      if (!subject.raw || !subject.overwrite) {
        return;
      }
      const tokens = tokensFor('secret');
      await store.save('k', tokens);
      const stored = await subject.raw('k');
      expect(stored).not.toBeNull();
      for (const token of [tokens.accessToken, tokens.refreshToken!, tokens.idToken!]) {
        expect(stored).not.toContain(token);
      }
      expect(stored).not.toContain('secret');

      // An entry copied under another key does not decrypt there.
      await store.save('other', tokensFor('other'));
      await subject.overwrite('other', stored!);
      await tokenErrorOf(() => store.load('other'));

      // One character of the ciphertext changed (the one before last: all its bits are data).
      const changed = stored!.at(-2) === 'A' ? 'B' : 'A';
      const flipped = `${stored!.slice(0, -2)}${changed}${stored!.slice(-1)}`;
      expect(flipped).not.toBe(stored);
      await subject.overwrite('k', flipped);
      await tokenErrorOf(() => store.load('k'));
      await subject.overwrite('k', 'not an entry');
      await tokenErrorOf(() => store.load('k'));
    });
  });
}
