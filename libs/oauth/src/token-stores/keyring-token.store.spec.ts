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
});
