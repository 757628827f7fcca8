import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadOptionalPackage } from '../../common/optional-package';
import { StateConfigurationError } from '../../state.errors';

/** Service name of the OS keyring entries holding database keys: the default of `createOsKeyring`. */
export const KEYRING_SERVICE = 'livegate';

const GENERATED_KEY = /^[0-9a-f]{64}$/;

/** Where the key of the SQLite database came from. */
export type SqliteKeySource = 'option' | 'key-file' | 'keyring' | 'new-key-file' | 'new-keyring';

export interface SqliteKey {
  /** What SQLCipher is keyed with: a passphrase, or `x'<64 hex digits>'` for a raw key. */
  key: string;
  source: SqliteKeySource;
}

/** An OS credential store for database keys. The default is `@napi-rs/keyring`. */
export interface SqliteKeyring {
  /** Whether what it stores survives a reboot. A keyring that does not is never used. */
  persists(): boolean;
  get(account: string): string | null;
  set(account: string, secret: string): void;
}

/**
 * The entries of one service in the OS keyring (macOS Keychain, Windows Credential Manager, the
 * Secret Service on Linux), through `@napi-rs/keyring`, loaded on first use. `get`, `set` and
 * `delete` throw when the keyring cannot be reached; a keyring that is reached but locked may
 * read as empty, so callers that must tell "absent" from "unavailable" check `persists()` first.
 */
export interface OsKeyring extends SqliteKeyring {
  readonly service: string;
  /** Removes an entry; `false` when there was none. */
  delete(account: string): boolean;
}

/** The key file of a database: beside it, owner-only. */
export function keyFilePath(databasePath: string): string {
  return `${databasePath}.key`;
}

/** The keyring account of a database: one entry per database file. */
export function keyringAccount(databasePath: string): string {
  return `sqlite:${resolve(databasePath)}`;
}

/** SQLCipher's notation for a raw 256-bit key, which skips the passphrase key derivation. */
function rawKey(hex: string): string {
  return `x'${hex}'`;
}

/**
 * Finds the key of the database, in order: the explicit key, the key file beside the database,
 * the OS keyring (only when it persists). Only when none holds a key and no database file exists
 * is a new random key generated, stored in the keyring when it persists or else in a new key
 * file, and returned; with a database file and no key it throws, so a database is never
 * re-keyed or replaced.
 */
export function resolveSqliteKey(options: {
  databasePath: string;
  explicitKey?: string;
  keyring: SqliteKeyring | null;
  databaseExists: boolean;
  /** The setting that gives the key, in the "no key found" error. Default the state backend's. */
  keySetting?: string;
}): SqliteKey {
  const { databasePath, explicitKey, databaseExists } = options;
  if (explicitKey !== undefined) {
    if (explicitKey === '') {
      throw new StateConfigurationError('The SQLite key must not be empty');
    }
    return { key: explicitKey, source: 'option' };
  }

  const keyFile = keyFilePath(databasePath);
  if (existsSync(keyFile)) {
    return { key: rawKey(readKeyFile(keyFile)), source: 'key-file' };
  }

  const keyring = usableKeyring(options.keyring);
  const account = keyringAccount(databasePath);
  if (keyring) {
    const stored = readKeyring(keyring, account);
    if (stored !== null) {
      if (!GENERATED_KEY.test(stored)) {
        throw new StateConfigurationError(
          `The OS keyring entry ${KEYRING_SERVICE}/${account} does not hold a Livegate key`,
        );
      }
      return { key: rawKey(stored), source: 'keyring' };
    }
  }

  if (databaseExists) {
    throw new StateConfigurationError(
      `The SQLite database ${databasePath} exists but no key for it was found: set ` +
        `${options.keySetting ?? 'LIVEGATE_DEPLOY__SQLITE_KEY (or the sqliteKey option)'}, or restore its key file ` +
        `${keyFile}${keyring ? ` or the OS keyring entry ${KEYRING_SERVICE}/${account}` : ''}. ` +
        `No new key is generated while the database exists; the file was left unchanged.`,
    );
  }

  const generated = randomBytes(32).toString('hex');
  if (keyring && storeInKeyring(keyring, account, generated)) {
    return { key: rawKey(generated), source: 'new-keyring' };
  }
  writeKeyFile(keyFile, generated);
  return { key: rawKey(generated), source: 'new-key-file' };
}

function usableKeyring(keyring: SqliteKeyring | null): SqliteKeyring | null {
  try {
    return keyring?.persists() ? keyring : null;
  } catch {
    return null;
  }
}

function readKeyring(keyring: SqliteKeyring, account: string): string | null {
  try {
    return keyring.get(account);
  } catch {
    // A keyring that cannot be read holds no key we can use.
    return null;
  }
}

