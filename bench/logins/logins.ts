import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchProcess, entryBeside } from '../support/bench-process';
import {
  FAILED_LOGIN_KINDS,
  summarizeFailedLogins,
  type FailedLoginAttempt,
  type FailedLoginKind,
  type FailedLoginTiming,
} from './failed-logins';

const LOGIN_SERVER = entryBeside(__dirname, 'login-server.main');
const PASSWORD = 'correct horse battery staple';
const WRONG_PASSWORD = 'not the password of any bench user';
const USERS = 50;
const THROUGHPUT_CONNECTIONS = 16;
/** Unmeasured rounds of failed logins first: the queue a load left behind, the dummy hash. */
const FAILED_LOGIN_WARMUP_ROUNDS = 3;

export interface LoginBenchResult {
  /** Rounds of one raw measure then one login load. */
  rounds: number;
  /** Argon2id verifications per second with @node-rs/argon2 alone, on every core (median). */
  rawVerifyPerSecond: number;
  /** Successful `POST /auth/local/login` per second at `throughputConnections` (median). */
  loginsPerSecond: number;
  /** The median of the rounds' logins over raw verifications. */
  ratio: number;
  throughputConnections: number;
  /** Latency at 50 concurrent clients, ms. */
  latency: { connections: number; p50: number; p99: number; loginsPerSecond: number };
  /** The event loop's delay during the 50-client load, ms. */
  loopDelay: { p50: number; p99: number; max: number };
  /** Unknown user, wrong password and disabled user, one at a time: same answer, same time. */
  failedLogins: FailedLoginTiming;
  /** Failed requests of the loads, and failed logins whose answer differed from the others'. */
  failures: number;
}

async function load(port: number, connections: number, duration: number) {
  let user = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/auth/local/login`,
    method: 'POST',
    connections,
    duration,
    pipelining: 1,
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ username: `bench${(user += 1) % USERS}`, password: PASSWORD }),
        }),
      },
    ],
  });
  return {
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * Failing logins of every kind, one at a time on one connection (fetch keeps the one socket
 * alive), round by round, each round starting one kind later so that no kind always follows the
 * same one. Each unknown username is fresh; no attempt is throttled (the server's limits are high).
 */
async function failedLogins(
  port: number,
  disabledUser: string,
  perKind: number,
): Promise<FailedLoginAttempt[]> {
  let sent = 0;
  const bodyOf: Record<FailedLoginKind, () => { username: string; password: string }> = {
    unknownUser: () => ({ username: `nobody${sent}`, password: PASSWORD }),
    wrongPassword: () => ({ username: `bench${sent % USERS}`, password: WRONG_PASSWORD }),
    disabledUser: () => ({ username: disabledUser, password: PASSWORD }),
  };
  const attempts: FailedLoginAttempt[] = [];
  for (let round = 0; round < FAILED_LOGIN_WARMUP_ROUNDS + perKind; round += 1) {
    for (let offset = 0; offset < FAILED_LOGIN_KINDS.length; offset += 1) {
      const kind = FAILED_LOGIN_KINDS[(round + offset) % FAILED_LOGIN_KINDS.length];
      sent += 1;
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/auth/local/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
        body: JSON.stringify(bodyOf[kind]()),
      });
      const body = await response.text();
      const milliseconds = performance.now() - started;
      if (round >= FAILED_LOGIN_WARMUP_ROUNDS) {
        attempts.push({ kind, status: response.status, body, milliseconds });
      }
    }
  }
  return attempts;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Local logins against the raw Argon2id rate on the same machine in the same run: the login path
 * should add little to the hash it must compute. Then 50 concurrent clients: p99 latency, and how
 * late the event loop ran meanwhile (hashing is off the loop and bounded). Last, failed logins of
 * each kind on a quiet server: nothing in their answer may tell an unknown user, a wrong password
 * and a disabled user apart.
 */
export async function benchmarkLogins(options: {
  duration: number;
  rawVerifications: number;
  rounds: number;
  /** Failed logins of each kind timed one at a time. */
  failedLoginsPerKind: number;
}): Promise<LoginBenchResult> {
  const directory = mkdtempSync(join(tmpdir(), 'livegate-bench-logins-'));
  const { process: server, ready } = await BenchProcess.start<{
    port: number;
    disabledUser: string;
  }>('login server', LOGIN_SERVER, [directory]);
  try {
    // Warm both paths, then alternate raw hashing and logins: each ratio pairs two neighbouring
    // measures, so a machine that slows down for a while moves both.
    await server.request('rawVerify', { count: Math.max(8, options.rawVerifications / 10) });
    await load(ready.port, THROUGHPUT_CONNECTIONS, Math.min(1, options.duration));
    const ratios: number[] = [];
    const raws: number[] = [];
    const rates: number[] = [];
    let failures = 0;
    for (let round = 0; round < options.rounds; round += 1) {
      const raw = await server.request<{ perSecond: number }>('rawVerify', {
        count: options.rawVerifications,
      });
      // Enough clients in flight that the hashing lanes never wait for the next request.
      const throughput = await load(ready.port, THROUGHPUT_CONNECTIONS, options.duration);
      raws.push(raw.perSecond);
      rates.push(throughput.perSecond);
      ratios.push(throughput.perSecond / raw.perSecond);
      failures += throughput.failures;
    }
    await server.request('loopDelayStart');
    const crowd = await load(ready.port, 50, options.duration);
    const loopDelay = await server.request<LoginBenchResult['loopDelay']>('loopDelayStop');
    const failed = summarizeFailedLogins(
      await failedLogins(ready.port, ready.disabledUser, options.failedLoginsPerKind),
    );
    return {
      rounds: options.rounds,
      rawVerifyPerSecond: median(raws),
      loginsPerSecond: median(rates),
      ratio: median(ratios),
      throughputConnections: THROUGHPUT_CONNECTIONS,
      latency: {
        connections: 50,
        p50: crowd.p50,
        p99: crowd.p99,
        loginsPerSecond: crowd.perSecond,
      },
      loopDelay,
      failedLogins: failed,
      failures: failures + crowd.failures + failed.mismatches,
    };
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}
