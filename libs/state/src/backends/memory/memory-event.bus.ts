import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventHandler, PublishEventInput, StateEvent, Unsubscribe } from '../../models';
import { EventBus } from '../../stores/event-bus';
import { toWireEvent } from '../../events';
import { assertId } from '../../validation';

/** Publish/subscribe within one process. Delivery is asynchronous, as on every backend. */
export class MemoryEventBus extends EventBus {
  private readonly logger = new Logger(MemoryEventBus.name);
  private readonly handlers = new Map<string, Set<EventHandler>>();

  constructor(private readonly workerId: string) {
    super();
  }

  async publish<T>(channel: string, input: PublishEventInput<T>): Promise<StateEvent<T>> {
    const event = toWireEvent(channel, input, this.workerId, randomUUID());
    const handlers = this.handlers.get(channel);
    if (handlers && handlers.size > 0) {
      const serialized = JSON.stringify(event);
      for (const handler of [...handlers]) {
        // Each handler gets its own copy, as it would from a wire.
        setImmediate(() => this.deliver(channel, handler, JSON.parse(serialized) as StateEvent));
      }
    }
    return event;
  }

  async subscribe<T>(channel: string, handler: EventHandler<T>): Promise<Unsubscribe> {
    assertId('channel', channel);
    if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function');
    }
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
    }
    // A wrapper keeps two subscriptions of the same function independent.
    const subscription: EventHandler = (event) => handler(event as StateEvent<T>);
    handlers.add(subscription);
    return async () => {
      const current = this.handlers.get(channel);
      current?.delete(subscription);
      if (current?.size === 0) {
        this.handlers.delete(channel);
      }
    };
  }

  /** Drops every subscription. */
  clear(): void {
    this.handlers.clear();
  }

  private async deliver(channel: string, handler: EventHandler, event: StateEvent): Promise<void> {
    if (!this.handlers.get(channel)?.has(handler)) {
      return;
    }
    try {
      await handler(event);
    } catch (error) {
      this.logger.error(
        `Handler for ${event.eventType} on channel ${channel} failed: ${(error as Error)?.message ?? error}`,
      );
    }
  }
}
