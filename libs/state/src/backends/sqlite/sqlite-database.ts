import { loadOptionalPackage } from '../../common/optional-package';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statfsSync,
  statSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import {
  StateBackendBusyError,
  StateBackendUnavailableError,
  StateConfigurationError,
  StateConflictError,
  StateError,
  StateStorageFullError,
} from '../../state.errors';
import { migrateSchema } from './sqlite-schema';
import { resolveSqliteKey, type SqliteKeyring, type SqliteKeySource } from './sqlite-key';

export type Connection = BetterSqlite3.Database;

/**
 * How long a statement waits for a lock held by another connection before it fails with
 * `StateBackendBusyError`. Short, because the driver blocks the event loop while it waits.
 */
export const BUSY_TIMEOUT_MS = 200;

/** The first 16 bytes of every unencrypted SQLite database. */
const PLAINTEXT_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

/** How open-time errors name the database and the settings behind it. */
export interface SqliteNames {
  /** What the database is, after "The": `SQLite state database`. */
  database: string;
  /** The setting that gives its path. */
  path: string;
  /** The setting that gives its key. */
  key: string;
  /** The setting that turns encryption off. */
  encrypted: string;
}

/** The state backend's names: `LIVEGATE_DEPLOY__SQLITE_*`. */
export const STATE_SQLITE_NAMES: SqliteNames = {
  database: 'SQLite state database',
  path: 'LIVEGATE_DEPLOY__SQLITE_PATH (the sqlitePath option)',
  key: 'LIVEGATE_DEPLOY__SQLITE_KEY',
  encrypted: 'LIVEGATE_DEPLOY__SQLITE_ENCRYPTED',
};

export interface SqliteDatabaseOptions {
  /** The database file. */
  path: string;
  /** Encrypt with SQLCipher (default `true`). */
  encrypted?: boolean;
  /** Explicit SQLCipher key; wins over the key file and the keyring. */
  key?: string;
  /** Where keys may be kept besides the key file; `null` never uses a keyring. */
  keyring: SqliteKeyring | null;
  busyTimeoutMs?: number;
  /** How errors name the database and its settings. Default `STATE_SQLITE_NAMES`. */
  names?: SqliteNames;
  /**
   * Brings the schema up to date once the database is open. Default: the state backend's schema;
   * `null` for a database whose schema someone else manages (the user store's migrations).
   */
  migrate?: ((connection: Connection) => void) | null;
}

function loadDriver(): typeof BetterSqlite3 {
  // Loaded when a SQLite backend is created, so that apps on another backend never load the
  // native module (nor need it installed).
  return loadOptionalPackage<typeof BetterSqlite3>(
    'better-sqlite3-multiple-ciphers',
    'The sqlite state backend',
  );
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * The state error a failed SQLite call stands for. Locks are `StateBackendBusyError`, a full disk
 * or page limit `StateStorageFullError`, everything else from SQLite `StateBackendUnavailableError`;
 * state errors and programming errors pass through.
 */
export function toStateError(error: unknown, connection?: Connection): unknown {
  if (error instanceof StateError) {
    return error;
  }
  const code = sqliteCode(error);
  if (code === undefined) {
    if (connection !== undefined && !connection.open) {
      return new StateBackendUnavailableError('The SQLite state database is closed', {
        cause: error,
      });
    }
    return error;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StateBackendBusyError(
      'The SQLite state database is locked by another connection or process; nothing was written',
      { cause: error },
    );
  }
  if (code === 'SQLITE_FULL') {
    return new StateStorageFullError(
      'The SQLite state database is full (disk full or page limit reached); the write was rolled back',
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StateConflictError('The item was written concurrently by another process', {
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StateBackendUnavailableError('The SQLite state database is corrupt', {
      cause: error,
    });
  }
  // The driver's text stays in the cause: the message may reach clients, and the code says enough.
  return new StateBackendUnavailableError(`The SQLite state database failed (${code})`, {
    cause: error,
  });
}

function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw error;
  }
}

/**
 * Linux filesystems that hold no ordinary files (statfs `f_type`): a database there cannot work,
 * and some of them answer `mkdir` in ways that make a recursive `mkdir` loop forever.
 */
const SPECIAL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x958458f6, 'hugetlbfs'],
  [0x6e736673, 'nsfs'],
]);

