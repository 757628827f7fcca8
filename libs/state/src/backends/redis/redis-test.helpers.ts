import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { ContractFactory, ContractTtls } from '../../testing/contract.types';
import { RedisTestServer, type RedisTestServerOptions } from '../../testing/redis-server';
import type { StateBackend } from '../state-backend';
import { redisClientOptions } from './redis-connection';
import { createRedisBackend, type RedisBackendOptions } from './redis.backend';

/** TTLs (seconds) of backends opened by the helper: long enough never to expire during a test. */
export const REDIS_TEST_TTLS: Readonly<ContractTtls> = Object.freeze({
  widgetTtl: 60,
  connectionTtl: 60,
  sessionTtl: 60,
});

/** A key prefix no other test on the shared server uses. */
export function uniquePrefix(name = 'spec'): string {
  return `${name}-${randomBytes(6).toString('hex')}`;
}

/** `pattern` with Redis glob characters escaped, so that a prefix only ever matches itself. */
function globLiteral(pattern: string): string {
  return pattern.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

export interface RedisTestBed {
  /** The private server of the enclosing `describe` (or file). */
  server(): RedisTestServer;
  /** Its `unix://` URL. */
  url(): string;
  /** A plain client on the server, for looking at keys and publishing raw messages. */
  admin(): Redis;
  /**
   * A backend on the server with a random prefix unless one is given; closed after the test
   * (or, when opened in `beforeAll`, after the file).
   */
  open(options?: Partial<RedisBackendOptions>): Promise<StateBackend>;
  /** Every key under `prefix` (the keys `{prefix}:*`), sorted; read with SCAN, never KEYS. */
  keysOf(prefix: string): Promise<string[]>;
  /** Whole backends for `describeStateBackendContract`: a new prefix for each test. */
  contractFactory: ContractFactory<StateBackend>;
}

/**
 * Starts a private `redis-server` before the tests of the enclosing `describe` (or file) and
 * stops it after them; backends opened through `open` are closed after each test.
 */
export function useRedisTestServer(serverOptions: RedisTestServerOptions = {}): RedisTestBed {
  let server: RedisTestServer | undefined;
  let admin: Redis | undefined;
  let opened: StateBackend[] = [];
  let openedBeforeAll: StateBackend[] = [];
  let inTest = false;

  beforeAll(async () => {
    server = await RedisTestServer.start(serverOptions);
    admin = new Redis(redisClientOptions(server.url));
    await admin.connect();
  });
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    const closing = opened;
    opened = [];
    await Promise.all(closing.map((backend) => backend.close()));
  });
  afterAll(async () => {
    const closing = openedBeforeAll;
    openedBeforeAll = [];
    await Promise.all(closing.map((backend) => backend.close()));
    admin?.disconnect();
    admin = undefined;
    await server?.dispose();
    server = undefined;
  });

  const currentServer = (): RedisTestServer => {
    if (!server) {
      throw new Error('The Redis test server is only available inside the tests of its describe');
    }
    return server;
  };
  const open = async (options: Partial<RedisBackendOptions> = {}): Promise<StateBackend> => {
    const backend = await createRedisBackend({
      ...REDIS_TEST_TTLS,
      redisUrl: currentServer().url,
      redisPrefix: uniquePrefix(),
      redisPoolSize: 1,
      workerId: 'worker-a',
      ...options,
    });
    (inTest ? opened : openedBeforeAll).push(backend);
    return backend;
  };

  const adminClient = (): Redis => {
    if (!admin) {
      throw new Error('The Redis admin client is only available inside the tests of its describe');
    }
    return admin;
  };

  return {
    server: currentServer,
    url: () => currentServer().url,
    admin: adminClient,
    open,
    async keysOf(prefix: string): Promise<string[]> {
      const client = adminClient();
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(
          cursor,
          'MATCH',
          `${globLiteral(prefix)}:*`,
          'COUNT',
          1000,
        );
        batch.forEach((key) => keys.add(key));
        cursor = next;
      } while (cursor !== '0');
      return [...keys].sort();
    },
    contractFactory: async (ttls: ContractTtls) => {
      const backend = await open({
        ...ttls,
        redisPrefix: uniquePrefix('contract'),
        workerId: 'contract',
      });
      return { store: backend, teardown: () => backend.close() };
    },
  };
}
