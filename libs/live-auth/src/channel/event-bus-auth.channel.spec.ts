import { createMemoryBackend, createRedisBackend, type StateBackend } from '@livegate/state';
import { RedisTestServer } from '@livegate/state/testing';
import { describeAuthChannelContract } from '../testing';
import { EventBusAuthChannel } from './event-bus-auth.channel';

const TTLS = { widgetTtl: 60, connectionTtl: 60, sessionTtl: 60, sweepInterval: 60 };

// On memory the two channels share one process's bus; on Redis they are two workers' backends
// on one server and prefix, so every event crosses Redis pub/sub.
describeAuthChannelContract('memory', async () => {
  const backend = await createMemoryBackend({ ...TTLS, workerId: 'channel-spec' });
  return {
    publisher: new EventBusAuthChannel(backend.events),
    subscriber: new EventBusAuthChannel(backend.events),
    bus: backend.events,
    teardown: () => backend.close(),
  };
});

describe('on Redis', () => {
  let server: RedisTestServer;
  let run = 0;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  describeAuthChannelContract('redis', async () => {
    run += 1;
    const open = (workerId: string): Promise<StateBackend> =>
      createRedisBackend({
        ...TTLS,
        redisUrl: server.url,
        redisPrefix: `channel-${run}`,
        redisPoolSize: 1,
        workerId,
      });
    const [first, second] = await Promise.all([open('worker-a'), open('worker-b')]);
    return {
      publisher: new EventBusAuthChannel(first.events),
      subscriber: new EventBusAuthChannel(second.events),
      bus: second.events,
      teardown: async () => {
        await Promise.all([first.close(), second.close()]);
      },
    };
  });
});
