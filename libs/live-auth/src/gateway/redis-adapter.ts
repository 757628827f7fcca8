import { Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { StateRedisConnection } from '@livegate/state';
import type Redis from 'ioredis';
import type { Server } from 'socket.io';

const logger = new Logger('LiveAuthGateway');

/**
 * The publishing client of the socket.io Redis adapter: state's command client, but with a
 * `publish` that never rejects. The adapter drops the promise of every publish, so a publish that
 * fails while Redis is away would be an unhandled rejection and end the process.
 */
function guardedPublisher(client: Redis, dropped: () => void): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'publish') {
        return (...args: Parameters<Redis['publish']>) =>
          (target.publish(...args) as Promise<number>).catch(() => {
            dropped();
            return 0;
          });
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/**
 * Installs `@socket.io/redis-adapter` on the server, on state's Redis: its subscriber is a
 * connection of its own made (and connecting) first, with an offline queue so its PSUBSCRIBE is
 * sent as soon as Redis answers; broadcasts, rooms and `fetchSockets` then span every worker.
 * Returns the subscriber, whose `ready` means Redis is back after an outage.
 */
export function installRedisAdapter(server: Server, redis: StateRedisConnection): Redis {
  const subscriber = redis.duplicate({ subscriber: true });
  let droppedCount = 0;
  const publisher = guardedPublisher(redis.client, () => {
    droppedCount += 1;
    if (droppedCount === 1 || droppedCount % 1000 === 0) {
      logger.warn(`A socket.io broadcast could not reach Redis (${droppedCount} so far)`);
    }
  });
  server.adapter(createAdapter(publisher, subscriber, { key: `${redis.prefix}:socket.io` }));
  return subscriber;
}
