import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's data folder: `LIVEGATE_DEMO_DATA_DIR`, or `.demo-data` in the folder it is started
 * from. The SQLite user store (and its key file) and the development token secret live there
 * unless LIVEGATE_LIVE_AUTH__SQLITE_PATH and LIVEGATE_DEPLOY__TOKEN_SECRET say otherwise.
 */
export function demoDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIVEGATE_DEMO_DATA_DIR?.trim() || join(process.cwd(), '.demo-data');
}

/** The file of the development token secret, in the data folder. */
export const TOKEN_SECRET_FILE = 'token-secret';

/** A development secret as this file writes it: 32 random bytes, base64url (43 characters). */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** How long a start waits for another start that is writing the secret file at that moment. */
const CONCURRENT_WRITE_WAIT_MS = 2000;

/** Thrown when the demo cannot have a token secret; `main.ts` prints it and exits with 1. */
export class DemoConfigurationError extends Error {
  override readonly name = 'DemoConfigurationError';
}

/** Whether this is a production run (`NODE_ENV=production`). */
export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV?.trim() === 'production';
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The token secret of a development run without `LIVEGATE_DEPLOY__TOKEN_SECRET`: read from the
 * data folder, or made there once (32 random bytes, base64url, mode 0600) and kept across
 * restarts, so that sessions survive a restart and every worker started on the same folder
 * (`npm run demo:cluster`) signs with the same key. The file is created with an exclusive open:
 * of two starts at once one writes it and the other reads what the first wrote. A file that
 * others may read, or that holds something else than such a secret, stops the start.
 */
export function developmentTokenSecret(directory: string): string {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const path = join(directory, TOKEN_SECRET_FILE);
  const secret = randomBytes(32).toString('base64url');
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new DemoConfigurationError(
        `Cannot create the development token secret ${path}: ${(error as Error).message}`,
      );
    }
  }
  if (descriptor !== undefined) {
    try {
      writeSync(descriptor, `${secret}\n`);
      // The umask may have narrowed the mode; nothing may have widened it.
      if ((fstatSync(descriptor).mode & 0o077) !== 0) {
        throw new DemoConfigurationError(`${path} was created readable by others`);
      }
    } finally {
      closeSync(descriptor);
    }
    return secret;
  }
  return readSecret(path);
}

function readSecret(path: string): string {
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new DemoConfigurationError(
      `The development token secret ${path} may be read by other users: run chmod 600 on it ` +
        '(or delete it to make a new one, which signs everyone out)',
    );
  }
  const deadline = Date.now() + CONCURRENT_WRITE_WAIT_MS;
  for (;;) {
    const text = readFileSync(path, 'utf8').trim();
    if (SECRET_PATTERN.test(text)) {
      return text;
    }
    // Empty: another start has just created the file and is writing it.
    if (text !== '' || Date.now() > deadline) {
      throw new DemoConfigurationError(
        `${path} does not hold a development token secret (43 base64url characters): delete it ` +
          'to make a new one, or set LIVEGATE_DEPLOY__TOKEN_SECRET',
      );
    }
    sleepSync(20);
  }
}
