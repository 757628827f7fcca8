import { createOsKeyring, type OsKeyring } from '@livegate/state';
import { TokenError } from '../oauth.errors';
import { KeyringTokenStore } from './keyring-token.store';
import { TokenCipher } from './token-cipher';

const cipher = new TokenCipher(['keyring-token-store-secret-of-32-chars']);

describe('KeyringTokenStore without a usable keyring', () => {
  it('is an error on every call on a machine without a Secret Service, never "logged out"', async () => {
    // This machine runs headless: no D-Bus session, so the OS keyring does not persist.
    const keyring = createOsKeyring('livegate-oauth-test');
    expect(keyring.persists()).toBe(false);
    const store = new KeyringTokenStore(keyring, cipher);

    for (const call of [
      () => store.save('k', { accessToken: 'a', tokenType: 'Bearer' }),
      () => store.load('k'),
      () => store.exists('k'),
      () => store.delete('k'),
      () => store.listKeys(),
    ]) {
      await expect(call()).rejects.toThrow(TokenError);
      await expect(call()).rejects.toThrow(
        /OS keyring \(service livegate-oauth-test\) is not available/,
      );
    }
  });

  it('turns a keyring that fails (a locked Secret Service) into a TokenError', async () => {
    const locked: OsKeyring = {
      service: 'locked',
      persists: () => true,
      get: () => {
        throw new Error('Secret Service: unlock prompt was dismissed');
      },
      set: () => {
        throw new Error('Secret Service: unlock prompt was dismissed');
      },
      delete: () => {
        throw new Error('Secret Service: unlock prompt was dismissed');
      },
    };
    const store = new KeyringTokenStore(locked, cipher);
    await expect(store.load('k')).rejects.toThrow(
      /OS keyring \(service locked\) failed: .*unlock prompt/,
    );
    await expect(store.save('k', { accessToken: 'a', tokenType: 'Bearer' })).rejects.toThrow(
      TokenError,
    );
  });

  it('does not read a locked Secret Service as "logged out": empty answers are proven first', async () => {
    // What a locked gnome-keyring collection does through @napi-rs/keyring: reads answer "no
    // entry", deletes answer "nothing deleted", and only writes fail.
    const entries = new Map<string, string>();
    let locked = false;
    const keyring: OsKeyring = {
      service: 'lockable',
      persists: () => true,
      get: (account) => (locked ? null : (entries.get(account) ?? null)),
      set: (account, secret) => {
        if (locked) {
          throw new Error('Secret Service: unlock prompt was dismissed');
        }
        entries.set(account, secret);
      },
      delete: (account) => !locked && entries.delete(account),
    };
    const store = new KeyringTokenStore(keyring, cipher);
    await store.save('k', { accessToken: 'a', tokenType: 'Bearer' });
    expect(await store.load('missing')).toBeNull();

    locked = true;
    for (const call of [
      () => store.load('k'),
      () => store.exists('k'),
      () => store.delete('k'),
      () => store.listKeys(),
      () => store.save('k', { accessToken: 'b', tokenType: 'Bearer' }),
    ]) {
      await expect(call()).rejects.toThrow(
        /OS keyring \(service lockable\) failed: .*unlock prompt/,
      );
    }

    locked = false;
    expect((await store.load('k'))?.accessToken).toBe('a');
  });
});
