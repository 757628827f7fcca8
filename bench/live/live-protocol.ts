/**
 * What the live-auth bench's processes share: the page and region the workers serve, the
 * baseline's event, the clock every process stamps with, and the shapes of their answers.
 */

/** The page every bench tab shows, and the region on it that `AdminOnly` gates. */
export const LIVE_BENCH_PAGE = 'live';
export const LIVE_BENCH_REGION = 'admin-panel';
/** The baseline's bare emit to a user's room. */
export const BENCH_PING_EVENT = 'bench:ping';

/**
 * The bench's clock, in ms: `performance.timeOrigin + performance.now()`, the same in every
 * process on the machine (the method of the transport baseline, research §7.3).
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * How far this process's clock is from the monotonic clock the machine's processes share
 * (`process.hrtime`): the difference between two processes' offsets is the error of comparing
 * their stamps.
 */
export function clockOffset(): number {
  return now() - Number(process.hrtime.bigint()) / 1e6;
}

/** What a worker is started with. */
export interface LiveServerConfig {
  workerId: string;
  redisUrl: string;
  databaseUrl: string;
}

/** `process.memoryUsage()` after gc, in bytes, and the sockets the worker held then. */
export interface MemorySnapshot {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  sockets: number;
}

/** Steps of one `AuthActions` call on worker A: [start, end] in the bench clock, by step. */
export type StepMarks = Record<string, [number, number]>;

/** One auth event as a worker got it off Redis and handled it (every socket of the user sent). */
export interface WorkerEventTiming {
  userId: string;
  kind: 'update' | 'revoke';
  version: number;
  receivedAt: number;
  handledAt: number;
  /** Time in `AuthRegions.renderAll` while the event was handled. */
  renderMs: number;
}

/** One tab the clients open: which worker, which session, which user. */
export interface TabSpec {
  user: string;
  /** Tabs of a group are collected together: `main` for the measured tabs, else a revoke's. */
  group: string;
  base: string;
  cookie: string;
}

/** The receipts of one sample on the clients' side. */
export interface Receipts {
  /** Receipt times of the tabs that got it, in the bench clock. */
  times: number[];
  /** Tabs that did not get it in time. */
  missing: number;
  /** Tabs whose update showed the region in the wrong state (grant samples). */
  wrong: number;
}

/** The receipts of one revocation: navigation and disconnect of each tab of the session. */
export interface RevokeReceipts {
  navigated: number[];
  disconnected: number[];
  /** Tabs that were not disconnected in time. */
  missing: number;
  /** Tabs disconnected without an `auth:navigate` first. */
  missingNavigate: number;
}
