import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { stopChildProcess } from '@livegate/state/testing';

/** How long a benchmark process may take to start, and to answer one request. */
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 120_000;

/** The entry point of a benchmark process beside the calling module, compiled or not. */
export function entryBeside(directory: string, name: string): string {
  return join(directory, `${name}${extname(__filename)}`);
}

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/**
 * One benchmark process (a server, a store benchmark, a cache worker), forked with an IPC channel.
 * It announces itself with `{ type: 'ready', ...details }` and then answers requests sent with
 * `request`, one reply per request id.
 */
export class BenchProcess {
  private output = '';
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => this.remember(chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.remember(chunk));
    child.on('message', (message: Reply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) {
        return;
      }
      this.pending.delete(message.id);
      if (message.error !== undefined) {
        waiter.reject(new Error(`${name}: ${message.error}`));
      } else {
        waiter.resolve(message.result);
      }
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${name} exited (${code ?? signal})\n${this.output}`));
      }
      this.pending.clear();
    });
  }

  /** Forks `entry` and waits (bounded) for its ready message. */
  static async start<Ready>(
    name: string,
    entry: string,
    args: string[],
    options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {},
  ): Promise<{ process: BenchProcess; ready: Ready }> {
    const child = fork(entry, args, {
      // The same loader flags as this process (path mapping, and ts-node when run from source).
      execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const started = new BenchProcess(name, child);
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms\n${started.output}`));
      }, START_TIMEOUT_MS);
      child.on('message', (message: { type?: string }) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message as Ready);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`${name} exited (${code ?? signal}) before it was ready\n${started.output}`),
        );
      });
    }).catch(async (error: unknown) => {
      await started.stop();
      throw error;
    });
    return { process: started, ready };
  }

  /** Sends one request and waits (bounded) for its reply. */
  request<T>(type: string, payload: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name} did not answer ${type} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, type, ...payload });
    });
  }

  /** Stops the process: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    await stopChildProcess(this.child, 'SIGTERM', 5000);
  }

  private remember(chunk: Buffer): void {
    // Enough of the tail to explain a failure.
    this.output = (this.output + chunk.toString()).slice(-8000);
  }
}

type Handler = (message: Record<string, unknown>) => unknown;

/**
 * The child side: announces readiness and answers requests by type. A handler's error is sent
 * back as the reply's error. The process exits when its parent goes away.
 */
export function serveBenchRequests(
  ready: Record<string, unknown>,
  handlers: Record<string, Handler>,
  close: () => Promise<void>,
): void {
  const shutdown = () => {
    close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('disconnect', shutdown);
  process.on('message', (message: { id: number; type: string } & Record<string, unknown>) => {
    const handler = handlers[message.type];
    Promise.resolve()
      .then(() => {
        if (!handler) {
          throw new Error(`unknown request ${message.type}`);
        }
        return handler(message);
      })
      .then(
        (result) => process.send!({ id: message.id, result }),
        (error: unknown) =>
          process.send!({
            id: message.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  process.send!({ type: 'ready', ...ready });
}
