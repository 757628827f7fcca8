import { join } from 'node:path';

/** The parts of a run; `--only` picks some. */
export const BENCH_PARTS = ['http', 'stores', 'coherence', 'logins', 'live'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** How much a run measures: `--quick` for a check in under a minute, the full run for figures. */
export interface BenchOptions {
  quick: boolean;
  parts: BenchPart[];
  /** Rounds over every HTTP variant, each variant once per round in a rotating order. */
  rounds: number;
  /** Seconds of load per variant per round. */
  duration: number;
  /** Seconds of load per server before the first round (JIT, connection pools, caches). */
  warmup: number;
  connections: number;
  /** Requests the Redis commands are counted over. */
  roundTripRequests: number;
  /** Operations per store micro-benchmark. */
  storeOperations: number;
  /** Session changes timed by the cache coherence measure, per kind of change. */
  coherenceSamples: number;
  /** Argon2id verifications the raw hashing rate is measured over. */
  rawVerifications: number;
  /** Live auth: users with 10 open tabs each, over two workers. */
  liveUsers: number;
  /** Live auth: measured grants, and as many baseline emits. */
  liveSamples: number;
  /** Live auth: measured session revocations. */
  liveRevokeSamples: number;
  /** Where the raw results go. */
  out: string;
  /** Write a V8 CPU profile of every HTTP server's first measured load into this directory. */
  profileDirectory?: string;
}

const USAGE = `Usage: npm run bench -- [--quick] [--only http,stores,coherence,logins,live] [--rounds N]
                        [--duration SECONDS] [--connections N] [--out FILE] [--profile DIRECTORY]`;

function positive(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} needs a positive number\n${USAGE}`);
  }
  return value;
}

export function parseBenchOptions(argv: readonly string[], now = new Date()): BenchOptions {
  const quick = argv.includes('--quick');
  const options: BenchOptions = quick
    ? {
        quick,
        parts: [...BENCH_PARTS],
        rounds: 1,
        duration: 1.5,
        warmup: 0.5,
        connections: 32,
        roundTripRequests: 200,
        storeOperations: 1500,
        coherenceSamples: 20,
        rawVerifications: 40,
        liveUsers: 20,
        liveSamples: 40,
        liveRevokeSamples: 10,
        out: '',
      }
    : {
        quick,
        parts: [...BENCH_PARTS],
        rounds: 12,
        duration: 3,
        warmup: 3,
        connections: 32,
        roundTripRequests: 1000,
        // Within the default session cache size: the working set of a warm cache.
        storeOperations: 10_000,
        coherenceSamples: 200,
        rawVerifications: 400,
        liveUsers: 100,
        liveSamples: 300,
        liveRevokeSamples: 50,
        out: '',
      };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    const value = () => argv[++index];
    switch (flag) {
      case '--quick':
        break;
      case '--rounds':
        options.rounds = Math.round(positive(flag, value()));
        break;
      case '--duration':
        options.duration = positive(flag, value());
        break;
      case '--connections':
        options.connections = Math.round(positive(flag, value()));
        break;
      case '--out':
        options.out = value() ?? '';
        break;
      case '--only': {
        const parts = (value() ?? '').split(',');
        if (!parts.every((part): part is BenchPart => BENCH_PARTS.includes(part as BenchPart))) {
          throw new Error(`--only takes some of ${BENCH_PARTS.join(',')}\n${USAGE}`);
        }
        options.parts = parts;
        break;
      }
      case '--profile':
        options.profileDirectory = value();
        if (!options.profileDirectory) {
          throw new Error(`--profile needs a directory\n${USAGE}`);
        }
        break;
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`Unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (!options.out) {
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    options.out = join('bench', 'results', `bench-${quick ? 'quick-' : ''}${stamp}.json`);
  }
  return options;
}
