import type {
  ConnectionInfo,
  RegisterConnectionOptions,
} from '../../connections/connection.models';
import { ConnectionRouter } from '../../connections/connection-router';
import { assertId, assertTtl, ttlToMs } from '../../common/validation';
import { prepareConnection } from '../../connections/connection.validation';
import { ExpiringMap } from './expiring-map';

/** Connection routing in process memory. */
export class MemoryConnectionRouter extends ConnectionRouter {
  private readonly connections = new ExpiringMap<ConnectionInfo>();
  private readonly ttlMs: number;

  constructor(connectionTtl: number) {
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
    this.connections.set(widgetId, info);
    return { ...info };
  }

  async getConnectionInfo(widgetId: string): Promise<ConnectionInfo | null> {
    assertId('widgetId', widgetId);
    const info = this.connections.get(widgetId);
    return info ? { ...info } : null;
  }

  async getOwner(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.connections.get(widgetId)?.workerId ?? null;
  }

  async refreshHeartbeat(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    const now = Date.now();
    const info = this.connections.get(widgetId, now);
    if (!info) {
      return false;
    }
    info.lastHeartbeat = now;
    info.expiresAt = now + this.ttlMs;
    return true;
  }

  async unregisterConnection(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    return this.connections.delete(widgetId);
  }

  async listWorkerConnections(workerId: string): Promise<string[]> {
    assertId('workerId', workerId);
    const widgetIds: string[] = [];
    for (const [widgetId, info] of this.connections.entriesLive()) {
      if (info.workerId === workerId) {
        widgetIds.push(widgetId);
      }
    }
    return widgetIds;
  }

  /** Frees expired connections. */
  sweep(now = Date.now()): number {
    return this.connections.sweep(now);
  }
}
