// npm run demo:cluster
//
// Two demo workers on a Redis of their own, for trying live auth across processes: a private
// redis-server on a Unix socket in a temporary folder (stopped and removed on exit), and two
// workers (apps/demo/src/main.ts) on it, on PORT and PORT + 1 (default 3000 and 3001). They share
// the demo's data folder: its SQLite user store (or LIVEGATE_LIVE_AUTH__* as set) and its
// development token secret. Ctrl+C stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RedisTestServer, stopChildProcess, waitFor } from '@livegate/state/testing';

const ROOT = join(__dirname, '..', '..', '..');
const print = (line: string) => process.stdout.write(`${line}\n`);

/** Starts one worker and waits (bounded) until it answers /health. */
async function startWorker(
  name: string,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      join(ROOT, 'apps/demo/src/main.ts'),
    ],
    {
      cwd: process.cwd(),
      env: { ...env, PORT: String(port), LIVEGATE_DEPLOY__WORKER_ID: name },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  await waitFor(
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`${name} exited with ${child.exitCode} (is port ${port} free?)`);
      }
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, intervalMs: 200, description: `${name} answering on port ${port}` },
  );
  return child;
}

async function main(): Promise<number> {
  const first = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(first) || first < 1 || first > 65534) {
    print(`PORT must be a port number (got ${JSON.stringify(process.env.PORT)})`);
    return 2;
  }
  const redis = await RedisTestServer.start();
  const workers: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(workers.map((worker) => stopChildProcess(worker, 'SIGTERM', 10_000)));
      await redis.dispose();
    })());
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    print(`redis-server on ${redis.socketPath} (pid ${redis.pid})`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
    };
    // One after the other: the first makes the data folder's secret and user store.
    for (const [index, name] of ['worker-1', 'worker-2'].entries()) {
      workers.push(await startWorker(name, first + index, env));
    }
    print('');
    print(`Worker 1: http://127.0.0.1:${first}/live`);
    print(`Worker 2: http://127.0.0.1:${first + 1}/live`);
    print('Sign in on one, open the other in a second tab, and press Grant admin. Ctrl+C stops.');
    await new Promise<void>((resolve) => {
      for (const worker of workers) {
        worker.once('exit', () => resolve());
      }
    });
    if (stopping) {
      // Ctrl+C: the signal handler is stopping everything.
      await stopping;
      return 0;
    }
    print('A worker stopped: stopping the cluster.');
    return 1;
  } catch (error) {
    print(`demo:cluster failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    print(`demo:cluster failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
