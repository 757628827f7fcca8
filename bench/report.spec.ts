import { parseBenchOptions } from './bench-options';
import type { CoherenceChange } from './cache/coherence';
import { summarizeFailedLogins, type FailedLoginAttempt } from './logins/failed-logins';
import type { LoginBenchResult } from './logins/logins';
import type { LiveBenchResult } from './live/live';
import { livePercentiles, workerMemory } from './live/live-summary';
import { formatReport, ratio, targets, type BenchResults, type HttpRun } from './report';
import { spread } from './support/stats';

const run = (variant: string, round: number, requestsPerSecond: number, cpu = 100): HttpRun => ({
  variant,
  round,
  requestsPerSecond,
  requests: requestsPerSecond * 3,
  cpuPerRequest: cpu,
  p50: 1,
  p99: 2,
  failures: 0,
});

const coherence = (change: CoherenceChange, missed: number, max: number) => ({
  change,
  samples: 10,
  missed,
  afterChange: { p50: 0.5, p99: 1, max },
  fromStart: { p50: 0.9, p99: 2, max: max + 1 },
  changeCall: { p50: 0.3, p99: 0.4, max: 0.5 },
  cacheHits: 99,
});

const UNAUTHORIZED = '{"error":"unauthorized","message":"The username or password is wrong"}';

/** `count` attempts of a kind taking `first`, `first + 1`, ... ms, answered 401 alike. */
const attempts = (kind: FailedLoginAttempt['kind'], count: number, first: number) =>
  Array.from({ length: count }, (_, index): FailedLoginAttempt => ({
    kind,
    status: 401,
    body: UNAUTHORIZED,
    milliseconds: first + index,
  }));

const logins = (overrides: Partial<LoginBenchResult> = {}): LoginBenchResult => ({
  rounds: 5,
  rawVerifyPerSecond: 40,
  loginsPerSecond: 38,
  ratio: 0.95,
  throughputConnections: 16,
  latency: { connections: 50, p50: 1200, p99: 1500, loginsPerSecond: 39 },
  loopDelay: { p50: 10, p99: 12, max: 20 },
  failedLogins: summarizeFailedLogins([
    ...attempts('unknownUser', 10, 20),
    ...attempts('wrongPassword', 10, 21),
    ...attempts('disabledUser', 10, 22),
  ]),
  failures: 0,
  ...overrides,
});

const ms = (...values: number[]) => livePercentiles(values);
const snapshot = (heapUsed: number, external: number, rss: number, sockets: number) => ({
  heapUsed,
  external,
  arrayBuffers: 0,
  rss,
  sockets,
});

/** Grants of 1–4 ms beside a baseline of 0.5–1 ms; 30 and 20 KiB per tab on the workers. */
const live = (overrides: Partial<LiveBenchResult> = {}): LiveBenchResult => ({
  users: 100,
  tabsPerUser: 10,
  sockets: { a: 500, b: 500 },
  connectSeconds: 4.2,
  clients: 'child process',
  grant: ms(1, 1.5, 2, 4),
  baseline: ms(0.5, 0.6, 0.7, 1),
  overhead: { p50: 0.9, p99: 3 },
  grantSteps: {
    row: ms(0.8),
    readRow: ms(0.2),
    rowWrite: ms(0.4),
    sessions: ms(0.15),
    publish: ms(0.05),
    call: ms(1.1),
    toWorker: { a: ms(0.1), b: ms(0.12) },
    handling: { a: ms(0.3), b: ms(0.31) },
    render: ms(0.02),
    toLastTab: ms(0.2),
    unmatched: 0,
  },
  revoke: ms(1, 2, 3),
  revokeNavigate: ms(0.9, 1.9, 2.9),
  revokeSteps: { readRow: ms(0.2), deleteSession: ms(0.1), publish: ms(0.05) },
  probe: {
    select: { p50: 0.05, p99: 0.1 },
    commit: { p50: 0.4, p99: 1 },
    asyncCommit: { p50: 0.1, p99: 0.2 },
    findById: { p50: 0.2, p99: 0.4 },
    redisPing: { p50: 0.03, p99: 0.06 },
  },
  memory: [
    workerMemory(
      'A',
      snapshot(10e6, 1e6, 60e6, 0),
      snapshot(10e6 + 500 * 30 * 1024, 1e6, 80e6, 500),
    ),
    workerMemory(
      'B',
      snapshot(10e6, 1e6, 60e6, 0),
      snapshot(10e6 + 500 * 20 * 1024, 1e6, 70e6, 500),
    ),
  ],
  failures: {
    updates: 0,
    wrongRegions: 0,
    pings: 0,
    revocations: 0,
    navigates: 0,
    opens: 0,
    droppedTabs: 0,
  },
  clockSkewMs: 0.004,
  raw: { grant: [], baseline: [0.5, 0.6, 0.7, 1], revoke: [1, 2, 3] },
  ...overrides,
});

