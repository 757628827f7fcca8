import { StateConflictError, StateNotFoundError, StateValidationError } from '../state.errors';
import type { ContractFactory, ContractSubject, ContractTtls } from './contract.types';
import { sleep } from './wait';

/**
 * How far a store's timestamp may sit outside the window measured around the call. Generous enough
 * for a loaded machine or a backend round trip, far tighter than any TTL the suites use, and
 * tight enough to catch seconds stored as milliseconds.
 */
export const CLOCK_SLACK_MS = 500;

/**
 * Registers `beforeEach`/`afterEach` hooks in the current `describe` block that build a fresh
 * subject with `ttls` and tear it down; returns an accessor for the store of the running test.
 */
export function useContractSubject<T>(factory: ContractFactory<T>, ttls: ContractTtls): () => T {
  let subject: ContractSubject<T> | undefined;
  beforeEach(async () => {
    subject = await factory({ ...ttls });
  });
  afterEach(async () => {
    const current = subject;
    subject = undefined;
    await current?.teardown();
  });
  return () => {
    if (!subject) {
      throw new Error('The contract subject is only available inside a test');
    }
    return subject.store;
  };
}

/**
 * Runs `action` and returns what its promise rejected with. Fails when it resolves, and when it
 * throws synchronously: every store method reports errors through its promise.
 */
export async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = action();
  } catch (error) {
    throw new Error(`Expected a rejected promise, but the call threw synchronously: ${error}`);
  }
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the call to reject, but it resolved');
}

export async function expectValidationError(action: () => Promise<unknown>): Promise<void> {
  const error = await rejectionOf(action);
  expect(error).toBeInstanceOf(StateValidationError);
  expect((error as StateValidationError).code).toBe('invalid_input');
}

export async function expectConflictError(action: () => Promise<unknown>): Promise<void> {
  const error = await rejectionOf(action);
  expect(error).toBeInstanceOf(StateConflictError);
  expect((error as StateConflictError).code).toBe('conflict');
}

export async function expectNotFoundError(action: () => Promise<unknown>): Promise<void> {
  const error = await rejectionOf(action);
  expect(error).toBeInstanceOf(StateNotFoundError);
  expect((error as StateNotFoundError).code).toBe('not_found');
}

/** Asserts a millisecond timestamp lies in `[earliest, latest]`, give or take the clock slack. */
export function expectTimeWithin(value: unknown, earliest: number, latest: number): void {
  expect(typeof value).toBe('number');
  expect(value as number).toBeGreaterThanOrEqual(earliest - CLOCK_SLACK_MS);
  expect(value as number).toBeLessThanOrEqual(latest + CLOCK_SLACK_MS);
}

/** Passes a value the type system would refuse, to test runtime validation. */
export function unchecked<T>(value: unknown): T {
  return value as T;
}

/** TTLs (seconds) of the suites' ordinary tests: long enough never to expire during a test. */
export const DEFAULT_CONTRACT_TTLS: Readonly<ContractTtls> = Object.freeze({
  widgetTtl: 120,
  connectionTtl: 90,
  sessionTtl: 600,
});

/** TTLs (seconds) of the expiry tests. */
export const SHORT_CONTRACT_TTLS: Readonly<ContractTtls> = Object.freeze({
  widgetTtl: 0.4,
  connectionTtl: 0.4,
  sessionTtl: 0.4,
});

/** Sleeps until the wall clock has passed `time` (milliseconds since the epoch). */
export async function sleepUntilPast(time: number): Promise<void> {
  const remaining = time - Date.now();
  if (remaining >= 0) {
    await sleep(remaining + 1);
  }
}
