import type {
  ConnectionInfo,
  RegisterConnectionOptions,
  RegisterWidgetOptions,
  WidgetRecord,
} from './models';
import {
  assertId,
  assertText,
  MAX_HTML_LENGTH,
  MAX_TOKEN_LENGTH,
  normalizeMetadata,
} from './validation';

export function assertWidgetHtml(html: unknown): asserts html is string {
  assertText('html', html, MAX_HTML_LENGTH);
}

export function assertWidgetToken(token: unknown): asserts token is string {
  assertText('token', token, MAX_TOKEN_LENGTH);
}

/**
 * Validates `register` input and builds the widget every backend stores. Nothing is written by
 * the caller when this throws.
 */
export function prepareWidget(
  widgetId: string,
  html: string,
  options: RegisterWidgetOptions,
  ttlMs: number,
  now = Date.now(),
): WidgetRecord {
  assertId('widgetId', widgetId);
  assertWidgetHtml(html);
  if (options.token !== undefined) {
    assertWidgetToken(options.token);
  }
  if (options.ownerWorkerId !== undefined) {
    assertId('ownerWorkerId', options.ownerWorkerId);
  }
  return {
    widgetId,
    html,
    token: options.token ?? null,
    ownerWorkerId: options.ownerWorkerId ?? null,
    metadata: normalizeMetadata('metadata', options.metadata),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + ttlMs,
  };
}

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