/** Stores a key and reads it back; `false` when the keyring did not keep it. */
function storeInKeyring(keyring: SqliteKeyring, account: string, key: string): boolean {
  try {
    keyring.set(account, key);
    return keyring.get(account) === key;
  } catch {
    return false;
  }
}

function readKeyFile(path: string): string {
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new StateConfigurationError(
      `The SQLite key file ${path} is readable or writable by other users; ` +
        `restrict it to its owner (chmod 600) and start again`,
    );
  }
  const key = readFileSync(path, 'utf8').trim();
  if (!GENERATED_KEY.test(key)) {
    throw new StateConfigurationError(
      `The SQLite key file ${path} does not hold a Livegate key (64 lower-case hex digits)`,
    );
  }
  return key;
}

/** Creates the key file owner-only, never over an existing one, and flushes it to disk. */
function writeKeyFile(path: string, key: string): void {
  const descriptor = openSync(path, 'wx', 0o600);
  try {
    writeSync(descriptor, `${key}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  try {
    // Makes the new directory entry durable too, so a crash cannot lose the key of a database.
    const directory = openSync(dirname(path), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch {
    // Not every platform can open a directory (Windows); the file itself is flushed.
  }
}

interface KeyringEntry {
  getPassword(): string | undefined | null;
  setPassword(password: string): void;
  deletePassword(): boolean;
}
interface KeyringEntryOptions {
  linux?: { store?: 'secret-service' | 'keyutils' };
}
type KeyringModule = {
  Entry: new (service: string, account: string, options?: KeyringEntryOptions) => KeyringEntry;
};

/**
 * On Linux, entries are pinned to the Secret Service: without it (or with it locked) a call
 * throws, where the default would fall back to the kernel keyring, which forgets at reboot.
 */
const ENTRY_OPTIONS: KeyringEntryOptions = { linux: { store: 'secret-service' } };

/**
 * Entries kept per keyring. Each `Entry` holds its own D-Bus connection on Linux until it is
 * garbage-collected, so a new one per call would pile up connections (a session bus refuses a
 * user's connections past its limit); reusing them keeps one per account.
 */
const MAX_CACHED_ENTRIES = 64;

function loadKeyringModule(): KeyringModule {
  // Loaded on first use: most processes (an explicit key, a key file) never touch the keyring.
  return loadOptionalPackage<KeyringModule>('@napi-rs/keyring', 'The OS keyring');
}

/**
 * Whether `@napi-rs/keyring` stores entries that survive a reboot. macOS and Windows always do.
 * On Linux only the Secret Service (D-Bus) does: entries are pinned to it, and a probe entry must
 * be written and read back (a missing D-Bus session, a missing or locked Secret Service fail the
 * probe). A probe that still shows up in /proc/keys would mean the kernel keyring, which lives in
 * memory only, answered instead.
 */
function osKeyringPersists(service: string): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') {
    loadKeyringModule();
    return true;
  }
  if (process.platform !== 'linux' || !process.env.DBUS_SESSION_BUS_ADDRESS) {
    return false;
  }
  const { Entry } = loadKeyringModule();
  const account = `probe-${randomUUID()}`;
  const probe = new Entry(service, account, ENTRY_OPTIONS);
  try {
    probe.setPassword('probe');
    if (probe.getPassword() !== 'probe') {
      return false;
    }
    return !readFileSync('/proc/keys', 'utf8').includes(`${account}@${service}`);
  } catch {
    return false;
  } finally {
    try {
      probe.deletePassword();
    } catch {
      // Nothing to clean up.
    }
  }
}

/**
 * The entries of `service` (default `livegate`) in the OS keyring. Nothing is loaded until the
 * first call; a missing `@napi-rs/keyring` package is a `StateConfigurationError` naming it.
 * `persists()` is probed once (see `osKeyringPersists`): the SQLite key resolution never uses a
 * keyring that does not persist, and a token store should not either.
 */
export function createOsKeyring(service: string = KEYRING_SERVICE): OsKeyring {
  if (typeof service !== 'string' || service === '') {
    throw new StateConfigurationError('The OS keyring service name must be a non-empty string');
  }
  let persists: boolean | undefined;
  const entries = new Map<string, KeyringEntry>();
  const entry = (account: string): KeyringEntry => {
    let found = entries.get(account);
    if (found) {
      entries.delete(account);
    } else {
      found = new (loadKeyringModule().Entry)(service, account, ENTRY_OPTIONS);
      if (entries.size >= MAX_CACHED_ENTRIES) {
        entries.delete(entries.keys().next().value!);
      }
    }
    entries.set(account, found);
    return found;
  };
  return {
    service,
    persists: () => (persists ??= osKeyringPersists(service)),
    get: (account) => entry(account).getPassword() ?? null,
    set: (account, secret) => entry(account).setPassword(secret),
    delete: (account) => entry(account).deletePassword() === true,
  };
}
