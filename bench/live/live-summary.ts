import { quantile } from '../support/stats';
import type { MemorySnapshot, StepMarks, WorkerEventTiming } from './live-protocol';

/** Milliseconds over samples: nearest-rank percentiles and the worst. */
export interface LivePercentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function livePercentiles(values: readonly number[]): LivePercentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** One measured grant (or revocation of the claim): worker A's steps and the last tab's receipt. */
export interface GrantSample {
  user: string;
  version: number;
  /** Stamped on worker A just before the `AuthActions` call. */
  t0: number;
  /** When the call returned on worker A. */
  done: number;
  steps: StepMarks;
  /** The last of the user's tabs to get the new version. */
  lastTab: number;
}

/** The steps of the grant path, each over the measured samples (ms). */
export interface GrantSteps {
  /** `UserStore.updateClaims`: read the row, write it with the new version, read it back. */
  row: LivePercentiles;
  /** Of the row: the read (the row, then its identities). */
  readRow: LivePercentiles;
  /** Of the row: the compare-and-set UPDATE, from the end of the read to the end of the row. */
  rowWrite: LivePercentiles;
  /** `SessionStore.updateUserSessions`: every session snapshot, one Redis script. */
  sessions: LivePercentiles;
  /** `AuthChannel.updatePrincipal`: the PUBLISH. */
  publish: LivePercentiles;
  /** The whole `AuthActions` call on worker A. */
  call: LivePercentiles;
  /** From the publish's start until each worker's handler got the event off Redis. */
  toWorker: { a: LivePercentiles; b: LivePercentiles };
  /** Each worker's handling: its 5 tabs' guard, rooms, regions and emits. */
  handling: { a: LivePercentiles; b: LivePercentiles };
  /** Of the handling, time in `AuthRegions.renderAll` (both workers). */
  render: LivePercentiles;
  /** From the later worker's handling done to the last tab's receipt: the sockets. */
  toLastTab: LivePercentiles;
  /** Samples whose event one of the workers did not record. */
  unmatched: number;
}

const span = (marks: StepMarks, step: string) =>
  marks[step] ? marks[step][1] - marks[step][0] : Number.NaN;
const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));

/**
 * Where a grant's time goes: worker A's steps (row, snapshots, publish), the pub/sub hop to each
 * worker, each worker's handling, and the sockets to the last tab, matched to the workers' event
 * records by user and version.
 */
export function grantSteps(
  samples: readonly GrantSample[],
  eventsA: readonly WorkerEventTiming[],
  eventsB: readonly WorkerEventTiming[],
): GrantSteps {
  const index = (events: readonly WorkerEventTiming[]) =>
    new Map(
      events
        .filter((event) => event.kind === 'update')
        .map((event) => [`${event.userId}#${event.version}`, event]),
    );
  const onA = index(eventsA);
  const onB = index(eventsB);
  const toA: number[] = [];
  const toB: number[] = [];
  const handleA: number[] = [];
  const handleB: number[] = [];
  const render: number[] = [];
  const toLastTab: number[] = [];
  let unmatched = 0;
  for (const sample of samples) {
    const key = `${sample.user}#${sample.version}`;
    const a = onA.get(key);
    const b = onB.get(key);
    const published = sample.steps.publish?.[0];
    if (!a || !b || published === undefined) {
      unmatched += 1;
      continue;
    }
    toA.push(a.receivedAt - published);
    toB.push(b.receivedAt - published);
    handleA.push(a.handledAt - a.receivedAt);
    handleB.push(b.handledAt - b.receivedAt);
    render.push(a.renderMs, b.renderMs);
    toLastTab.push(sample.lastTab - Math.max(a.handledAt, b.handledAt));
  }
  const step = (name: string) =>
    livePercentiles(finite(samples.map((sample) => span(sample.steps, name))));
  return {
    row: step('row'),
    readRow: step('readRow'),
    rowWrite: livePercentiles(
      finite(
        samples.map((sample) =>
          sample.steps.row && sample.steps.readRow
            ? sample.steps.row[1] - sample.steps.readRow[1]
            : NaN,
        ),
      ),
    ),
    sessions: step('sessions'),
    publish: step('publish'),
    call: livePercentiles(samples.map((sample) => sample.done - sample.t0)),
    toWorker: { a: livePercentiles(toA), b: livePercentiles(toB) },
    handling: { a: livePercentiles(handleA), b: livePercentiles(handleB) },
    render: livePercentiles(render),
    toLastTab: livePercentiles(toLastTab),
    unmatched,
  };
}

/** A worker's memory before and after the tabs connected, and per tab. */
export interface WorkerMemory {
  worker: string;
  /** Sockets the worker held at the second measure. */
  sockets: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
  /** KiB per connected tab, after gc. */
  perTabKiB: { heapUsed: number; heapUsedAndExternal: number; rss: number };
}

export function workerMemory(
  worker: string,
  before: MemorySnapshot,
  after: MemorySnapshot,
): WorkerMemory {
  const tabs = after.sockets - before.sockets;
  const perTab = (bytes: number) => (tabs > 0 ? bytes / tabs / 1024 : Number.NaN);
  return {
    worker,
    sockets: after.sockets,
    before,
    after,
    perTabKiB: {
      heapUsed: perTab(after.heapUsed - before.heapUsed),
      heapUsedAndExternal: perTab(
        after.heapUsed + after.external - (before.heapUsed + before.external),
      ),
      rss: perTab(after.rss - before.rss),
    },
  };
}
