import { Injectable, Logger } from '@nestjs/common';
import { assertId } from '../common/validation';

/** A widget event handler. Its return value is the result of `invokeCallback`. */
export type WidgetCallback<TData = unknown, TResult = unknown> = (
  data: TData,
  context: { widgetId: string; eventType: string },
) => TResult | Promise<TResult>;

/** Why a callback produced no result. */
export type CallbackFailureReason =
  /** No callback for this widget and event on any worker that could be reached. */
  | 'no_callback'
  /** The callback threw or rejected; `error` holds its message. */
  | 'callback_error'
  /** The widget has no live connection to route to. */
  | 'not_connected'
  /** The owning worker did not answer in time. */
  | 'not_delivered';

export type CallbackOutcome<TResult = unknown> =
  | { handled: true; result: TResult }
  | { handled: false; reason: CallbackFailureReason; error?: string };

/**
 * Callbacks of this process. Functions cannot travel between workers, so callbacks always live
 * where they were registered; `StateService` routes invocations to them.
 */
@Injectable()
export class CallbackRegistry {
  private readonly logger = new Logger(CallbackRegistry.name);
  private readonly callbacks = new Map<string, Map<string, WidgetCallback>>();

  /** Registers (or replaces) the callback of a widget event; returns a function removing it. */
  register(widgetId: string, eventType: string, callback: WidgetCallback): () => void {
    assertId('widgetId', widgetId);
    assertId('eventType', eventType);
    if (typeof callback !== 'function') {
      throw new TypeError('callback must be a function');
    }
    let events = this.callbacks.get(widgetId);
    if (!events) {
      events = new Map();
      this.callbacks.set(widgetId, events);
    }
    events.set(eventType, callback);
    return () => {
      if (this.callbacks.get(widgetId)?.get(eventType) === callback) {
        this.unregister(widgetId, eventType);
      }
    };
  }

  /** Removes one callback, or every callback of the widget; returns how many were removed. */
  unregister(widgetId: string, eventType?: string): number {
    assertId('widgetId', widgetId);
    const events = this.callbacks.get(widgetId);
    if (!events) {
      return 0;
    }
    if (eventType === undefined) {
      this.callbacks.delete(widgetId);
      return events.size;
    }
    assertId('eventType', eventType);
    const removed = events.delete(eventType) ? 1 : 0;
    if (events.size === 0) {
      this.callbacks.delete(widgetId);
    }
    return removed;
  }

  has(widgetId: string, eventType: string): boolean {
    assertId('widgetId', widgetId);
    assertId('eventType', eventType);
    return this.callbacks.get(widgetId)?.has(eventType) ?? false;
  }

  /** Event types with a callback for this widget. */
  listEvents(widgetId: string): string[] {
    assertId('widgetId', widgetId);
    return [...(this.callbacks.get(widgetId)?.keys() ?? [])];
  }

  /**
   * Runs the local callback. A callback that throws or rejects is logged and reported as
   * `{ handled: false, reason: 'callback_error' }`; it never escapes to the caller.
   */
  async invoke<TResult = unknown>(
    widgetId: string,
    eventType: string,
    data: unknown,
  ): Promise<CallbackOutcome<TResult>> {
    assertId('widgetId', widgetId);
    assertId('eventType', eventType);
    const callback = this.callbacks.get(widgetId)?.get(eventType);
    if (!callback) {
      return { handled: false, reason: 'no_callback' };
    }
    try {
      return { handled: true, result: (await callback(data, { widgetId, eventType })) as TResult };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(
        `Callback ${eventType} of widget ${widgetId} failed: ${message}`,
        error instanceof Error ? error.stack : undefined,
      );
      return { handled: false, reason: 'callback_error', error: message };
    }
  }

  clear(): void {
    this.callbacks.clear();
  }
}
