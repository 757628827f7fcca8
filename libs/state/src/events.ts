import type { PublishEventInput, StateEvent } from './models';
import { StateValidationError } from './state.errors';
import { assertId } from './validation';

/** Largest serialized event data, in bytes of JSON. */
export const MAX_EVENT_DATA_BYTES = 1024 * 1024;

/**
 * Validates what a publisher supplies and builds the event as it travels: JSON-safe data, the
 * source worker, a timestamp and a unique message id. Nothing is sent when this throws.
 */
export function toWireEvent<T>(
  channel: string,
  input: PublishEventInput<T>,
  sourceWorkerId: string,
  messageId: string,
): StateEvent<T> {
  assertId('channel', channel);
  if (input === null || typeof input !== 'object') {
    throw new StateValidationError('event', 'must be an object');
  }
  assertId('eventType', input.eventType);
  if (input.widgetId !== undefined) {
    assertId('widgetId', input.widgetId);
  }
  if (input.targetWorkerId !== undefined) {
    assertId('targetWorkerId', input.targetWorkerId);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(input.data ?? null);
  } catch {
    throw new StateValidationError('data', 'must be serializable as JSON');
  }
  if (json === undefined) {
    throw new StateValidationError('data', 'must be serializable as JSON');
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_EVENT_DATA_BYTES) {
    throw new StateValidationError('data', `must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON`);
  }
  return {
    eventType: input.eventType,
    widgetId: input.widgetId ?? null,
    data: JSON.parse(json) as T,
    sourceWorkerId,
    targetWorkerId: input.targetWorkerId ?? null,
    timestamp: Date.now(),
    messageId,
  };
}
