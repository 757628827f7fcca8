import { randomBytes } from 'node:crypto';
import {
  describeChatAuditContract,
  describeChatStoreContract,
  describeConnectionRouterContract,
  describeEventBusContract,
  describeSessionStoreContract,
  describeWidgetStoreContract,
  RedisTestServer,
  type ContractFactory,
  type ContractTtls,
} from '../../testing';
import type { StateBackend } from '../state-backend';
import { createRedisBackend } from './redis.backend';

let server: RedisTestServer;

beforeAll(async () => {
  server = await RedisTestServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

/** A fresh Redis backend per test, isolated by a random key prefix on the shared test server. */
function redisFactory<T>(pick: (backend: StateBackend) => T): ContractFactory<T> {
  return async (ttls: ContractTtls) => {
    const backend = await createRedisBackend({
      ...ttls,
      redisUrl: server.url,
      redisPrefix: `contract-${randomBytes(6).toString('hex')}`,
      redisPoolSize: 1,
      workerId: 'contract',
    });
    return { store: pick(backend), teardown: () => backend.close() };
  };
}

describeWidgetStoreContract(
  'redis',
  redisFactory((backend) => backend.widgets),
);
describeEventBusContract(
  'redis',
  redisFactory((backend) => backend.events),
);
describeConnectionRouterContract(
  'redis',
  redisFactory((backend) => backend.connections),
);
describeSessionStoreContract(
  'redis',
  redisFactory((backend) => backend.sessions),
);
describeChatStoreContract(
  'redis',
  redisFactory((backend) => backend.chats),
);
describeChatAuditContract(
  'redis',
  redisFactory((backend) => backend.chats),
);
