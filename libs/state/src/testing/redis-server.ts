import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChildProcess } from './child-process';
import { sleep } from './wait';

export interface RedisTestServerOptions {
  /** Persist with an append-only file (fsync on every write), so a restart keeps the data. */
  appendOnly?: boolean;
  /** `requirepass` of the default user. */
  password?: string;
  /** More `redis-server` arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  args?: string[];
}

/** Calls per command from an `INFO commandstats` reply (`cmdstat_<name>:calls=<n>,...`). */
export function commandCallsOf(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1]] = Number(match[2]);
  }
  return calls;
}

/**
 * A private `redis-server` for tests: its own temporary directory, listening only on a Unix
 * socket there, stopped by pid. `redis-server` must be on the PATH.
 */
export class RedisTestServer {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly directory: string,
    private readonly options: RedisTestServerOptions,
  ) {}

  /** Starts a server and waits (at most 10 s) until it answers PING. */
  static async start(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
    const server = new RedisTestServer(mkdtempSync(join(tmpdir(), 'livegate-redis-')), options);
    await server.launch();
    return server;
  }

  get socketPath(): string {
    return join(this.directory, 'redis.sock');
  }

  /** A `unix://` URL for `LIVEGATE_DEPLOY__REDIS_URL` / the `redisUrl` option. */
  get url(): string {
    return `unix://${this.socketPath}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s); the directory and its files stay. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child) {
      await stopChildProcess(child, 'SIGTERM', 5000);
    }
  }

  /** Stops and starts the server on the same socket and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Starts a server that `stop` stopped again, on the same socket and data directory. */
  async resume(): Promise<void> {
    if (!this.process) {
      await this.launch();
    }
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Sends one command in the inline protocol and returns the raw reply. */
  async command(...words: string[]): Promise<string> {
    const auth = this.options.password ? `AUTH ${this.options.password}\r\n` : '';
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      let reply = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`redis-server did not answer ${words[0]}`));
      }, 2000);
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('data', (chunk) => {
        reply += chunk.toString();
      });
      socket.on('end', () => {
        clearTimeout(timer);
        resolve(auth ? reply.replace(/^\+OK\r\n/, '') : reply);
      });
      socket.end(`${auth}${words.join(' ')}\r\nQUIT\r\n`);
    });
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      '0',
      '--unixsocket',
      this.socketPath,
      '--unixsocketperm',
      '700',
      '--dir',
      this.directory,
      '--save',
      '',
      '--appendonly',
      this.options.appendOnly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      ...(this.options.password ? ['--requirepass', this.options.password] : []),
      ...(this.options.args ?? []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const failed = new Promise<Error>((resolve) => {
      child.once('error', (error) => resolve(error));
      child.once('exit', (code) => resolve(new Error(`redis-server exited with ${code}`)));
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const outcome = await Promise.race([failed, this.ping(), sleep(50).then(() => false)]);
      if (outcome instanceof Error) {
        throw new Error(
          `Could not start redis-server (is it installed?): ${outcome.message}\n${this.output}`,
        );
      }
      if (outcome === true) {
        return;
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`redis-server did not become ready within 10 s\n${this.output}`);
      }
    }
  }

  private async ping(): Promise<boolean> {
    try {
      const reply = await this.command('PING');
      return reply.includes('PONG') || reply.includes('NOAUTH');
    } catch {
      return false;
    }
  }
}
