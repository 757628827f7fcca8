import type { PublishEventInput, StateEvent } from './event.models';
import { StateValidationError } from '../state.errors';
import { assertId, boundedJsonStringify, isWithinNestingDepth } from '../common/validation';

/** Largest serialized event data, in bytes of JSON. */
export const MAX_EVENT_DATA_BYTES = 1024 * 1024;
/**
 * Room for everything of an encoded event but its data: five ids of at most 256 characters (each
 * at most three bytes of UTF-8 per character, escaping included), the field names and the
 * timestamp, with margin.
 */
export const MAX_EVENT_ENVELOPE_BYTES = 8 * 1024;
/** Largest message a publisher of this library ever sends: receivers drop anything larger. */
export const MAX_WIRE_EVENT_BYTES = MAX_EVENT_DATA_BYTES + MAX_EVENT_ENVELOPE_BYTES;

/** Whether a received message is over `MAX_WIRE_EVENT_BYTES`, without encoding it when it cannot be. */
export function isOversizedWireMessage(message: string): boolean {
  // A UTF-16 code unit is one to three bytes of UTF-8 (a surrogate pair is four for two units).
  if (message.length > MAX_WIRE_EVENT_BYTES) {
    return true;
  }
  return (
    message.length * 3 > MAX_WIRE_EVENT_BYTES &&
    Buffer.byteLength(message, 'utf8') > MAX_WIRE_EVENT_BYTES
  );
}

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
  const json = boundedJsonStringify('data', input.data ?? null, MAX_EVENT_DATA_BYTES);
  if (json === undefined) {
    throw new StateValidationError('data', 'must be serializable as JSON');
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

/** The JSON an event travels as between processes (snake_case, as the reference layout has it). */
interface WireEvent {
  event_type: string;
  widget_id: string | null;
  data: unknown;
  source_worker_id: string;
  target_worker_id: string | null;
  timestamp: number;
  message_id: string;
}

export function encodeWireEvent(event: StateEvent): string {
  const wire: WireEvent = {
    event_type: event.eventType,
    widget_id: event.widgetId,
    data: event.data,
    source_worker_id: event.sourceWorkerId,
    target_worker_id: event.targetWorkerId,
    timestamp: event.timestamp,
    message_id: event.messageId,
  };
  return JSON.stringify(wire);
}

const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 256;
const isOptionalText = (value: unknown): value is string | null => value === null || isText(value);

/**
 * Parses a received event; `null` for anything malformed (data nested deeper than any publisher
 * of this library sends included), which the receiver drops.
 */
export function decodeWireEvent(json: string): StateEvent | null {
  let wire: Partial<WireEvent>;
  try {
    wire = JSON.parse(json) as Partial<WireEvent>;
  } catch {
    return null;
  }
  if (
    wire === null ||
    typeof wire !== 'object' ||
    !isText(wire.event_type) ||
    !isOptionalText(wire.widget_id) ||
    !isText(wire.source_worker_id) ||
    !isOptionalText(wire.target_worker_id) ||
    typeof wire.timestamp !== 'number' ||
    !isText(wire.message_id) ||
    !('data' in wire) ||
    !isWithinNestingDepth(wire.data)
  ) {
    return null;
  }
  return {
    eventType: wire.event_type,
    widgetId: wire.widget_id,
    data: wire.data,
    sourceWorkerId: wire.source_worker_id,
    targetWorkerId: wire.target_worker_id,
    timestamp: wire.timestamp,
    messageId: wire.message_id,
  };
}