/** The boot error for a database path that cannot work, naming where the path came from. */
function unusablePath(
  names: SqliteNames,
  path: string,
  reason: string,
  cause?: unknown,
): StateConfigurationError {
  return new StateConfigurationError(
    `${names.path} cannot be used: ${path} ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

function errorCode(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' ? code : String(message ?? error);
}

/** The first problem `quick_check` reports, on one line and at most 200 characters. */
function firstProblem(check: unknown): string {
  const lines = String(check)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\*\*\* in database \w+ \*\*\*$/.test(line));
  const first = lines[0] ?? String(check).trim();
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}

/** What kind of file `stats` describes, for the error message. */
function fileKind(stats: Stats): string {
  const kinds: [boolean, string][] = [
    [stats.isFile(), 'a file'],
    [stats.isDirectory(), 'a directory'],
    [stats.isFIFO(), 'a named pipe (FIFO)'],
    [stats.isCharacterDevice(), 'a character device'],
    [stats.isBlockDevice(), 'a block device'],
    [stats.isSocket(), 'a socket'],
    [stats.isSymbolicLink(), 'a symbolic link'],
  ];
  return kinds.find(([matches]) => matches)?.[1] ?? 'not a regular file';
}

/** The name of the special filesystem `directory` is on, or `null` for an ordinary one. */
function specialFilesystemOf(directory: string): string | null {
  if (process.platform !== 'linux') {
    return null;
  }
  try {
    return SPECIAL_FILESYSTEMS.get(Number(statfsSync(directory).type)) ?? null;
  } catch {
    return null;
  }
}

/**
 * Makes sure the database's directory exists (created owner-only) on an ordinary filesystem and
 * can be written, without ever opening anything: every failure is a `StateConfigurationError`
 * that names the variable. Directories are made one by one, because a recursive `mkdir` under
 * /proc never returns.
 */
function prepareDirectory(path: string, names: SqliteNames): void {
  const directory = dirname(path);
  const missing: string[] = [];
  let existing = directory;
  for (;;) {
    let stats: Stats | null = null;
    try {
      stats = statSync(existing);
    } catch (error) {
      const code = errorCode(error);
      // ENOTDIR: some component above is a file; walking up finds it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw unusablePath(
          names,
          path,
          `cannot be reached: ${existing} cannot be read (${code})`,
          error,
        );
      }
    }
    if (stats) {
      if (!stats.isDirectory()) {
        throw unusablePath(
          names,
          path,
          `is under ${existing}, which is ${fileKind(stats)}, not a directory`,
        );
      }
      break;
    }
    const parent = dirname(existing);
    missing.unshift(existing);
    if (parent === existing) {
      break;
    }
    existing = parent;
  }
  const filesystem = specialFilesystemOf(existing);
  if (filesystem !== null) {
    throw unusablePath(
      names,
      path,
      `is on a ${filesystem} filesystem (${existing}), which cannot hold a database file`,
    );
  }
  for (const parent of missing) {
    try {
      mkdirSync(parent, { mode: 0o700 });
    } catch (error) {
      if (errorCode(error) === 'EEXIST' && statOrNull(parent)?.isDirectory()) {
        continue;
      }
      throw unusablePath(
        names,
        path,
        `cannot be created: making its directory ${parent} failed (${errorCode(error)})`,
        error,
      );
    }
  }
  try {
    accessSync(directory, fsConstants.W_OK | fsConstants.X_OK);
  } catch (error) {
    throw unusablePath(
      names,
      path,
      `is in ${directory}, which this process cannot write to (${errorCode(error)})`,
      error,
    );
  }
}

/**
 * Checks the database file and the files SQLite and the key loader open beside it, before any of
 * them is opened: each must be missing or a regular file that can be read and written. A named
 * pipe among them would block the boot forever in `open`.
 */
function checkDatabaseFiles(path: string, names: SqliteNames): Stats | null {
  let stats: Stats | null = null;
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}.key`]) {
    let fileStats: Stats | null;
    try {
      fileStats = statOrNull(file);
    } catch (error) {
      throw unusablePath(
        names,
        path,
        `cannot be used: ${file} cannot be read (${errorCode(error)})`,
        error,
      );
    }
    if (fileStats && !fileStats.isFile()) {
      throw unusablePath(
        names,
        path,
        file === path
          ? `is ${fileKind(fileStats)}, not a database file`
          : `has ${file} beside it, which is ${fileKind(fileStats)}, not a regular file`,
      );
    }
    if (fileStats) {
      try {
        accessSync(file, fsConstants.R_OK | (file.endsWith('.key') ? 0 : fsConstants.W_OK));
      } catch (error) {
        throw unusablePath(
          names,
          path,
          `cannot be used: this process cannot ${file.endsWith('.key') ? 'read' : 'read and write'} ${file} (${errorCode(error)})`,
          error,
        );
      }
    }
    if (file === path) {
      stats = fileStats;
    }
  }
  return stats;
}

