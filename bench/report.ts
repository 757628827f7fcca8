import type { BenchOptions } from './bench-options';
import type { CoherenceResult, Percentiles } from './cache/coherence';
import { HTTP_VARIANTS } from './http/http-variants';
import type { LoadResult } from './http/load';
import { FAILED_LOGIN_KINDS, type FailedLoginKind } from './logins/failed-logins';
import type { LoginBenchResult } from './logins/logins';
import { totalLiveFailures, type LiveBenchResult } from './live/live';
import type { LivePercentiles } from './live/live-summary';
import { STORE_BACKENDS, STORE_OPERATIONS, type StoreOperation } from './stores/store-backends';
import type { RoundTripCount } from './support/round-trips';
import { spread, type LatencySummary, type Spread } from './support/stats';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  nest: string;
  redis: string;
}

export interface HttpRun extends LoadResult {
  variant: string;
  round: number;
  /** Server CPU time (user + system) per answered request, µs. */
  cpuPerRequest: number;
}

export interface BenchResults {
  date: string;
  machine: MachineInfo;
  options: BenchOptions;
  http: HttpRun[];
  roundTrips: Record<string, RoundTripCount>;
  stores: Record<string, Record<StoreOperation, LatencySummary>>;
  coherence: CoherenceResult[];
  /** The local identity provider's logins, when that part ran. */
  logins?: LoginBenchResult;
  /** Live auth with open tabs on two workers, when that part ran. */
  live?: LiveBenchResult;
}

export interface Target {
  name: string;
  value: string;
  goal: string;
  met: boolean;
}

/** The median and range of a variant's per-round figure. */
function perVariant(
  runs: readonly HttpRun[],
  variant: string,
  pick: (run: HttpRun) => number,
): Spread {
  return spread(runs.filter((run) => run.variant === variant).map(pick));
}

/**
 * Per-round ratios of two variants' throughput, paired by round. With `by: 'cpu'`, the ratio of
 * their server CPU cost per request instead (denominator's cost over numerator's): the throughput
 * ratio a CPU-bound server would reach, less exposed to what else the machine is doing.
 */
export function ratio(
  runs: readonly HttpRun[],
  numerator: string,
  denominator: string,
  by: 'throughput' | 'cpu' = 'throughput',
): Spread {
  const rounds = [...new Set(runs.map((run) => run.round))];
  const ratios = rounds.flatMap((round) => {
    const top = runs.find((run) => run.round === round && run.variant === numerator);
    const bottom = runs.find((run) => run.round === round && run.variant === denominator);
    if (!top || !bottom) {
      return [];
    }
    return [
      by === 'cpu'
        ? bottom.cpuPerRequest / top.cpuPerRequest
        : top.requestsPerSecond / bottom.requestsPerSecond,
    ];
  });
  return spread(ratios);
}

/** The ratios the benchmark reports: [label, numerator, denominator, minimum or undefined]. */
export const RATIOS: readonly [string, string, string, number | undefined][] = [
  ['Express (c)/(a): Livegate Redis vs bare', 'express-redis', 'express-bare', 0.9],
  ['Express (c)/(b): Livegate Redis vs peer', 'express-redis', 'express-peer', 1.7],
  ['Fastify (c)/(a): Livegate Redis vs bare', 'fastify-redis', 'fastify-bare', 0.9],
  ['Express (c) cache off / (a)', 'express-redis-uncached', 'express-bare', undefined],
  ['Express (c) cache off / (b)', 'express-redis-uncached', 'express-peer', undefined],
  ['Express (d)/(a): Livegate memory vs bare', 'express-memory', 'express-bare', undefined],
  ['Express control/(a): no-op middleware + guard', 'express-empty', 'express-bare', undefined],
  ['Fastify control/(a): no-op middleware + guard', 'fastify-empty', 'fastify-bare', undefined],
  ['Express (e)/(a): Livegate SQLite vs bare', 'express-sqlite', 'express-bare', undefined],
];

/** Redis round trips per authenticated request, for the variants that use Redis. */
export const ROUND_TRIP_VARIANTS = ['express-peer', 'express-redis', 'express-redis-uncached'];

const COHERENCE_LIMIT_MS = 5;
/** Local logins per second over raw Argon2id verifications per second. */
const LOGIN_RATE_MINIMUM = 0.9;
/** A grant reaching every open tab of the user (issue 15), ms. */
const LIVE_GRANT_P50_LIMIT_MS = 2;
const LIVE_GRANT_P99_LIMIT_MS = 8;
/** Server memory per connected tab with live auth on, KiB of heapUsed + external. */
const LIVE_MEMORY_LIMIT_KIB = 40;

