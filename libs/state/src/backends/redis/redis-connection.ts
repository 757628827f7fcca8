import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { loadOptionalPackage } from '../../common/optional-package';
import {
  StateBackendUnavailableError,
  StateConfigurationError,
  StateError,
  StateStorageFullError,
} from '../../state.errors';
import type { StateBackendHealth } from '../state-backend-health';
import { REDIS_SCRIPTS, type RedisScriptName } from './redis-scripts';

/** Longest a command may take before it fails: store calls fail within 1 s when Redis is gone. */
export const REDIS_COMMAND_TIMEOUT_MS = 800;
/** Longest the boot waits for a first connection before carrying on (and retrying in the background). */
export const REDIS_STARTUP_WAIT_MS = 1500;
/**
 * A command left unanswered this long, while this process was free to read the answer, means
 * that Redis is not answering (hung, or the network drops packets): calls fail fast from then on.
 */
export const REDIS_STALL_MS = 300;
/** How often the connection looks for stalled commands, and probes Redis while it is away. */
export const REDIS_PROBE_INTERVAL_MS = 100;
/** Longest a readiness check waits for Redis to answer PING. */
export const REDIS_HEALTH_TIMEOUT_MS = 500;

/** What `StateBackendUnavailableError` says on Redis: the driver's words stay in its `cause`. */
/** How long `close()` waits for a QUIT before it drops a connection, in ms. */
const QUIT_TIMEOUT_MS = 1000;

const UNAVAILABLE_MESSAGE = 'The Redis state backend is unavailable';
const CLOSED_MESSAGE = 'The Redis state backend is closed';

export interface RedisConnectionOptions {
  redisUrl: string;
  redisPoolSize: number;
  /** Prefix of the state backend's keys and channels. */
  redisPrefix?: string;
  /** An existing client, used as given for commands; its owner closes it. */
  redis?: unknown;
}

/** A client that has the Livegate scripts defined as commands. */
type ScriptedRedis = Redis &
  Record<RedisScriptName, (...args: (string | number)[]) => Promise<unknown>>;

type RedisConstructor = new (...args: unknown[]) => Redis;

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;
const PERMISSION_ERROR = /NOPERM/i;
const OUT_OF_MEMORY = /^OOM\b/;
const COMMAND_TIMED_OUT = 'Command timed out';

/** A subscriber keeps its queue, so subscriptions made while offline are sent on connect. */
const SUBSCRIBER_OPTIONS: RedisOptions = Object.freeze({
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  commandTimeout: undefined,
});

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

/**
 * ioredis, loaded when a Redis backend is created: an app on another backend never loads it, and
 * one without the package installed learns what to install.
 */
function loadRedisDriver(): RedisConstructor {
  return loadOptionalPackage<{ default: RedisConstructor }>(
    'ioredis',
    'The Redis state backend (LIVEGATE_DEPLOY__STATE_BACKEND=redis)',
    'ioredis@5',
  ).default;
}

function createClient(Driver: RedisConstructor, url: string, options: RedisOptions): Redis {
  return url.startsWith('unix://') ? new Driver(options) : new Driver(url, options);
}

function isRedisClient(value: unknown): value is Redis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).duplicate === 'function' &&
    typeof (value as Redis).defineCommand === 'function'
  );
}

