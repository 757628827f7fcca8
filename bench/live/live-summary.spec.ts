import type { WorkerEventTiming } from './live-protocol';
import { grantSteps, livePercentiles, workerMemory, type GrantSample } from './live-summary';

const sample = (user: string, version: number, t0: number): GrantSample => ({
  user,
  version,
  t0,
  done: t0 + 1.5,
  steps: {
    row: [t0, t0 + 1],
    readRow: [t0, t0 + 0.25],
    sessions: [t0 + 1, t0 + 1.25],
    publish: [t0 + 1.25, t0 + 1.5],
  },
  lastTab: t0 + 3,
});

const event = (
  userId: string,
  version: number,
  receivedAt: number,
  handledAt: number,
  kind: WorkerEventTiming['kind'] = 'update',
): WorkerEventTiming => ({ userId, kind, version, receivedAt, handledAt, renderMs: 0.125 });

describe('live bench summaries', () => {
  it('takes nearest-rank percentiles and the worst of the samples', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(livePercentiles(values)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(livePercentiles([])).toMatchObject({ count: 0, p50: NaN, max: NaN });
  });

  it('splits each grant into worker A’s steps, the hop to each worker, the handling and the sockets', () => {
    const steps = grantSteps(
      [sample('u1', 3, 1000), sample('u2', 5, 2000)],
      [event('u1', 3, 1001.75, 1002), event('u2', 5, 2001.75, 2002)],
      // A revocation with the same user and version is not the update's record.
      [
        event('u1', 3, 1001.5, 1002.5),
        event('u2', 5, 2001.5, 2002.5),
        event('u2', 5, 2009, 2010, 'revoke'),
      ],
    );
    expect(steps.row.p50).toBe(1);
    expect(steps.rowWrite.p50).toBe(0.75);
    expect(steps.sessions.p50).toBe(0.25);
    expect(steps.call.p50).toBe(1.5);
    // From the publish's start (t0 + 1.25).
    expect(steps.toWorker.a.p50).toBe(0.5);
    expect(steps.toWorker.b.p50).toBe(0.25);
    expect(steps.handling.a.p50).toBe(0.25);
    expect(steps.handling.b.p50).toBe(1);
    expect(steps.render).toMatchObject({ count: 4, p50: 0.125 });
    // From the later worker's handling (t0 + 2.5) to the last tab (t0 + 3).
    expect(steps.toLastTab.p50).toBe(0.5);
    expect(steps.unmatched).toBe(0);
  });

  it('counts grants one worker has no record of as unmatched, and leaves them out of the hops', () => {
    const steps = grantSteps(
      [sample('u1', 3, 1000), sample('u1', 4, 2000)],
      [event('u1', 3, 1001.75, 1002), event('u1', 4, 2001.75, 2002)],
      [event('u1', 3, 1001.5, 1002.5)],
    );
    expect(steps.unmatched).toBe(1);
    expect(steps.toWorker.a.count).toBe(1);
    expect(steps.row.count).toBe(2);
  });

  it('divides what the tabs added by the tabs a worker gained, in KiB', () => {
    const before = { heapUsed: 1000, external: 100, arrayBuffers: 10, rss: 5000, sockets: 0 };
    const after = {
      heapUsed: 1000 + 4 * 2048,
      external: 100 + 4 * 1024,
      arrayBuffers: 10,
      rss: 5000 + 4 * 4096,
      sockets: 4,
    };
    expect(workerMemory('A', before, after)).toMatchObject({
      worker: 'A',
      sockets: 4,
      perTabKiB: { heapUsed: 2, heapUsedAndExternal: 3, rss: 4 },
    });
    expect(workerMemory('B', before, before).perTabKiB.heapUsed).toBeNaN();
  });
});
