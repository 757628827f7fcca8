import type {
  ConnectionInfo,
  RegisterConnectionOptions,
} from '../../connections/connection.models';
import { ConnectionRouter } from '../../connections/connection-router';
import { assertId, assertTtl, ttlToMs } from '../../common/validation';
import { prepareConnection } from '../../connections/connection.validation';
import type { RedisConnection } from './redis-connection';
import { isPresent, parseField } from './redis-fields';
import type { RedisKeys } from './redis-keys';

/** Connection routing in Redis: a hash per widget connection and a pruned index per worker. */
export class RedisConnectionRouter extends ConnectionRouter {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
    connectionTtl: number,
  ) {
    super();
    assertTtl('connectionTtl', connectionTtl);
    this.ttlMs = ttlToMs(connectionTtl);
  }

  async registerConnection(
    widgetId: string,
    workerId: string,
    options: RegisterConnectionOptions = {},
  ): Promise<ConnectionInfo> {
    const info = prepareConnection(widgetId, workerId, options, this.ttlMs);
    const { userId, sessionId } = info;
    const now = Number(
      await this.redis.run((client) =>
        client.livegateConnectionRegister(
          this.keys.connection(widgetId),
          this.keys.workerConnections(workerId),
          widgetId,
          workerId,
          JSON.stringify(userId),
          JSON.stringify(sessionId),
          this.ttlMs,
          this.keys.prefix,
        ),
      ),
    );
    return { ...info, connectedAt: now, lastHeartbeat: now, expiresAt: now + this.ttlMs };
  }

  async getConnectionInfo(widgetId: string): Promise<ConnectionInfo | null> {
    assertId('widgetId', widgetId);
    const fields = await this.redis.run((client) => client.hgetall(this.keys.connection(widgetId)));
    if (!isPresent(fields)) {
      return null;
    }
    return {
      widgetId,
      workerId: fields.worker,
      userId: parseField<string | null>(fields.user, null),
      sessionId: parseField<string | null>(fields.session, null),
      connectedAt: Number(fields.connectedAt),
      lastHeartbeat: Number(fields.lastHeartbeat),
      expiresAt: Number(fields.expiresAt),
    };
  }

  async getOwner(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.redis.run((client) => client.hget(this.keys.connection(widgetId), 'worker'));
  }

  async refreshHeartbeat(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    const refreshed = await this.redis.run((client) =>
      client.livegateConnectionHeartbeat(
        this.keys.connection(widgetId),
        widgetId,
        this.ttlMs,
        this.keys.prefix,
      ),
    );
    return Number(refreshed) === 1;
  }

  async unregisterConnection(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    const deleted = await this.redis.run((client) =>
      client.livegateConnectionUnregister(
        this.keys.connection(widgetId),
        widgetId,
        this.keys.prefix,
      ),
    );
    return Number(deleted) === 1;
  }

  async listWorkerConnections(workerId: string): Promise<string[]> {
    assertId('workerId', workerId);
    return (await this.redis.run((client) =>
      client.livegateConnectionList(this.keys.workerConnections(workerId)),
    )) as string[];
  }
}
