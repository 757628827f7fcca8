import { readFileSync } from 'node:fs';
import { StateConfigurationError } from '../../state.errors';
import { createOsKeyring, KEYRING_SERVICE } from './sqlite-key';

describe('createOsKeyring, the keyring loader shared with the token stores', () => {
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;

  afterEach(() => {
    if (saved === undefined) {
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
    } else {
      process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });

  it('serves one service: livegate by default, or the one a caller names', () => {
    expect(createOsKeyring().service).toBe(KEYRING_SERVICE);
    expect(createOsKeyring('livegate-oauth-tokens').service).toBe('livegate-oauth-tokens');
    expect(() => createOsKeyring('')).toThrow(StateConfigurationError);
  });

  (process.platform === 'linux' ? it : it.skip)(
    'without a Secret Service, says it does not persist, so callers refuse to rely on it',
    () => {
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
      const keyring = createOsKeyring(`livegate-spec-${process.pid}`);
      expect(keyring.persists()).toBe(false);
      const account = `account-${Date.now()}`;
      // Pinned to the Secret Service, an entry is an error rather than a kernel-keyring entry
      // that reads as empty after a reboot.
      expect(() => keyring.get(account)).toThrow(/DBUS_SESSION_BUS_ADDRESS|D-?Bus/i);
      expect(() => keyring.set(account, 'secret')).toThrow();
      expect(() => keyring.delete(account)).toThrow();
      expect(readFileSync('/proc/keys', 'utf8')).not.toContain(`${account}@`);
    },
  );
});
