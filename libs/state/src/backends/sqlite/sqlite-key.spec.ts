import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { StateConfigurationError } from '../../state.errors';
import {
  createOsKeyring,
  keyFilePath,
  keyringAccount,
  resolveSqliteKey,
  type SqliteKeyring,
} from './sqlite-key';
import { useSqliteSandbox } from './sqlite-test.helpers';

const HEX_KEY = 'ab'.repeat(32);

/** An in-memory keyring that says whether it persists, and records every call. */
function fakeKeyring(persists: boolean, entries = new Map<string, string>()) {
  return {
    entries,
    persists: jest.fn(() => persists),
    get: jest.fn((account: string) => entries.get(account) ?? null),
    set: jest.fn((account: string, secret: string) => {
      entries.set(account, secret);
    }),
  } satisfies SqliteKeyring & { entries: Map<string, string> };
}

describe('resolveSqliteKey', () => {
  const sandbox = useSqliteSandbox();
  const resolve = (options: Partial<Parameters<typeof resolveSqliteKey>[0]> = {}) =>
    resolveSqliteKey({
      databasePath: sandbox.path(),
      keyring: null,
      databaseExists: false,
      ...options,
    });

  it('uses the explicit key first, untouched, without looking anywhere else', () => {
    writeFileSync(keyFilePath(sandbox.path()), HEX_KEY, { mode: 0o600 });
    const keyring = fakeKeyring(true);

    expect(resolve({ explicitKey: 'my passphrase', keyring, databaseExists: true })).toEqual({
      key: 'my passphrase',
      source: 'option',
    });
    expect(keyring.get).not.toHaveBeenCalled();
    expect(() => resolve({ explicitKey: '' })).toThrow(StateConfigurationError);
  });

  it('then the key file beside the database, as a raw key', () => {
    writeFileSync(keyFilePath(sandbox.path()), `${HEX_KEY}\n`, { mode: 0o600 });
    const keyring = fakeKeyring(true, new Map([[keyringAccount(sandbox.path()), 'cd'.repeat(32)]]));

    expect(resolve({ keyring, databaseExists: true })).toEqual({
      key: `x'${HEX_KEY}'`,
      source: 'key-file',
    });
    expect(keyring.get).not.toHaveBeenCalled();
  });

  it('refuses a key file other users can read, or one that holds no key', () => {
    const keyFile = keyFilePath(sandbox.path());
    writeFileSync(keyFile, HEX_KEY, { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    expect(() => resolve({ databaseExists: true })).toThrow(/readable or writable by other users/);

    writeFileSync(keyFile, 'not a key');
    chmodSync(keyFile, 0o600);
    expect(() => resolve({ databaseExists: true })).toThrow(/does not hold a Livegate key/);
  });

  it('then a keyring that persists; one that does not is never used', () => {
    const account = keyringAccount(sandbox.path());
    const persistent = fakeKeyring(true, new Map([[account, HEX_KEY]]));
    expect(resolve({ keyring: persistent, databaseExists: true })).toEqual({
      key: `x'${HEX_KEY}'`,
      source: 'keyring',
    });

    const volatile = fakeKeyring(false, new Map([[account, HEX_KEY]]));
    expect(() => resolve({ keyring: volatile, databaseExists: true })).toThrow(
      StateConfigurationError,
    );
    const generated = resolve({ keyring: volatile, databaseExists: false });
    expect(generated.source).toBe('new-key-file');
    expect(volatile.get).not.toHaveBeenCalled();
    expect(volatile.set).not.toHaveBeenCalled();
  });

  it('generates a key only when no database exists, kept in a persistent keyring', () => {
    const keyring = fakeKeyring(true);
    const generated = resolve({ keyring });

    expect(generated.source).toBe('new-keyring');
    const stored = keyring.entries.get(keyringAccount(sandbox.path()))!;
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(generated.key).toBe(`x'${stored}'`);
    expect(existsSync(keyFilePath(sandbox.path()))).toBe(false);
    expect(resolve({ keyring, databaseExists: true })).toEqual({ ...generated, source: 'keyring' });
  });

  it('or else in a new owner-only key file, and never replaces one', () => {
    const first = resolve();
    const keyFile = keyFilePath(sandbox.path());

    expect(first.source).toBe('new-key-file');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(first.key).toBe(`x'${readFileSync(keyFile, 'utf8').trim()}'`);
    expect(resolve()).toEqual({ ...first, source: 'key-file' });
  });

  it('falls back to the key file when the keyring does not keep the key', () => {
    const forgetful = { ...fakeKeyring(true), get: jest.fn(() => null) };
    expect(resolve({ keyring: forgetful }).source).toBe('new-key-file');

    const failing = {
      ...fakeKeyring(true),
      set: jest.fn(() => {
        throw new Error('locked');
      }),
    };
    expect(resolve({ keyring: failing, databasePath: sandbox.path('other.db') }).source).toBe(
      'new-key-file',
    );
  });

  it('does not generate a key while a database file exists', () => {
    const keyring = fakeKeyring(true);
    expect(() => resolve({ keyring, databaseExists: true })).toThrow(
      /exists but no key for it was found.*OS keyring entry livegate\/sqlite:/,
    );
    expect(keyring.set).not.toHaveBeenCalled();
    expect(existsSync(keyFilePath(sandbox.path()))).toBe(false);
  });
});

describe('createOsKeyring', () => {
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;

  afterEach(() => {
    if (saved === undefined) {
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
    } else {
      process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });

  (process.platform === 'linux' ? it : it.skip)(
    'does not trust the keyring of a Linux session without D-Bus (the kernel keyring forgets on reboot)',
    () => {
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
      expect(createOsKeyring().persists()).toBe(false);
    },
  );
});