export function targets(results: BenchResults): Target[] {
  const list: Target[] = [];
  for (const [name, numerator, denominator, minimum] of RATIOS) {
    if (minimum === undefined || results.http.length === 0) {
      continue;
    }
    const value = ratio(results.http, numerator, denominator).median;
    list.push({ name, value: value.toFixed(2), goal: `≥ ${minimum}`, met: value >= minimum });
  }
  for (const variant of ['express-redis', 'express-redis-uncached']) {
    const count = results.roundTrips[variant];
    if (count) {
      list.push({
        name: `Redis round trips per request, ${labelOf(variant)}`,
        value: count.perRequest.toFixed(2),
        goal: '≤ 1',
        met: count.exact && count.perRequest <= 1,
      });
    }
  }
  for (const result of results.coherence) {
    list.push({
      name: `Session ${result.change} seen by the other worker (max of ${result.samples})`,
      value: `${result.afterChange.max.toFixed(2)} ms`,
      goal: `≤ ${COHERENCE_LIMIT_MS} ms`,
      met: result.missed === 0 && result.afterChange.max <= COHERENCE_LIMIT_MS,
    });
  }
  if (results.logins) {
    const share = results.logins.ratio;
    list.push({
      name: 'Local logins per second over raw Argon2id verifications per second',
      value: share.toFixed(2),
      goal: `≥ ${LOGIN_RATE_MINIMUM}`,
      met: results.logins.failures === 0 && share >= LOGIN_RATE_MINIMUM,
    });
  }
  if (results.live) {
    list.push(...liveTargets(results.live));
  }
  return list;
}

function liveTargets(live: LiveBenchResult): Target[] {
  const clean = totalLiveFailures(live.failures) === 0;
  const tabs = `all ${live.tabsPerUser} tabs of a user updated (${integer(live.users * live.tabsPerUser)} open)`;
  // The worse worker: each holds half of the tabs.
  const memory = Math.max(...live.memory.map((worker) => worker.perTabKiB.heapUsedAndExternal));
  return [
    {
      name: `Live grant → ${tabs}, p50`,
      value: `${decimal(live.grant.p50, 2)} ms`,
      goal: `≤ ${LIVE_GRANT_P50_LIMIT_MS} ms`,
      met: clean && live.grant.p50 <= LIVE_GRANT_P50_LIMIT_MS,
    },
    {
      name: `Live grant → ${tabs}, p99`,
      value: `${decimal(live.grant.p99, 2)} ms`,
      goal: `≤ ${LIVE_GRANT_P99_LIMIT_MS} ms`,
      met: clean && live.grant.p99 <= LIVE_GRANT_P99_LIMIT_MS,
    },
    {
      name: 'Server memory per connected tab, live auth on (heapUsed + external, worse worker)',
      value: `${decimal(memory, 1)} KiB`,
      goal: `≤ ${LIVE_MEMORY_LIMIT_KIB} KiB`,
      met: memory <= LIVE_MEMORY_LIMIT_KIB,
    },
  ];
}

const FAILED_LOGIN_LABELS: Record<FailedLoginKind, string> = {
  unknownUser: 'unknown user',
  wrongPassword: 'wrong password',
  disabledUser: 'disabled user',
};

function loginSection(logins: LoginBenchResult): string[] {
  const failed = logins.failedLogins;
  return [
    'Local identity provider (POST /auth/local/login, Express, SQLite user store)',
    ...table([
      [
        `Raw Argon2id verify (@node-rs/argon2, every core), median of ${logins.rounds}`,
        `${logins.rawVerifyPerSecond.toFixed(1)}/s`,
      ],
      [
        `Logins at ${logins.throughputConnections} connections, median of ${logins.rounds}`,
        `${logins.loginsPerSecond.toFixed(1)}/s (${logins.ratio.toFixed(2)}× raw, paired by round)`,
      ],
      [
        `Logins at ${logins.latency.connections} connections`,
        `${logins.latency.loginsPerSecond.toFixed(1)}/s, p50 ${logins.latency.p50} ms, p99 ${logins.latency.p99} ms`,
      ],
      [
        'Event loop delay meanwhile',
        `p50 ${logins.loopDelay.p50.toFixed(1)} ms, p99 ${logins.loopDelay.p99.toFixed(1)} ms, max ${logins.loopDelay.max.toFixed(1)} ms`,
      ],
      ...FAILED_LOGIN_KINDS.map((kind) => [
        `Failed login, ${FAILED_LOGIN_LABELS[kind]}: one at a time, ${failed.attemptsPerKind} interleaved`,
        `p50 ${failed.kinds[kind].p50.toFixed(2)} ms, p90 ${failed.kinds[kind].p90.toFixed(2)} ms`,
      ]),
      [
        'Largest p50 difference between them, of the median p50',
        `${(failed.p50Spread * 100).toFixed(1)}%`,
      ],
      [
        'Failed logins answered otherwise than the first',
        `${failed.mismatches} of ${failed.attemptsPerKind * FAILED_LOGIN_KINDS.length}`,
      ],
      ['Failed requests', String(logins.failures)],
    ]),
    // Apart from the table: a body is wider than every figure.
    `The first failed login's answer: ${failed.answer.status} ${failed.answer.body}`,
  ];
}

