import { Logger } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import {
  StateBackendUnavailableError,
  StateConfigurationError,
  StateError,
} from '../../state.errors';
import { REDIS_SCRIPTS, type RedisScriptName } from './redis-scripts';

/** Longest a command may take before it fails: store calls fail within 1 s when Redis is gone. */
export const REDIS_COMMAND_TIMEOUT_MS = 800;
/** Longest the boot waits for a first connection before carrying on (and retrying in the background). */
export const REDIS_STARTUP_WAIT_MS = 1500;

export interface RedisConnectionOptions {
  redisUrl: string;
  redisPoolSize: number;
  /** An existing client, used as given for commands; its owner closes it. */
  redis?: unknown;
}

/** A client that has the Livegate scripts defined as commands. */
type ScriptedRedis = Redis &
  Record<RedisScriptName, (...args: (string | number)[]) => Promise<unknown>>;

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;
const PERMISSION_ERROR = /NOPERM/i;

/** ioredis options: fail fast (no offline queue, short command timeout), reconnect forever. */
export function redisClientOptions(url: string): RedisOptions {
  const base: RedisOptions = {
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
  };
  if (url.startsWith('unix://')) {
    // unix:///path/to/redis.sock?username=u&password=p&db=0
    const [path, query = ''] = url.slice('unix://'.length).split('?');
    const params = new URLSearchParams(query);
    const db = params.has('db') ? Number(params.get('db')) : undefined;
    if (db !== undefined && !(Number.isInteger(db) && db >= 0)) {
      throw new StateConfigurationError(
        `The Redis URL names an invalid database: ${params.get('db')}`,
      );
    }
    return {
      ...base,
      path: decodeURIComponent(path),
      username: params.get('username') ?? undefined,
      password: params.get('password') ?? undefined,
      db,
    };
  }
  return base;
}

function createClient(url: string, options: RedisOptions): Redis {
  return url.startsWith('unix://') ? new Redis(options) : new Redis(url, options);
}

function isRedisClient(value: unknown): value is Redis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).duplicate === 'function' &&
    typeof (value as Redis).defineCommand === 'function'
  );
}

/**
 * The Redis connections of one process: a command connection (or a pool), and one subscriber.
 * Every command goes through `run`, which turns any Redis or network failure into a
 * `StateBackendUnavailableError`.
 */
export class RedisConnection {
  private readonly logger = new Logger('RedisState');
  private readonly clients: ScriptedRedis[];
  private readonly owned: Redis[] = [];
  private next = 0;
  private closed = false;
  readonly subscriber: Redis;

  constructor(private readonly options: RedisConnectionOptions) {
    if (options.redis !== undefined) {
      if (!isRedisClient(options.redis)) {
        throw new StateConfigurationError('The redis option must be an ioredis client');
      }
      this.clients = [options.redis as ScriptedRedis];
      // A subscriber keeps its queue so subscriptions made while offline are sent on connect.
      this.subscriber = options.redis.duplicate({
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        lazyConnect: true,
      });
    } else {
      const clientOptions = redisClientOptions(options.redisUrl);
      this.clients = Array.from(
        { length: options.redisPoolSize },
        () => createClient(options.redisUrl, clientOptions) as ScriptedRedis,
      );
      this.owned.push(...this.clients);
      this.subscriber = createClient(options.redisUrl, {
        ...clientOptions,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        commandTimeout: undefined,
      });
    }
    this.owned.push(this.subscriber);
    for (const client of [...this.clients, this.subscriber]) {
      for (const [name, script] of Object.entries(REDIS_SCRIPTS)) {
        if (client === this.subscriber) {
          break;
        }
        client.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
      }
      // Without a listener ioredis logs every failed reconnect; retries are expected here.
      client.on('error', () => undefined);
    }
  }

  /**
   * Connects every connection, waiting a bounded time. Authentication and permission failures
   * stop the boot; an unreachable server does not: the connections keep retrying and store calls
   * fail fast until it is back.
   */
  async start(onReady: () => Promise<void>): Promise<void> {
    const connections = [...new Set([...this.clients, this.subscriber])];
    const outcomes = await Promise.all(connections.map((client) => this.connect(client)));
    const authFailure = outcomes.find((error) => error && AUTH_ERROR.test(error.message));
    if (authFailure) {
      await this.close();
      throw new StateConfigurationError(
        `Redis rejected the credentials in the Redis URL: ${authFailure.message}`,
      );
    }
    const primary = this.clients[0];
    primary.on('ready', () => {
      onReady().catch((error: unknown) =>
        this.logger.warn(`Redis reconnect check failed: ${String(error)}`),
      );
    });
    if (primary.status !== 'ready') {
      this.logger.warn(
        `Redis is not reachable (${outcomes.find(Boolean)?.message ?? primary.status}); ` +
          'state calls fail with StateBackendUnavailableError until it is back.',
      );
      return;
    }
    try {
      await onReady();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (PERMISSION_ERROR.test(message) || AUTH_ERROR.test(message)) {
        await this.close();
        throw new StateConfigurationError(
          `The Redis user lacks a permission Livegate needs: ${message}`,
        );
      }
      throw error;
    }
  }

  /** Runs one command (or script, or MULTI) on a pooled client, failing closed and fast. */
  async run<T>(command: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new StateBackendUnavailableError('The Redis state backend is closed');
    }
    const client = this.clients[this.next];
    this.next = (this.next + 1) % this.clients.length;
    try {
      return await command(client);
    } catch (error) {
      if (error instanceof StateError) {
        throw error;
      }
      throw new StateBackendUnavailableError(
        `Redis command failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await Promise.allSettled(
      this.owned.map(async (client) => {
        if (client.status === 'ready') {
          await client.quit();
        } else {
          client.disconnect();
        }
      }),
    );
  }

  private async connect(client: Redis): Promise<Error | undefined> {
    if (client.status === 'ready') {
      return undefined;
    }
    let lastError: Error | undefined;
    const onError = (error: Error) => {
      lastError = error;
    };
    client.on('error', onError);
    try {
      if (client.status === 'wait') {
        client.connect().catch((error: Error) => {
          lastError = error;
        });
      }
      const deadline = Date.now() + REDIS_STARTUP_WAIT_MS;
      const isReady = () => (client.status as string) === 'ready';
      while (!isReady() && Date.now() < deadline) {
        if (lastError && AUTH_ERROR.test(lastError.message)) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return isReady() ? undefined : (lastError ?? new Error(client.status));
    } finally {
      client.off('error', onError);
    }
  }
}
