import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, stopChildProcess, waitFor } from '@livegate/state/testing';

const ROOT = join(__dirname, '..', '..');

/** Node's arguments that run a TypeScript file of this repository (a path from its root). */
export function tsScriptArgs(script: string, ...args: string[]): string[] {
  return [
    '-r',
    'ts-node/register/transpile-only',
    '-r',
    'tsconfig-paths/register',
    join(ROOT, script),
    ...args,
  ];
}

/** The environment `tsScriptArgs` needs beside the script's own. */
export const TS_SCRIPT_ENV = { TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') };

/** One worker process (`state-worker.main.ts` unless told otherwise), driven over HTTP on loopback. */
export class WorkerProcess {
  private output = '';

  private constructor(
    readonly workerId: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /**
   * Starts a worker with `LIVEGATE_*` from `env` and waits (bounded) until it answers `/health`.
   * `script` is a file of `test/support`; `port` a port chosen beforehand.
   */
  static async start(
    workerId: string,
    env: Record<string, string>,
    { script = 'state-worker.main.ts', port }: { script?: string; port?: number } = {},
  ): Promise<WorkerProcess> {
    port ??= await freePort();
    const child = spawn(process.execPath, tsScriptArgs(join('test/support', script)), {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...TS_SCRIPT_ENV,
        PORT: String(port),
        LIVEGATE_DEPLOY__WORKER_ID: workerId,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(workerId, port, child);
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`Worker ${workerId} exited with ${child.exitCode}:\n${worker.output}`);
        }
        try {
          return (await fetch(`${worker.url}/health`)).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `worker ${workerId} answering` },
    );
    return worker;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  async request<T = unknown>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Sends a signal and waits (bounded) for the process to end. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return stopChildProcess(this.child, signal, 10_000);
  }
}
