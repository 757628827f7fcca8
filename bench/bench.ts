/**
 * `npm run bench [-- --quick]`: the authenticated request path on every stack, the stores on
 * every backend, Redis round trips per request, session cache coherence, local logins and live
 * auth updates to 1,000 open tabs, against a private `redis-server` (live auth: one of its own,
 * and a PostgreSQL database of its own). Every server runs in its own process; autocannon drives
 * it from this one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '@livegate/state/testing';
import { RedisTestServer } from '@livegate/state/testing';
import { parseBenchOptions, type BenchOptions, type BenchPart } from './bench-options';
import { measureCoherence, type CoherenceResult } from './cache/coherence';
import { HTTP_VARIANTS, type HttpVariant } from './http/http-variants';
import { checkRoute, runLoad, runSequential } from './http/load';
import {
  formatReport,
  ROUND_TRIP_VARIANTS,
  targets,
  type BenchResults,
  type HttpRun,
  type MachineInfo,
} from './report';
import { STORE_BACKENDS, type StoreOperation } from './stores/store-backends';
import { BenchProcess, entryBeside } from './support/bench-process';
import type { BenchStateConfig } from './support/bench-state';
import { countRoundTrips } from './support/round-trips';
import { benchmarkLogins } from './logins/logins';
import { benchmarkLive } from './live/live';
import type { LatencySummary } from './support/stats';

const HTTP_SERVER = entryBeside(join(__dirname, 'http'), 'http-server.main');
const STORE_BENCH = entryBeside(join(__dirname, 'stores'), 'store-bench.main');

interface Server {
  variant: HttpVariant;
  process: BenchProcess;
  port: number;
  headers: Record<string, string>;
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function machineInfo(redis: RedisTestServer): Promise<MachineInfo> {
  const info = await redis.command('INFO', 'server');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nest = (require('@nestjs/core/package.json') as { version: string }).version;
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.versions.node,
    nest,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}

async function startServers(config: BenchStateConfig): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    // Two at a time: quicker than one by one, without starving a two-core machine.
    for (let index = 0; index < HTTP_VARIANTS.length; index += 2) {
      const batch = HTTP_VARIANTS.slice(index, index + 2);
      const started = await Promise.all(
        batch.map(async (variant) => {
          const { process: child, ready } = await BenchProcess.start<{
            port: number;
            headers: Record<string, string>;
          }>(variant.id, HTTP_SERVER, [variant.id, JSON.stringify(config)]);
          servers.push({ variant, process: child, ...ready });
          return { variant, ...ready };
        }),
      );
      for (const server of started) {
        await checkRoute(server.port, server.headers, server.variant.protected);
        progress(`  started ${server.variant.id} on port ${server.port}`);
      }
    }
    return servers;
  } catch (error) {
    await Promise.all(servers.map((server) => server.process.stop()));
    throw error;
  }
}

async function benchmarkHttp(options: BenchOptions, servers: Server[]): Promise<HttpRun[]> {
  const load = (server: Server, duration: number) =>
    runLoad({
      port: server.port,
      headers: server.headers,
      duration,
      connections: options.connections,
    });
  for (const server of servers) {
    await load(server, options.warmup);
  }
  const runs: HttpRun[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    // Each round starts one variant later, so no variant always runs first or last.
    const order = servers.map((_, index) => servers[(index + round) % servers.length]);
    for (const server of order) {
      // The first round's load is profiled when asked: the profile then covers requests only.
      const profiled = options.profileDirectory !== undefined && round === 0;
      if (profiled) {
        await server.process.request('profileStart');
      }
      const cpuBefore = await server.process.request<number>('cpu');
      const result = await load(server, options.duration);
      const cpu = (await server.process.request<number>('cpu')) - cpuBefore;
      if (profiled) {
        const profile = await server.process.request<string>('profileStop');
        writeFileSync(join(options.profileDirectory!, `${server.variant.id}.cpuprofile`), profile);
      }
      if (result.failures > 0) {
        throw new Error(
          `${server.variant.id}: ${result.failures} failed requests in round ${round + 1}`,
        );
      }
      runs.push({
        variant: server.variant.id,
        round,
        ...result,
        cpuPerRequest: result.requests > 0 ? cpu / result.requests : Number.NaN,
      });
    }
    progress(`  round ${round + 1}/${options.rounds} done`);
  }
  return runs;
}

async function benchmarkStores(
  options: BenchOptions,
  config: BenchStateConfig,
): Promise<BenchResults['stores']> {
  const stores: BenchResults['stores'] = {};
  for (const backend of STORE_BACKENDS) {
    const { process: child } = await BenchProcess.start(`stores ${backend.id}`, STORE_BENCH, [
      backend.id,
      JSON.stringify(config),
    ]);
    try {
      stores[backend.id] = await child.request<Record<StoreOperation, LatencySummary>>('run', {
        count: options.storeOperations,
      });
      progress(`  stores on ${backend.id} done`);
    } finally {
      await child.stop();
    }
  }
  return stores;
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const port = await freePort();
  const redis = await RedisTestServer.start({
    args: ['--port', String(port), '--bind', '127.0.0.1'],
  });
  const sqliteDirectory = mkdtempSync(join(tmpdir(), 'livegate-bench-'));
  const config: BenchStateConfig = { redisUrl: `redis://127.0.0.1:${port}/0`, sqliteDirectory };
  if (options.profileDirectory) {
    mkdirSync(options.profileDirectory, { recursive: true });
  }
  try {
    const machine = await machineInfo(redis);
    const wants = (part: BenchPart) => options.parts.includes(part);
    let http: HttpRun[] = [];
    const roundTrips: BenchResults['roundTrips'] = {};
    if (wants('http')) {
      progress(`Starting ${HTTP_VARIANTS.length} HTTP servers`);
      const servers = await startServers(config);
      try {
        progress(`HTTP: ${options.rounds} round(s) of ${options.duration} s per variant`);
        http = await benchmarkHttp(options, servers);
        for (const server of servers) {
          if (ROUND_TRIP_VARIANTS.includes(server.variant.id)) {
            roundTrips[server.variant.id] = await countRoundTrips(
              redis,
              options.roundTripRequests,
              () => runSequential(server, options.roundTripRequests),
            );
          }
        }
      } finally {
        await Promise.all(servers.map((server) => server.process.stop()));
      }
    }
    let stores: BenchResults['stores'] = {};
    if (wants('stores')) {
      progress('Stores');
      stores = await benchmarkStores(options, config);
    }
    let logins: BenchResults['logins'];
    if (wants('logins')) {
      progress('Local identity provider logins');
      logins = await benchmarkLogins({
        duration: options.duration,
        rawVerifications: options.rawVerifications,
        rounds: options.quick ? 1 : 5,
        failedLoginsPerKind: options.quick ? 20 : 60,
      });
    }
    let coherence: CoherenceResult[] = [];
    if (wants('coherence')) {
      progress('Session cache coherence');
      coherence = await measureCoherence(config, options.coherenceSamples);
    }

    let live: BenchResults['live'];
    if (wants('live')) {
      progress('Live auth: grants, revocations and memory with open tabs on two workers');
      live = await benchmarkLive(
        {
          users: options.liveUsers,
          samples: options.liveSamples,
          warmup: options.quick ? 5 : 20,
          revokeSamples: options.liveRevokeSamples,
          revokeWarmup: options.quick ? 2 : 5,
        },
        progress,
      );
    }

    const results: BenchResults = {
      date: new Date().toISOString(),
      machine,
      options,
      http,
      roundTrips,
      stores,
      coherence,
      ...(logins ? { logins } : {}),
      ...(live ? { live } : {}),
    };
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(
      options.out,
      `${JSON.stringify({ ...results, targets: targets(results) }, null, 2)}\n`,
    );
    process.stdout.write(`${formatReport(results)}\n\nRaw results: ${options.out}\n`);
  } finally {
    await redis.dispose();
    rmSync(sqliteDirectory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