function liveSection(live: LiveBenchResult): string[] {
  const ms = (value: number) => decimal(value, 2);
  const row = (label: string, value: LivePercentiles) => [
    label,
    String(value.count),
    ms(value.p50),
    ms(value.p90),
    ms(value.p99),
    ms(value.max),
  ];
  const pair = (value: { p50: number; p99: number }) => `${ms(value.p50)} / ${ms(value.p99)}`;
  const steps = live.grantSteps;
  const failures = live.failures;
  const kib = (value: number) => decimal(value, 1);
  return [
    `Live auth: ${live.users} users × ${live.tabsPerUser} tabs = ${integer(live.users * live.tabsPerUser)} ` +
      `sockets on two workers (${live.sockets.a} + ${live.sockets.b}; Express, Redis, PostgreSQL), ` +
      `the tabs in a ${live.clients}; ms from the call on worker A to the last tab, one at a time`,
    ...table([
      ['', 'samples', 'p50', 'p90', 'p99', 'max'],
      row(`grant → all ${live.tabsPerUser} tabs of the user updated`, live.grant),
      row(`baseline: bare emit to user:<id> → all ${live.tabsPerUser} tabs`, live.baseline),
      ['grant minus baseline', '', ms(live.overhead.p50), '', ms(live.overhead.p99), ''],
      row('revokeSession → the session’s 5 tabs disconnected', live.revoke),
      row('revokeSession → the 5 tabs sent auth:navigate', live.revokeNavigate),
    ]),
    '',
    'Where a grant’s time goes, p50 / p99 ms (then, on worker A while nothing else ran, the stores alone)',
    ...table([
      ['AuthActions call on worker A', pair(steps.call)],
      ['  user row (PostgreSQL)', pair(steps.row)],
      ['    read (row, identities)', pair(steps.readRow)],
      ['    compare-and-set UPDATE (one statement)', pair(steps.rowWrite)],
      ['  session snapshots (one Redis script)', pair(steps.sessions)],
      ['  publish (Redis PUBLISH)', pair(steps.publish)],
      [
        'publish → event handler on worker A / B',
        `${pair(steps.toWorker.a)}, ${pair(steps.toWorker.b)}`,
      ],
      [
        'handling on worker A / B (5 tabs each)',
        `${pair(steps.handling.a)}, ${pair(steps.handling.b)}`,
      ],
      ['  of which regions rendered', pair(steps.render)],
      ['handled → the last tab’s receipt', pair(steps.toLastTab)],
      [
        'revokeSession on worker A: row read / session delete / publish',
        `${pair(live.revokeSteps.readRow)}, ${pair(live.revokeSteps.deleteSession)}, ${pair(live.revokeSteps.publish)}`,
      ],
      [
        'Alone, plain pg client: SELECT 1 / one-row update committed / synchronous_commit off',
        `${pair(live.probe.select)}, ${pair(live.probe.commit)}, ${pair(live.probe.asyncCommit)}`,
      ],
      [
        'Alone: the store’s findById (one query) / a Redis PING',
        `${pair(live.probe.findById)}, ${pair(live.probe.redisPing)}`,
      ],
    ]),
    '',
    'Server memory per connected tab after gc, KiB (before and after the tabs connected)',
    ...table([
      ['worker', 'tabs', 'heapUsed', 'heapUsed + external', 'rss'],
      ...live.memory.map((worker) => [
        worker.worker,
        String(worker.sockets),
        kib(worker.perTabKiB.heapUsed),
        kib(worker.perTabKiB.heapUsedAndExternal),
        kib(worker.perTabKiB.rss),
      ]),
    ]),
    '',
    `Failures: ${totalLiveFailures(failures)} (update timeouts ${failures.updates}, wrong regions ` +
      `${failures.wrongRegions}, baseline timeouts ${failures.pings}, revocation timeouts ` +
      `${failures.revocations}, missing navigates ${failures.navigates}, tabs not opened ` +
      `${failures.opens}, tabs dropped ${failures.droppedTabs}); ${integer(live.users * live.tabsPerUser)} ` +
      `tabs opened in ${decimal(live.connectSeconds, 1)} s; clock skew between processes ` +
      `${decimal(live.clockSkewMs, 3)} ms`,
  ];
}

