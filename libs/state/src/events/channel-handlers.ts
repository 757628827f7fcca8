import { Logger } from '@nestjs/common';
import type { EventHandler, StateEvent } from './event.models';
import { assertId } from '../common/validation';

/**
 * An event bus's local subscriptions, by channel, and their delivery: each handler gets its own
 * copy of the event after the current call stack, a handler unsubscribed meanwhile gets nothing,
 * and a throwing handler is logged without affecting the others.
 */
export class ChannelHandlers {
  private readonly logger: Logger;
  private readonly channels = new Map<string, Set<EventHandler>>();

  constructor(context: string) {
    this.logger = new Logger(context);
  }

  /** Adds a subscription; `first` is true when the channel had none before. */
  add<T>(
    channel: string,
    handler: EventHandler<T>,
  ): { subscription: EventHandler; first: boolean } {
    assertId('channel', channel);
    if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function');
    }
    let handlers = this.channels.get(channel);
    const first = !handlers;
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
    }
    // A wrapper keeps two subscriptions of the same function independent.
    const subscription: EventHandler = (event) => handler(event as StateEvent<T>);
    handlers.add(subscription);
    return { subscription, first };
  }

  /** Removes a subscription; returns true when it was the channel's last one. */
  remove(channel: string, subscription: EventHandler): boolean {
    const handlers = this.channels.get(channel);
    if (!handlers?.delete(subscription) || handlers.size > 0) {
      return false;
    }
    this.channels.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  deliver(channel: string, event: StateEvent): void {
    const handlers = this.channels.get(channel);
    if (!handlers || handlers.size === 0) {
      return;
    }
    const serialized = JSON.stringify(event);
    for (const handler of [...handlers]) {
      setImmediate(() => void this.run(channel, handler, JSON.parse(serialized) as StateEvent));
    }
  }

  clear(): void {
    this.channels.clear();
  }

  private async run(channel: string, handler: EventHandler, event: StateEvent): Promise<void> {
    if (!this.channels.get(channel)?.has(handler)) {
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
