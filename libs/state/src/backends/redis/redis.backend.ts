import { Logger } from '@nestjs/common';
import {
  DEFAULT_SESSION_CACHE_SIZE,
  DEFAULT_SESSION_CACHE_TTL,
  type ResolvedStateOptions,
} from '../../state.options';
import type { StateBackend } from '../state-backend';
import { RedisChatStore } from './redis-chat.store';
import { RedisConnection } from './redis-connection';
import { RedisConnectionRouter } from './redis-connection.router';
import { RedisEventBus } from './redis-event.bus';
import { RedisKeys } from './redis-keys';
import { RedisSessionStore } from './redis-session.store';
import { RedisTransientStore } from './redis-transient.store';
import { RedisWidgetStore } from './redis-widget.store';

/**
 * The session cache options and the session max lifetime may be left out: they then take the
 * module's defaults.
 */
export type RedisBackendOptions = Pick<
  ResolvedStateOptions,
  | 'redisUrl'
  | 'redisPrefix'
  | 'redisPoolSize'
  | 'redis'
  | 'widgetTtl'
  | 'connectionTtl'
  | 'sessionTtl'
  | 'workerId'
> &
  Partial<
    Pick<ResolvedStateOptions, 'sessionCacheSize' | 'sessionCacheTtl' | 'sessionMaxLifetime'>
  >;

/** Eviction policies under which Redis never drops a key to make room. */
const SAFE_EVICTION = new Set(['noeviction']);

/**
 * Every store on Redis, sharing one command connection (or pool) and one subscriber. On every
 * (re)connect it checks that the user may run what the stores need, seeds the role table and
 * warns when Redis may evict sessions.
 */
export async function createRedisBackend(options: RedisBackendOptions): Promise<StateBackend> {
  const logger = new Logger('RedisState');
  const redis = new RedisConnection(options);
  const keys = new RedisKeys(options.redisPrefix);
  const sessions = new RedisSessionStore(redis, keys, {
    sessionTtl: options.sessionTtl,
    sessionMaxLifetime: options.sessionMaxLifetime,
    sessionCacheSize: options.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE,
    sessionCacheTtl: options.sessionCacheTtl ?? DEFAULT_SESSION_CACHE_TTL,
  });
  const backend: StateBackend = {
    name: 'redis',
    widgets: new RedisWidgetStore(redis, keys, options.widgetTtl),
    events: new RedisEventBus(redis, keys, options.workerId),
    connections: new RedisConnectionRouter(redis, keys, options.connectionTtl),
    sessions,
    chats: new RedisChatStore(redis, keys),
    transient: new RedisTransientStore(redis, keys),
    redis,
    health: () => redis.health(),
    close: async () => {
      sessions.close();
      await redis.close();
    },
  };

  const started = redis.start(async () => {
    // A write, a script and publishes under the prefix (event and session invalidation channels,
    // the scripts publish on the latter): a user without these rights fails here.
    await redis.run(async (client) => {
      await client.set(keys.probe(options.workerId), '1', 'PX', 1000);
      await client.livegateWidgetCount(keys.activeWidgets);
      await client.publish(keys.channel('probe'), '');
      await client.publish(keys.sessionInvalidations, '');
    });
    await sessions.seedRoles();
    await warnOnEviction(redis, logger);
  });
  try {
    await started;
  } catch (error) {
    // Nothing may stay behind a failed boot: a connection left open would reconnect forever.
    sessions.close();
    await redis.close();
    throw error;
  }
  return backend;
}

async function warnOnEviction(redis: RedisConnection, logger: Logger): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.run((client) =>
      client.config('GET', 'maxmemory-policy'),
    )) as string[];
    policy = reply[1];
  } catch {
    // Managed Redis services often forbid CONFIG; the policy is then theirs to document.
    return;
  }
  if (policy && !SAFE_EVICTION.has(policy)) {
    logger.warn(
      `Redis maxmemory-policy is '${policy}': under memory pressure Redis may evict sessions ` +
        `and widgets. Use 'noeviction' for the Livegate database.`,
    );
  }
}
