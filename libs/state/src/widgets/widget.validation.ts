import type { RegisterWidgetOptions, WidgetRecord } from './widget.models';
import {
  assertId,
  assertText,
  MAX_HTML_LENGTH,
  MAX_TOKEN_LENGTH,
  normalizeMetadata,
} from '../common/validation';

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
