import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchProcess, entryBeside } from '../support/bench-process';

const LOGIN_SERVER = entryBeside(__dirname, 'login-server.main');
const PASSWORD = 'correct horse battery staple';
const USERS = 50;
const THROUGHPUT_CONNECTIONS = 16;

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
 * Local logins against the raw Argon2id rate on the same machine in the same run: the login path
 * should add little to the hash it must compute. Then 50 concurrent clients: p99 latency, and how
 * late the event loop ran meanwhile (hashing is off the loop and bounded).
 */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export async function benchmarkLogins(options: {
  duration: number;
  rawVerifications: number;
  rounds: number;
}): Promise<LoginBenchResult> {
  const directory = mkdtempSync(join(tmpdir(), 'livegate-bench-logins-'));
  const { process: server, ready } = await BenchProcess.start<{ port: number }>(
    'login server',
    LOGIN_SERVER,
    [directory],
  );
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
      failures: failures + crowd.failures,
    };
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}
