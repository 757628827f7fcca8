import { availableParallelism } from 'node:os';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { StateValidationError } from '@livegate/state';

/** OWASP's Argon2id parameters (m=19456 KiB, t=2, p=1): the floor; stronger ones may be set. */
export const ARGON2ID_MINIMUM = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export interface PasswordHasherOptions {
  memoryCost?: number;
  timeCost?: number;
  parallelism?: number;
  /** Hashes computed at once; the others wait. Default: the machine's cores. */
  concurrency?: number;
}

/** A password as it is hashed: NFKC-normalized, 8 to 1024 characters, checked before any hashing. */
export function parsePassword(value: unknown): string {
  if (typeof value !== 'string') {
    throw new StateValidationError('password', 'must be a string');
  }
  const password = value.normalize('NFKC');
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new StateValidationError(
      'password',
      `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`,
    );
  }
  return password;
}

/**
 * Argon2id through `@node-rs/argon2` (on libuv's thread pool, off the event loop), with at most
 * `concurrency` hashes at a time, so that a burst of logins queues instead of starving every other
 * request. `verifyOrDummy` spends the same work on an unknown user as on a known one.
 */
export class PasswordHasher {
  private readonly parameters: { memoryCost: number; timeCost: number; parallelism: number };
  private readonly concurrency: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummy: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions = {}) {
    this.parameters = {
      memoryCost: options.memoryCost ?? ARGON2ID_MINIMUM.memoryCost,
      timeCost: options.timeCost ?? ARGON2ID_MINIMUM.timeCost,
      parallelism: options.parallelism ?? ARGON2ID_MINIMUM.parallelism,
    };
    for (const [name, floor] of Object.entries(ARGON2ID_MINIMUM)) {
      if (this.parameters[name as keyof typeof ARGON2ID_MINIMUM] < floor) {
        throw new StateValidationError(
          name,
          `must be at least ${floor} (OWASP's Argon2id minimum)`,
        );
      }
    }
    this.concurrency = options.concurrency ?? Math.max(1, availableParallelism());
  }

  /** The hash unknown users are verified against: made once, before the first one needs it. */
  private dummyHash(): Promise<string> {
    this.dummy ??= hash(`livegate-dummy-${Math.random()}-${Date.now()}`, {
      ...this.parameters,
      algorithm: 2,
    });
    return this.dummy;
  }

  /**
   * Makes the dummy hash now, so that the first unknown user after a start costs no more than a
   * wrong password does (the module calls it at boot).
   */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  /** The PHC string of a password (`$argon2id$v=19$m=...`). */
  async hash(password: string): Promise<string> {
    const checked = parsePassword(password);
    return this.limited(() => hash(checked, { ...this.parameters, algorithm: 2 }));
  }

  /** Whether `password` matches `stored`; a malformed hash is `false`, never an exception. */
  async verify(stored: string, password: string): Promise<boolean> {
    const checked = parsePassword(password);
    return this.limited(async () => {
      try {
        return await verify(stored, checked);
      } catch {
        return false;
      }
    });
  }

  /**
   * Verifies against `stored`, or, for a user that does not exist or has no password, against a
   * hash of a random password: the answer is `false` after the same work.
   */
  async verifyOrDummy(stored: string | null | undefined, password: string): Promise<boolean> {
    if (stored) {
      return this.verify(stored, password);
    }
    await this.verify(await this.dummyHash(), password);
    return false;
  }

  /** Whether a stored hash is weaker than the configured parameters (or not Argon2id at all). */
  needsRehash(stored: string): boolean {
    try {
      const parsed = parseOptions(stored);
      return (
        !stored.startsWith('$argon2id$') ||
        parsed.memoryCost < this.parameters.memoryCost ||
        parsed.timeCost < this.parameters.timeCost ||
        parsed.parallelism < this.parameters.parallelism
      );
    } catch {
      return true;
    }
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      // The slot is handed over by the hash that finishes: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        next();
      } else {
        this.running -= 1;
      }
    }
  }

  /** Hashes running now and waiting, for tests and metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