function results(http: HttpRun[], overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    date: '2026-01-01T00:00:00.000Z',
    machine: {
      cpu: 'cpu',
      cores: 2,
      memoryGiB: 4,
      os: 'Linux',
      node: '20',
      nest: '11',
      redis: '7',
    },
    options: parseBenchOptions(['--quick'], new Date(0)),
    http,
    roundTrips: {
      'express-redis': { perRequest: 0, commands: {}, exact: true },
      'express-redis-uncached': { perRequest: 1, commands: { hgetall: 1 }, exact: true },
    },
    stores: {},
    coherence: [coherence('delete', 0, 1.2)],
    ...overrides,
  };
}

describe('bench report', () => {
  it('takes the median and range of rounds', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('pairs ratios by round, so a slow round slows both sides alike', () => {
    const http = [
      run('express-redis', 0, 900),
      run('express-bare', 0, 1000),
      run('express-redis', 1, 450),
      run('express-bare', 1, 500),
      run('express-redis', 2, 1900),
      run('express-bare', 2, 2000),
    ];
    expect(ratio(http, 'express-redis', 'express-bare')).toEqual({
      median: 0.9,
      min: 0.9,
      max: 0.95,
    });
  });

  it('compares CPU cost per request as the bare cost over the guarded one', () => {
    const http = [
      run('express-redis', 0, 900, 125),
      run('express-bare', 0, 1000, 100),
      run('express-redis', 1, 450, 110),
      run('express-bare', 1, 500, 99),
    ];
    const cost = ratio(http, 'express-redis', 'express-bare', 'cpu');
    expect(cost.median).toBeCloseTo(0.85, 10);
    expect(cost.min).toBeCloseTo(0.8, 10);
    expect(cost.max).toBeCloseTo(0.9, 10);
  });

  it('marks each target pass or short', () => {
    const http = [
      run('express-bare', 0, 1000),
      run('express-redis', 0, 950),
      run('express-peer', 0, 600),
      run('fastify-bare', 0, 1000),
      run('fastify-redis', 0, 800),
    ];
    const met = Object.fromEntries(
      targets(results(http)).map((target) => [target.name, target.met]),
    );
    expect(met).toEqual({
      'Express (c)/(a): Livegate Redis vs bare': true,
      'Express (c)/(b): Livegate Redis vs peer': false,
      'Fastify (c)/(a): Livegate Redis vs bare': false,
      'Redis round trips per request, express (c) Livegate, Redis': true,
      'Redis round trips per request, express (c) Livegate, Redis, session cache off': true,
      'Session delete seen by the other worker (max of 10)': true,
    });
    const late = results(http, {
      coherence: [coherence('refresh', 0, 6)],
    });
    expect(targets(late).at(-1)).toMatchObject({ met: false });
  });

  it('prints update coherence beside delete and refresh, each with its target', () => {
    const all = results([], {
      coherence: [
        coherence('delete', 0, 1.2),
        coherence('refresh', 0, 2),
        coherence('update', 1, 3),
      ],
    });
    const report = formatReport(all);
    const section = report.slice(
      report.indexOf('Session cache coherence'),
      report.indexOf('Targets'),
    );
    expect(
      section.split('\n').filter((line) => /^(delete|refresh|update) /.test(line)),
    ).toHaveLength(3);
    const met = Object.fromEntries(targets(all).map((target) => [target.name, target.met]));
    expect(met['Session delete seen by the other worker (max of 10)']).toBe(true);
    expect(met['Session refresh seen by the other worker (max of 10)']).toBe(true);
    // Within 5 ms, but one update was never seen: short.
    expect(met['Session update seen by the other worker (max of 10)']).toBe(false);
    expect(targets(results([], { coherence: [coherence('update', 0, 4.9)] })).at(-1)).toMatchObject(
      { name: 'Session update seen by the other worker (max of 10)', met: true },
    );
  });

  it('prints every variant, ratio and target', () => {
    const report = formatReport(results([run('express-bare', 0, 1000)]));
    expect(report).toContain('(b) express-session + connect-redis + passport');
    expect(report).toContain('fastify  (c) Livegate, Redis');
    expect(report).toContain('Express (c)/(b): Livegate Redis vs peer');
    expect(report).toMatch(/Targets\n/);
  });
});

describe('failed-login timings', () => {
  it('gives p50 and p90 per kind and the largest p50 difference over the median p50', () => {
    const timing = summarizeFailedLogins([
      ...attempts('unknownUser', 10, 20),
      ...attempts('wrongPassword', 10, 22),
      ...attempts('disabledUser', 10, 21),
    ]);
    expect(timing).toEqual({
      attemptsPerKind: 10,
      kinds: {
        unknownUser: { p50: 24, p90: 28 },
        wrongPassword: { p50: 26, p90: 30 },
        disabledUser: { p50: 25, p90: 29 },
      },
      p50Spread: 2 / 25,
      answer: { status: 401, body: UNAUTHORIZED },
      mismatches: 0,
    });
  });

  it('counts every answer that differs from the first in status or body, and any that is not a 401', () => {
    const same = attempts('unknownUser', 3, 20);
    const [wrongStatus, wrongBody] = attempts('disabledUser', 2, 20);
    expect(
      summarizeFailedLogins([
        ...same,
        { ...wrongStatus, status: 403 },
        { ...wrongBody, body: '{"error":"disabled"}' },
      ]).mismatches,
    ).toBe(2);
    const allOk = attempts('wrongPassword', 3, 20).map((attempt) => ({
      ...attempt,
      status: 200,
    }));
    expect(summarizeFailedLogins(allOk).mismatches).toBe(3);
  });

  it('prints each kind beside the login figures, with the difference and the mismatches', () => {
    const report = formatReport(results([], { logins: logins() }));
    const section = report.slice(
      report.indexOf('Local identity provider'),
      report.indexOf('Targets'),
    );
    expect(section).toMatch(
      /Failed login, unknown user: one at a time, 10 interleaved +p50 24\.00 ms, p90 28\.00 ms/,
    );
    expect(section).toMatch(/Failed login, wrong password: .* +p50 25\.00 ms, p90 29\.00 ms/);
    expect(section).toMatch(/Failed login, disabled user: .* +p50 26\.00 ms, p90 30\.00 ms/);
    expect(section).toMatch(/Largest p50 difference between them, of the median p50 +8\.0%/);
    expect(section).toMatch(/Failed logins answered otherwise than the first +0 of 30\n/);
    expect(section).toContain(`The first failed login's answer: 401 ${UNAUTHORIZED}`);
    expect(section.indexOf('Failed login, unknown user')).toBeGreaterThan(
      section.indexOf('Event loop delay meanwhile'),
    );
    const short = targets(results([], { logins: logins({ failures: 1 }) })).at(-1);
    expect(short).toMatchObject({ name: expect.stringMatching(/^Local logins/), met: false });
  });
});

describe('live auth figures', () => {
  const sectionOf = (report: string) =>
    report.slice(report.indexOf('Live auth:'), report.indexOf('Targets'));

  it('prints the grant beside the baseline, their difference and the revocation, in ms', () => {
    const section = sectionOf(formatReport(results([], { live: live() })));
    expect(section).toMatch(
      /^Live auth: 100 users × 10 tabs = 1,000 sockets on two workers \(500 \+ 500;/,
    );
    expect(section).toContain('the tabs in a child process');
    expect(section).toMatch(
      /grant → all 10 tabs of the user updated +4 +1\.50 +4\.00 +4\.00 +4\.00\n/,
    );
    expect(section).toMatch(
      /baseline: bare emit to user:<id> → all 10 tabs +4 +0\.60 +1\.00 +1\.00 +1\.00\n/,
    );
    expect(section).toMatch(/grant minus baseline +0\.90 +3\.00\n/);
    expect(section).toMatch(/revokeSession → the session’s 5 tabs disconnected +3 +2\.00 +3\.00/);
    expect(section).toMatch(/revokeSession → the 5 tabs sent auth:navigate +3 +1\.90/);
  });

  it('prints where a grant’s time goes, memory per tab on each worker and every failure kind', () => {
    const section = sectionOf(
      formatReport(
        results([], {
          live: live({ failures: { ...live().failures, updates: 2, navigates: 1 } }),
        }),
      ),
    );
    expect(section).toMatch(/ {4}compare-and-set UPDATE \(one statement\) +0\.40 \/ 0\.40\n/);
    expect(section).toMatch(/session snapshots \(one Redis script\) +0\.15 \/ 0\.15\n/);
    expect(section).toMatch(
      /publish → event handler on worker A \/ B +0\.10 \/ 0\.10, 0\.12 \/ 0\.12\n/,
    );
    expect(section).toMatch(
      /update committed \/ synchronous_commit off +0\.05 \/ 0\.10, 0\.40 \/ 1\.00, 0\.10 \/ 0\.20\n/,
    );
    expect(section).toMatch(
      /findById \(one query\) \/ a Redis PING +0\.20 \/ 0\.40, 0\.03 \/ 0\.06\n/,
    );
    expect(section).toMatch(/^A +500 +30\.0 +30\.0 +39\.1$/m);
    expect(section).toMatch(/^B +500 +20\.0 +20\.0 +19\.5$/m);
    expect(section).toContain(
      'Failures: 3 (update timeouts 2, wrong regions 0, baseline timeouts 0, revocation timeouts 0, ' +
        'missing navigates 1, tabs not opened 0, tabs dropped 0)',
    );
    expect(section).toContain('clock skew between processes 0.004 ms');
  });

  it('has a target for the grant’s p50 and p99 and for memory per tab on the worse worker', () => {
    const [p50, p99, memory] = targets(results([], { live: live() })).slice(-3);
    expect(p50).toEqual({
      name: 'Live grant → all 10 tabs of a user updated (1,000 open), p50',
      value: '1.50 ms',
      goal: '≤ 2 ms',
      met: true,
    });
    expect(p99).toMatchObject({ value: '4.00 ms', goal: '≤ 8 ms', met: true });
    expect(memory).toEqual({
      name: 'Server memory per connected tab, live auth on (heapUsed + external, worse worker)',
      value: '30.0 KiB',
      goal: '≤ 40 KiB',
      met: true,
    });
    const report = formatReport(results([], { live: live() }));
    expect(report.slice(report.indexOf('Targets'))).toMatch(
      /Live grant → all 10 tabs of a user updated \(1,000 open\), p99 +4\.00 ms +≤ 8 ms +pass/,
    );
  });

  it('falls short when slow, heavy or when a sample failed', () => {
    const met = (result: LiveBenchResult) =>
      targets(results([], { live: result }))
        .slice(-3)
        .map((target) => target.met);
    expect(met(live({ grant: ms(2.1, 2.2, 9) }))).toEqual([false, false, true]);
    const heavy = live();
    heavy.memory[1] = workerMemory(
      'B',
      snapshot(10e6, 1e6, 60e6, 0),
      snapshot(10e6 + 500 * 30 * 1024, 1e6 + 500 * 11 * 1024, 70e6, 500),
    );
    expect(met(heavy)).toEqual([true, true, false]);
    // Fast, but one tab never got its update: the grant targets are not met.
    expect(met(live({ failures: { ...live().failures, updates: 1 } }))).toEqual([
      false,
      false,
      true,
    ]);
  });
});

describe('bench options', () => {
  it('has a quick profile and a full one, with overrides', () => {
    const quick = parseBenchOptions(['--quick'], new Date(0));
    expect(quick).toMatchObject({ quick: true, rounds: 1, liveUsers: 20 });
    expect(quick.parts).toContain('live');
    expect(parseBenchOptions([])).toMatchObject({
      liveUsers: 100,
      liveSamples: 300,
      liveRevokeSamples: 50,
    });
    expect(parseBenchOptions(['--only', 'live']).parts).toEqual(['live']);
    expect(quick.out).toBe('bench/results/bench-quick-1970-01-01T00-00-00-000Z.json');
    expect(parseBenchOptions(['--rounds', '3', '--duration', '2.5'])).toMatchObject({
      quick: false,
      rounds: 3,
      duration: 2.5,
    });
  });

  it('rejects unknown arguments and bad numbers with the usage', () => {
    expect(() => parseBenchOptions(['--fast'])).toThrow(/Unknown argument --fast\nUsage/);
    expect(() => parseBenchOptions(['--rounds', '0'])).toThrow(/--rounds needs a positive number/);
    expect(() => parseBenchOptions(['--profile'])).toThrow(/--profile needs a directory/);
  });
});
