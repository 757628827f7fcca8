import type { ConnectionInfo, RegisterConnectionOptions } from './connection.models';
import { assertId } from '../common/validation';

/** Validates `registerConnection` input and builds the connection every backend stores. */
export function prepareConnection(
  widgetId: string,
  workerId: string,
  options: RegisterConnectionOptions,
  ttlMs: number,
  now = Date.now(),
): ConnectionInfo {
  assertId('widgetId', widgetId);
  assertId('workerId', workerId);
  if (options.userId !== undefined) {
    assertId('userId', options.userId);
  }
  if (options.sessionId !== undefined) {
    assertId('sessionId', options.sessionId);
  }
  return {
    widgetId,
    workerId,
    userId: options.userId ?? null,
    sessionId: options.sessionId ?? null,
    connectedAt: now,
    lastHeartbeat: now,
    expiresAt: now + ttlMs,
  };
}