/** An error Redis answered with, as opposed to one of the connection or of the caller. */
function isReplyError(error: unknown): error is Error & { previousErrors?: Error[] } {
  return error instanceof Error && error.name === 'ReplyError';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Settles like `promise`, or rejects with `DeadlineExceeded` after `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(ms)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** The reason every call in flight is failed with when the connection learns Redis is away. */
class RedisWentAway extends Error {}

/** One call in flight, and how to fail it at once. */
interface Call {
  readonly startedAt: number;
  readonly fail: (error: Error) => void;
}

/** Options of `StateRedisConnection.duplicate`. */
export interface RedisDuplicateOptions {
  /**
   * A connection for SUBSCRIBE / PSUBSCRIBE: it keeps an offline queue (subscriptions made while
   * Redis is away are sent when it is back) and has no command timeout. Default `false`: the
   * command settings (no offline queue, the short command timeout, no retries per request).
   */
  subscriber?: boolean;
}

/**
 * The Redis connection of the state backend, for the libraries that share it (a token store, the
 * socket.io Redis adapter). Injectable by this type from `StateModule`, whose provider holds
 * `undefined` when the backend is not Redis, so a library asks for it with
 * `@Optional() @Inject(StateRedisConnection) redis?: StateRedisConnection` and falls back (or
 * refuses to start) by itself.
 */
export abstract class StateRedisConnection {
  /** Prefix of the state backend's keys and channels (`REDIS_PREFIX`); put shared keys under it. */
  abstract readonly prefix: string;
  /**
   * A command client of the state backend (the first of its pool): no offline queue, a short
   * command timeout, reconnecting forever. Owned by the state backend: do not close it, and prefer
   * `run`, which fails fast while Redis is known to be away.
   */
  abstract readonly client: Redis;
  /** Whether Redis answers right now: while it does not, `run` fails at once. */
  abstract readonly available: boolean;
  /**
   * Runs commands on a pooled client. While Redis is known to be away (down, hung, or not
   * answering within `REDIS_STALL_MS`) it throws `StateBackendUnavailableError` at once, without a
   * round trip; driver failures become `StateBackendUnavailableError` with a stable message and
   * the driver's error as `cause`; Redis out of memory is `StateStorageFullError`.
   */
  abstract run<T>(command: (client: Redis) => Promise<T>): Promise<T>;
  /**
   * A new connection to the same server with the same fail-fast settings (or a subscriber's, see
   * `RedisDuplicateOptions`), already connecting, with an `error` listener attached: without one
   * ioredis reports every failed reconnect. Its owner may `quit()` it; the state backend closes
   * the ones still open when it shuts down.
   */
  abstract duplicate(options?: RedisDuplicateOptions): Redis;
}

/**
 * The Redis connections of one process: command connections (a pool), and one subscriber. Every
 * command goes through `run`, which turns any Redis or network failure into a
 * `StateBackendUnavailableError`, and fails fast while Redis is known to be away: a connection
 * that closes, a command that times out, or one left unanswered for `REDIS_STALL_MS` marks Redis
 * unavailable (failing every call in flight at once); a PING on every pooled connection, sent in
 * the background, marks it available again. The healthy path sends nothing extra: the probes run
 * only while Redis is away. Losing and regaining Redis is logged once each.
 */
export class RedisConnection extends StateRedisConnection {
  private readonly logger = new Logger('RedisState');
  private readonly clients: ScriptedRedis[];
  /** Connections this process opened and closes: the pool, the subscriber, duplicates. */
  private readonly owned = new Set<Redis>();
  /** Calls in flight, oldest first. */
  private readonly calls = new Set<Call>();
  private readonly timer: NodeJS.Timeout;
  private lastTick = Date.now();
  private next = 0;
  private closed = false;
  private started = false;
  /** Whether Redis is known to answer; calls are sent only while it is. */
  private up = false;
  private downSince = Date.now();
  private probing = false;
  /** A pooled connection was re-established while Redis was away: `onReady` runs on recovery. */
  private reconnected = false;
  private onReady: () => Promise<void> = async () => undefined;
  readonly prefix: string;
  readonly subscriber: Redis;

  constructor(private readonly options: RedisConnectionOptions) {
    super();
    this.prefix = options.redisPrefix ?? 'livegate';
    if (options.redis !== undefined) {
      if (!isRedisClient(options.redis)) {
        throw new StateConfigurationError('The redis option must be an ioredis client');
      }
      this.clients = [options.redis as ScriptedRedis];
      this.subscriber = options.redis.duplicate({ ...SUBSCRIBER_OPTIONS, lazyConnect: true });
    } else {
      const Driver = loadRedisDriver();
      const clientOptions = redisClientOptions(options.redisUrl);
      this.clients = Array.from(
        { length: options.redisPoolSize },
        () => createClient(Driver, options.redisUrl, clientOptions) as ScriptedRedis,
      );
      this.clients.forEach((client) => this.owned.add(client));
      this.subscriber = createClient(Driver, options.redisUrl, {
        ...clientOptions,
        ...SUBSCRIBER_OPTIONS,
      });
    }
    this.owned.add(this.subscriber);
    // Without a listener ioredis logs every failed reconnect; retries are expected here.
    this.subscriber.on('error', () => undefined);
    for (const client of this.clients) {
      for (const [name, script] of Object.entries(REDIS_SCRIPTS)) {
        client.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
      }
      client.on('error', () => undefined);
      client.on('close', () => this.markDown('the connection closed'));
      client.on('ready', () => {
        if (this.started) {
          this.reconnected = true;
          this.probe();
        }
      });
    }
    this.timer = setInterval(() => this.tick(), REDIS_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  get client(): Redis {
    return this.clients[0];
  }

  get available(): boolean {
    return this.up && !this.closed;
  }

  /**
   * Connects every connection, waiting a bounded time. Authentication and permission failures
   * stop the boot; an unreachable server does not: the connections keep retrying, store calls
   * fail fast until it is back, and `onReady` runs then (and after every later reconnect).
   */
  async start(onReady: () => Promise<void>): Promise<void> {
    this.onReady = onReady;
    const connections = [...new Set([...this.clients, this.subscriber])];
    const outcomes = await Promise.all(connections.map((client) => this.connect(client)));
    const authFailure = outcomes.find((error) => error && AUTH_ERROR.test(error.message));
    if (authFailure) {
      await this.close();
      throw new StateConfigurationError(
        `Redis rejected the credentials in the Redis URL: ${authFailure.message}`,
      );
    }
    this.started = true;
    if (!this.poolReady()) {
      this.downSince = Date.now();
      this.logger.warn(
        `Redis is unavailable (${outcomes.find(Boolean)?.message ?? this.client.status}); ` +
          'state calls fail fast with StateBackendUnavailableError until it answers.',
      );
      // The checks and the seeding of `onReady` are still to do: they run once Redis answers.
      this.reconnected = true;
      this.probe();
      return;
    }
    this.reconnected = false;
    this.up = true;
    try {
      await onReady();
    } catch (error) {
      const message = messageOf(error instanceof StateError ? (error.cause ?? error) : error);
      if (PERMISSION_ERROR.test(message) || AUTH_ERROR.test(message)) {
        await this.close();
        throw new StateConfigurationError(
          `The Redis user lacks a permission Livegate needs: ${message}`,
        );
      }
      if (error instanceof StateBackendUnavailableError && !this.up) {
        // Redis went away between connecting and the checks: boot as if it had been away at
        // connect, and run the checks once it answers again.
        this.reconnected = true;
        this.probe();
        return;
      }
      await this.close();
      throw error;
    }
  }

  /** Runs one command (or script, or MULTI) on a pooled client, failing closed and fast. */
  async run<T>(command: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new StateBackendUnavailableError(CLOSED_MESSAGE);
    }
    if (!this.up) {
      throw new StateBackendUnavailableError(UNAVAILABLE_MESSAGE);
    }
    const client = this.clients[this.next];
    this.next = (this.next + 1) % this.clients.length;
    let fail!: (error: Error) => void;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const call: Call = { startedAt: Date.now(), fail };
    this.calls.add(call);
    try {
      return await Promise.race([command(client), failed]);
    } catch (error) {
      throw this.toStateError(error, client);
    } finally {
      this.calls.delete(call);
    }
  }

  /**
   * Readiness: every connection ready, and a PING on each pooled one answered within
   * `REDIS_HEALTH_TIMEOUT_MS`. No round trip while Redis is known to be away.
   */
  async health(): Promise<StateBackendHealth> {
    if (this.closed) {
      return { status: 'down', message: CLOSED_MESSAGE };
    }
    if (!this.up || !this.poolReady() || this.subscriber.status !== 'ready') {
      return { status: 'down', message: 'Redis is not connected or not answering' };
    }
    try {
      await withDeadline(
        Promise.all(this.clients.map((client) => client.ping())),
        REDIS_HEALTH_TIMEOUT_MS,
      );
      return { status: 'up' };
    } catch (error) {
      if (error instanceof DeadlineExceeded) {
        this.markDown(`PING got ${error.message}`);
        return {
          status: 'down',
          message: `Redis did not answer within ${REDIS_HEALTH_TIMEOUT_MS} ms`,
        };
      }
      this.noteFailure(error, this.client);
      return { status: 'down', message: 'Redis is not connected or not answering' };
    }
  }

  duplicate(options: RedisDuplicateOptions = {}): Redis {
    if (this.closed) {
      throw new StateBackendUnavailableError(CLOSED_MESSAGE);
    }
    const settings: RedisOptions = options.subscriber
      ? SUBSCRIBER_OPTIONS
      : {
          enableOfflineQueue: false,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 0,
        };
    const client = this.client.duplicate({ ...settings, lazyConnect: false });
    client.on('error', () => undefined);
    client.once('end', () => this.owned.delete(client));
    this.owned.add(client);
    return client;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.timer);
    this.failCalls(new StateBackendUnavailableError(CLOSED_MESSAGE));
    await Promise.allSettled(
      [...this.owned].map(async (client) => {
        if (client.status === 'ready') {
          // QUIT lets Redis finish what was sent; a connection that dies meanwhile would
          // otherwise reconnect, so it is disconnected (no more reconnects) in any case.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            client.quit(),
            new Promise((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS))),
          ]).catch(() => undefined);
          clearTimeout(timer);
        }
        client.disconnect();
      }),
    );
    this.owned.clear();
  }

  /** The state error a failed call stands for; notes when the failure says Redis is away. */
  private toStateError(error: unknown, client: Redis): StateError {
    if (error instanceof StateError) {
      return error;
    }
    if (isReplyError(error)) {
      // Redis answered: it is there, it refused this command.
      const errors = [error, ...(error.previousErrors ?? [])];
      if (errors.some((reply) => OUT_OF_MEMORY.test(reply.message))) {
        return new StateStorageFullError(
          'Redis is out of memory (maxmemory reached); nothing was written',
          { cause: error },
        );
      }
      return new StateBackendUnavailableError(UNAVAILABLE_MESSAGE, { cause: error });
    }
    this.noteFailure(error, client);
    return new StateBackendUnavailableError(UNAVAILABLE_MESSAGE, { cause: error });
  }

  /** Marks Redis away when a failure says so: a timeout, or a connection no longer ready. */
  private noteFailure(error: unknown, client: Redis): void {
    if (error instanceof RedisWentAway || isReplyError(error)) {
      return;
    }
    const message = messageOf(error);
    if (message === COMMAND_TIMED_OUT) {
      this.markDown(`a command got no answer within ${REDIS_COMMAND_TIMEOUT_MS} ms`);
    } else if (client.status !== 'ready') {
      this.markDown(message);
    }
  }

  private poolReady(): boolean {
    return this.clients.every((client) => client.status === 'ready');
  }

  /** Redis is away: calls fail fast from now on, and those in flight fail now. */
  private markDown(reason: string): void {
    if (!this.up || this.closed) {
      return;
    }
    this.up = false;
    this.downSince = Date.now();
    this.logger.warn(
      `Redis is unavailable (${reason}); state calls fail fast with ` +
        'StateBackendUnavailableError until it answers again.',
    );
    this.failCalls(new RedisWentAway(reason));
  }

  private markUp(): void {
    if (this.up || this.closed) {
      return;
    }
    this.up = true;
    this.logger.log(
      `Redis is available again (unavailable for ${Date.now() - this.downSince} ms).`,
    );
    if (this.reconnected) {
      this.reconnected = false;
      this.onReady().catch((error: unknown) =>
        this.logger.warn(
          `Redis reconnect check failed: ${messageOf(error instanceof StateError ? (error.cause ?? error) : error)}`,
        ),
      );
    }
  }

  private failCalls(error: Error): void {
    for (const call of this.calls) {
      call.fail(error);
    }
    this.calls.clear();
  }

  /** Every `REDIS_PROBE_INTERVAL_MS`: looks for a stalled call while up, probes while down. */
  private tick(): void {
    const now = Date.now();
    // A late tick means this process was busy: answers may be waiting unread, not missing.
    const late = now - this.lastTick > REDIS_PROBE_INTERVAL_MS * 2;
    this.lastTick = now;
    if (!this.started || this.closed) {
      return;
    }
    if (!this.up) {
      this.probe();
      return;
    }
    const oldest = this.calls.values().next().value;
    if (!late && oldest && now - oldest.startedAt > REDIS_STALL_MS) {
      this.markDown(`a command got no answer within ${REDIS_STALL_MS} ms`);
    }
  }

  /** One PING per pooled connection, one probe at a time: all answered means Redis is back. */
  private probe(): void {
    if (this.up || this.probing || this.closed || !this.poolReady()) {
      return;
    }
    this.probing = true;
    withDeadline(
      Promise.all(this.clients.map((client) => client.ping())),
      REDIS_COMMAND_TIMEOUT_MS + REDIS_PROBE_INTERVAL_MS,
    ).then(
      () => {
        this.probing = false;
        if (this.poolReady()) {
          this.markUp();
        }
      },
      () => {
        this.probing = false;
      },
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
