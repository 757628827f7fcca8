import type { ConnectionInfo, RegisterConnectionOptions } from './connection.models';

/**
 * Which worker holds each widget's WebSocket connection. Connections expire after the connection
 * TTL (5 min by default) unless a heartbeat refreshes them.
 */
export abstract class ConnectionRouter {
  abstract registerConnection(
    widgetId: string,
    workerId: string,
    options?: RegisterConnectionOptions,
  ): Promise<ConnectionInfo>;
  abstract getConnectionInfo(widgetId: string): Promise<ConnectionInfo | null>;
  /** The worker id holding the widget's connection, or `null`. */
  abstract getOwner(widgetId: string): Promise<string | null>;
  /** Renews a live connection's TTL; `false` (and nothing written) when it is gone. */
  abstract refreshHeartbeat(widgetId: string): Promise<boolean>;
  abstract unregisterConnection(widgetId: string): Promise<boolean>;
  /** Widget ids whose live connection is held by this worker. */
  abstract listWorkerConnections(workerId: string): Promise<string[]>;
}