function labelOf(variant: string): string {
  const found = HTTP_VARIANTS.find((candidate) => candidate.id === variant);
  return found ? `${found.platform} ${found.label}` : variant;
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const decimal = (value: number, digits = 1) =>
  Number.isFinite(value) ? value.toFixed(digits) : '-';
const range = (value: Spread, format: (value: number) => string) =>
  `${format(value.median)} (${format(value.min)}–${format(value.max)})`;

function table(rows: string[][]): string[] {
  if (rows.length === 0) {
    return [];
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd(),
  );
}

function httpSection(results: BenchResults): string[] {
  const { options } = results;
  return [
    `HTTP: GET /items, ${options.connections} connections, ${options.rounds} round(s) of ` +
      `${options.duration} s per variant; median (min–max) over rounds`,
    ...table([
      ['variant', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU µs/request'],
      ...HTTP_VARIANTS.map((variant) => [
        `${variant.platform.padEnd(8)} ${variant.label}`,
        range(
          perVariant(results.http, variant.id, (run) => run.requestsPerSecond),
          integer,
        ),
        decimal(perVariant(results.http, variant.id, (run) => run.p50).median),
        decimal(perVariant(results.http, variant.id, (run) => run.p99).median),
        range(
          perVariant(results.http, variant.id, (run) => run.cpuPerRequest),
          (value) => decimal(value, 0),
        ),
      ]),
    ]),
    '',
    'Ratios paired by round, median (min–max): of requests/s, and of server CPU per request',
    ...table([
      ['', 'requests/s', 'CPU cost', ''],
      ...RATIOS.map(([label, numerator, denominator, minimum]) => [
        label,
        range(ratio(results.http, numerator, denominator), (value) => decimal(value, 2)),
        range(ratio(results.http, numerator, denominator, 'cpu'), (value) => decimal(value, 2)),
        minimum === undefined ? '' : `target ≥ ${minimum}`,
      ]),
    ]),
    '',
    `Redis commands per authenticated request (INFO commandstats over ${options.roundTripRequests} requests)`,
    ...table(
      ROUND_TRIP_VARIANTS.filter((variant) => results.roundTrips[variant]).map((variant) => {
        const count = results.roundTrips[variant];
        const detail = Object.entries(count.commands)
          .map(([command, calls]) => `${command} ${decimal(calls, 2)}`)
          .join(', ');
        return [labelOf(variant), decimal(count.perRequest, 2), detail || 'none'];
      }),
    ),
  ];
}

function storeSection(results: BenchResults): string[] {
  return [
    `Stores: ${results.options.storeOperations} sequential operations each; ops/s, p50 / p99 µs`,
    ...table([
      ['backend', ...STORE_OPERATIONS],
      ...STORE_BACKENDS.filter((backend) => results.stores[backend.id]).map((backend) => [
        backend.label,
        ...STORE_OPERATIONS.map((operation) => {
          const summary = results.stores[backend.id][operation];
          return `${integer(summary.opsPerSecond)}, ${decimal(summary.p50)} / ${decimal(summary.p99)}`;
        }),
      ]),
    ]),
  ];
}

function coherenceSection(results: BenchResults): string[] {
  const triple = (value: Percentiles) =>
    `${decimal(value.p50, 2)} / ${decimal(value.p99, 2)} / ${decimal(value.max, 2)}`;
  return [
    'Session cache coherence across two worker processes: ms until the other worker sees a ' +
      'change (delete: gone; refresh: new expiry; update: a grant, new version)',
    ...table([
      [
        'change',
        'samples',
        'missed',
        'after the call returned p50 / p99 / max',
        'from the call p50 / p99 / max',
        'the call p50 / max',
        'cache hits',
      ],
      ...results.coherence.map((result) => [
        result.change,
        String(result.samples),
        String(result.missed),
        triple(result.afterChange),
        triple(result.fromStart),
        `${decimal(result.changeCall.p50, 2)} / ${decimal(result.changeCall.max, 2)}`,
        integer(result.cacheHits),
      ]),
    ]),
  ];
}

/** The printed report: the tables of every part that ran, the ratios and the targets. */
export function formatReport(results: BenchResults): string {
  const { options, machine } = results;
  const sections = [
    [
      `Livegate benchmark${options.quick ? ' (quick)' : ''}, ${results.date}`,
      `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; ` +
        `Node ${machine.node}, Nest ${machine.nest}, Redis ${machine.redis}`,
    ],
  ];
  if (results.http.length > 0) {
    sections.push(httpSection(results));
  }
  if (Object.keys(results.stores).length > 0) {
    sections.push(storeSection(results));
  }
  if (results.coherence.length > 0) {
    sections.push(coherenceSection(results));
  }
  if (results.logins) {
    sections.push(loginSection(results.logins));
  }
  if (results.live) {
    sections.push(liveSection(results.live));
  }
  sections.push([
    'Targets',
    ...table(
      targets(results).map((target) => [
        target.name,
        target.value,
        target.goal,
        target.met ? 'pass' : 'short',
      ]),
    ),
  ]);
  return sections.map((section) => section.join('\n')).join('\n\n');
}