function readHeader(path: string): Buffer {
  const header = Buffer.alloc(16);
  const descriptor = openSync(path, 'r');
  try {
    return header.subarray(0, readSync(descriptor, header, 0, 16, 0));
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Keys a connection with SQLCipher. Refuses to go on when the driver has no SQLCipher support, so
 * a missing cipher can never leave a database unencrypted.
 */
export function applyKey(
  connection: Pick<Connection, 'pragma' | 'key'>,
  key: string,
  names: SqliteNames = STATE_SQLITE_NAMES,
): void {
  connection.pragma(`cipher = 'sqlcipher'`);
  if (connection.pragma('cipher', { simple: true }) !== 'sqlcipher') {
    throw new StateConfigurationError(
      `This build of better-sqlite3-multiple-ciphers cannot encrypt with SQLCipher; the ` +
        `${names.database} will not be opened unencrypted (set ${names.encrypted}=false ` +
        'only if an unencrypted database is really wanted)',
    );
  }
  connection.key(Buffer.from(key, 'utf8'));
}

/**
 * The one SQLite connection of a backend, shared by its stores: SQLCipher-encrypted unless told
 * otherwise, WAL mode, a short busy timeout. `read` and `write` run store code against it and turn
 * SQLite failures into state errors; `write` holds the write lock for the whole change, so a
 * failure rolls back everything it did.
 */
export class SqliteDatabase {
  private readonly begin: BetterSqlite3.Statement;
  private readonly commit: BetterSqlite3.Statement;
  private readonly rollback: BetterSqlite3.Statement;

  private constructor(
    readonly connection: Connection,
    readonly path: string,
    readonly encrypted: boolean,
    readonly keySource: SqliteKeySource | null,
  ) {
    this.begin = connection.prepare('BEGIN IMMEDIATE');
    this.commit = connection.prepare('COMMIT');
    this.rollback = connection.prepare('ROLLBACK');
  }

  /**
   * Opens (or creates) the database file. An existing file is first checked through a read-only
   * connection, so a wrong key, a missing key or a corrupt file stops here with a
   * `StateConfigurationError` and leaves the file byte for byte as it was.
   */
  static open(options: SqliteDatabaseOptions): SqliteDatabase {
    const path = resolve(options.path);
    const names = options.names ?? STATE_SQLITE_NAMES;
    const encrypted = options.encrypted ?? true;
    const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    if (!encrypted && options.key !== undefined) {
      throw new StateConfigurationError(
        `A SQLite key is set but encryption is turned off (${names.encrypted}=false); ` +
          'remove one of the two',
      );
    }
    const Driver = loadDriver();

    prepareDirectory(path, names);
    const stats = checkDatabaseFiles(path, names);
    const resolvedKey = encrypted
      ? resolveSqliteKey({
          databasePath: path,
          explicitKey: options.key,
          keyring: options.keyring,
          databaseExists: stats !== null,
          keySetting: options.names ? names.key : undefined,
        })
      : null;
    const key = resolvedKey?.key;

    if (stats) {
      SqliteDatabase.verifyExisting(Driver, path, key, busyTimeoutMs, names);
    } else {
      // Created here so that it is owner-only from the start; the WAL files inherit its mode.
      try {
        closeSync(openSync(path, 'wx', 0o600));
      } catch (error) {
        throw unusablePath(names, path, `cannot be created (${errorCode(error)})`, error);
      }
    }

    let connection: Connection | undefined;
    try {
      connection = new Driver(path, { fileMustExist: true, timeout: busyTimeoutMs });
      if (key !== undefined) {
        applyKey(connection, key, names);
      }
      if (connection.pragma('journal_mode = WAL', { simple: true }) !== 'wal') {
        throw new StateConfigurationError(`The ${names.database} ${path} cannot use WAL mode`);
      }
      // In WAL mode a commit survives a crash of the process; only a power cut may lose the
      // last commits (never the database), which is worth skipping an fsync per write.
      connection.pragma('synchronous = NORMAL');
      connection.pragma('foreign_keys = ON');
      const migrate = options.migrate === undefined ? migrateSchema : options.migrate;
      migrate?.(connection);
      if (encrypted && readHeader(path).equals(PLAINTEXT_HEADER)) {
        throw new StateConfigurationError(
          `The ${names.database} ${path} was written unencrypted; refusing to use it`,
        );
      }
      return new SqliteDatabase(connection, path, encrypted, resolvedKey?.source ?? null);
    } catch (error) {
      connection?.close();
      if (!stats) {
        // Nothing was ever stored in a file created just now: leave no half-made database.
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          rmSync(file, { force: true });
        }
      }
      throw SqliteDatabase.openError(error, path, encrypted, names);
    }
  }

  /** Checks an existing file read-only: the right kind, the key, and every page. */
  private static verifyExisting(
    Driver: typeof BetterSqlite3,
    path: string,
    key: string | undefined,
    busyTimeoutMs: number,
    names: SqliteNames,
  ): void {
    const header = readHeader(path);
    const plaintext = header.equals(PLAINTEXT_HEADER);
    if (key !== undefined && plaintext) {
      throw new StateConfigurationError(
        `The ${names.database} ${path} is not encrypted. Refusing to open it with a key; set ` +
          `${names.encrypted}=false to use it unencrypted. The file was left unchanged.`,
      );
    }
    if (key === undefined && header.length > 0 && !plaintext) {
      throw new StateConfigurationError(
        `The ${names.database} ${path} is encrypted or is not an SQLite database, and ` +
          `encryption is turned off (${names.encrypted}=false). The file was left unchanged.`,
      );
    }
    const sideFiles = [`${path}-wal`, `${path}-shm`];
    const existingSideFiles = sideFiles.filter((file) => statOrNull(file) !== null);
    let probe: Connection | undefined;
    try {
      probe = new Driver(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      if (key !== undefined) {
        applyKey(probe, key, names);
      }
      probe.prepare('SELECT count(*) FROM sqlite_schema').get();
      const check = probe.pragma('quick_check', { simple: true });
      if (check !== 'ok') {
        throw new StateConfigurationError(
          `The ${names.database} ${path} is corrupt (${firstProblem(check)}). The file was left unchanged.`,
        );
      }
    } catch (error) {
      probe?.close();
      probe = undefined;
      // A read-only connection to a WAL database leaves an empty WAL and a shared-memory file
      // behind; remove the ones it created, so that a refused start leaves the directory as it was.
      for (const file of sideFiles) {
        const stats = existingSideFiles.includes(file) ? null : statOrNull(file);
        if (stats && (file.endsWith('-shm') || stats.size === 0)) {
          rmSync(file, { force: true });
        }
      }
      throw SqliteDatabase.openError(error, path, key !== undefined, names);
    } finally {
      probe?.close();
    }
  }

  private static openError(
    error: unknown,
    path: string,
    encrypted: boolean,
    names: SqliteNames,
  ): unknown {
    if (error instanceof StateError) {
      return error;
    }
    const code = sqliteCode(error);
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
      return new StateConfigurationError(
        encrypted
          ? `The ${names.database} ${path} cannot be opened: the key does not match or the ` +
              `file is corrupt (${code}). Check ${names.key} or the key file ` +
              `${path}.key. The file was left unchanged.`
          : `The ${names.database} ${path} is corrupt or not an SQLite database (${code}). ` +
              `The file was left unchanged.`,
        { cause: error },
      );
    }
    if (code !== undefined) {
      const mapped = toStateError(error);
      if (mapped instanceof StateError) {
        return new StateConfigurationError(
          `The ${names.database} ${path} cannot be opened: ${mapped.message}`,
          { cause: error },
        );
      }
    }
    return new StateConfigurationError(
      `The ${names.database} ${path} cannot be opened: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }

  /** Runs reads; SQLite failures become state errors. */
  read<T>(work: () => T): T {
    this.assertOpen();
    try {
      return work();
    } catch (error) {
      throw toStateError(error, this.connection);
    }
  }

  /**
   * Runs `work` in one write transaction, taking the write lock first so that a lock held by
   * another process fails before anything is written. Any failure rolls everything back.
   */
  write<T>(work: () => T): T {
    this.assertOpen();
    try {
      this.begin.run();
    } catch (error) {
      throw toStateError(error, this.connection);
    }
    try {
      const result = work();
      this.commit.run();
      return result;
    } catch (error) {
      if (this.connection.inTransaction) {
        try {
          this.rollback.run();
        } catch {
          // SQLite may have rolled back already (a full disk does); nothing is left to undo.
        }
      }
      throw toStateError(error, this.connection);
    }
  }

  get open(): boolean {
    return this.connection.open;
  }

  /** Closes the connection (checkpointing the WAL into the file). Idempotent. */
  close(): void {
    if (this.connection.open) {
      this.connection.close();
    }
  }

  private assertOpen(): void {
    if (!this.connection.open) {
      throw new StateBackendUnavailableError('The SQLite state database is closed');
    }
  }
}
