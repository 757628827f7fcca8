import { StateConflictError } from '../state.errors';
import type { TransientStore } from '../transient/transient-store';
import { MAX_TRANSIENT_VALUE_BYTES } from '../transient/transient.validation';
import {
  DEFAULT_CONTRACT_TTLS,
  expectValidationError,
  rejectionOf,
  sleepUntilPast,
  unchecked,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';

/** Seconds a short-lived value lives in the expiry tests. */
const SHORT = 0.3;

/**
 * The behaviour every transient store shares: values with their own lifetimes, `add` for the
 * first caller only, `take` for one caller only (also when many ask at once), counters that keep
 * the expiry of their first count, and the usual input rules.
 */
export function describeTransientStoreContract(
  backendName: string,
  factory: ContractFactory<TransientStore>,
): void {
  describe(`TransientStore contract (${backendName})`, () => {
    const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);

    it('sets, replaces, reads and deletes a value', async () => {
      const store = subject();
      expect(await store.get('k')).toBeNull();
      await store.set('k', 'one', 60);
      expect(await store.get('k')).toBe('one');
      await store.set('k', 'two', 60);
      expect(await store.get('k')).toBe('two');
      expect(await store.delete('k')).toBe(true);
      expect(await store.delete('k')).toBe(false);
      expect(await store.get('k')).toBeNull();
    });

    it('adds a value only where none is live, leaving the first one as it was', async () => {
      const store = subject();
      expect(await store.add('jti', 'first', 60)).toBe(true);
      expect(await store.add('jti', 'second', 60)).toBe(false);
      expect(await store.get('jti')).toBe('first');
      await store.delete('jti');
      expect(await store.add('jti', 'third', 60)).toBe(true);
    });

    it('takes a value once: read and deleted in one step', async () => {
      const store = subject();
      await store.set('tx', '{"state":"s"}', 60);
      expect(await store.take('tx')).toBe('{"state":"s"}');
      expect(await store.take('tx')).toBeNull();
      expect(await store.get('tx')).toBeNull();
    });

    it('gives a value to one of many concurrent takes, and a key to one of many concurrent adds', async () => {
      const store = subject();
      await store.set('race', 'value', 60);
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take('race')));
      expect(taken.filter((value) => value !== null)).toEqual(['value']);
      const added = await Promise.all(
        Array.from({ length: 20 }, (_, index) => store.add('once', `caller-${index}`, 60)),
      );
      expect(added.filter(Boolean)).toHaveLength(1);
    });

    it('counts from 1, keeping the expiry of the first count', async () => {
      const store = subject();
      const started = Date.now();
      expect(await store.increment('attempts', SHORT)).toBe(1);
      expect(await store.increment('attempts', 3600)).toBe(2);
      expect(await store.increment('attempts', 3600)).toBe(3);
      await sleepUntilPast(started + SHORT * 1000 + 100);
      expect(await store.increment('attempts', 60)).toBe(1);
    });

    it('counts concurrent increments one by one', async () => {
      const store = subject();
      const counts = await Promise.all(
        Array.from({ length: 25 }, () => store.increment('parallel', 60)),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
    });

    it('refuses to increment a key that holds a value, changing nothing', async () => {
      const store = subject();
      await store.set('text', 'not a number', 60);
      const error = await rejectionOf(() => store.increment('text', 60));
      expect(error).toBeInstanceOf(StateConflictError);
      expect(await store.get('text')).toBe('not a number');
    });

    it('hides a value past its lifetime from every call, and frees its key', async () => {
      const store = subject();
      const started = Date.now();
      await store.set('short', 'v', SHORT);
      await store.add('short-add', 'v', SHORT);
      expect(await store.get('short')).toBe('v');
      await sleepUntilPast(started + SHORT * 1000 + 100);
      expect(await store.get('short')).toBeNull();
      expect(await store.take('short')).toBeNull();
      expect(await store.delete('short')).toBe(false);
      expect(await store.add('short-add', 'again', 60)).toBe(true);
      expect(await store.get('short-add')).toBe('again');
    });

    it('keeps keys apart, including ones that look like patterns', async () => {
      const store = subject();
      const keys = ['a', 'a*', 'a?', '[a]', 'a:b', 'a/b', 'ä', 'a b'];
      for (const [index, key] of keys.entries()) {
        await store.set(key, String(index), 60);
      }
      for (const [index, key] of keys.entries()) {
        expect(await store.get(key)).toBe(String(index));
      }
    });

    it.each([
      ['an empty key', '', 'v', 60],
      ['a control character in the key', 'a\u0000b', 'v', 60],
      ['a lone surrogate in the key', 'a\ud800', 'v', 60],
      ['a value that is not a string', 'k', 42, 60],
      ['a value over the size cap', 'k', 'x'.repeat(MAX_TRANSIENT_VALUE_BYTES + 1), 60],
      ['a zero lifetime', 'k', 'v', 0],
      ['a negative lifetime', 'k', 'v', -1],
      ['a lifetime that is not a number', 'k', 'v', '60'],
      ['an infinite lifetime', 'k', 'v', Infinity],
    ])('refuses %s on set and add, writing nothing', async (_label, key, value, ttl) => {
      const store = subject();
      await expectValidationError(() =>
        store.set(unchecked(key), unchecked(value), unchecked(ttl)),
      );
      await expectValidationError(() =>
        store.add(unchecked(key), unchecked(value), unchecked(ttl)),
      );
      if (typeof key === 'string' && key === 'k') {
        expect(await store.get('k')).toBeNull();
      }
    });

    it('refuses malformed keys and lifetimes on every other call', async () => {
      const store = subject();
      for (const key of ['', 'a\u0000b', 'a\u202eb', 42]) {
        await expectValidationError(() => store.get(unchecked(key)));
        await expectValidationError(() => store.take(unchecked(key)));
        await expectValidationError(() => store.delete(unchecked(key)));
        await expectValidationError(() => store.increment(unchecked(key), 60));
      }
      await expectValidationError(() => store.increment('k', 0));
      expect(await store.get('k')).toBeNull();
    });
  });
}
