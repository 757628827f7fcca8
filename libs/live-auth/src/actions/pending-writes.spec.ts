import { StateBackendUnavailableError, StateValidationError } from '@livegate/state';
import { PENDING_RETRY_MS, PendingWrites } from './pending-writes';

const unavailable = () =>
  new StateBackendUnavailableError('The Redis state backend is unavailable');

describe('PendingWrites', () => {
  let pending: PendingWrites;

  beforeEach(() => {
    pending = new PendingWrites();
  });

  afterEach(() => {
    pending.close();
  });

  const until = async (test: () => boolean) => {
    const deadline = Date.now() + 3000;
    while (!test() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(test()).toBe(true);
  };

  it('runs a write at once when the backend answers', async () => {
    const done: string[] = [];
    expect(await pending.attempt('a', async () => void done.push('a'), 60_000)).toBe(true);
    expect(done).toEqual(['a']);
    expect(pending.size).toBe(0);
  });

  it('keeps writes that failed while the backend was away and runs them in order once it is back', async () => {
    let down = true;
    const done: string[] = [];
    const write = (name: string) => async () => {
      if (down) {
        throw unavailable();
      }
      done.push(name);
    };
    expect(await pending.attempt('first', write('first'), 60_000)).toBe(false);
    // A later write queues behind the earlier one even if it could run now.
    expect(await pending.attempt('second', write('second'), 60_000)).toBe(false);
    expect(pending.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, PENDING_RETRY_MS * 2));
    expect(done).toEqual([]);
    down = false;
    await until(() => done.length === 2);
    expect(done).toEqual(['first', 'second']);
    expect(pending.size).toBe(0);
  });

  it('passes other errors to the caller and keeps nothing', async () => {
    await expect(
      pending.attempt(
        'bad',
        async () => {
          throw new StateValidationError('claims', 'bad');
        },
        60_000,
      ),
    ).rejects.toBeInstanceOf(StateValidationError);
    expect(pending.size).toBe(0);
  });

  it('gives up on a write whose deadline passed', async () => {
    let calls = 0;
    await pending.attempt(
      'short-lived',
      async () => {
        calls += 1;
        throw unavailable();
      },
      PENDING_RETRY_MS,
    );
    await until(() => pending.size === 0);
    expect(calls).toBeGreaterThanOrEqual(1);
  });
});
