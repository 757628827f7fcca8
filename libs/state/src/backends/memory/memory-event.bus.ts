import { randomUUID } from 'node:crypto';
import { ChannelHandlers } from '../../events/channel-handlers';
import { toWireEvent } from '../../events/wire-event';
import type {
  EventHandler,
  PublishEventInput,
  StateEvent,
  Unsubscribe,
} from '../../events/event.models';
import { EventBus } from '../../events/event-bus';

/** Publish/subscribe within one process. Delivery is asynchronous, as on every backend. */
export class MemoryEventBus extends EventBus {
  private readonly handlers = new ChannelHandlers(MemoryEventBus.name);

  constructor(private readonly workerId: string) {
    super();
  }

  async publish<T>(channel: string, input: PublishEventInput<T>): Promise<StateEvent<T>> {
    const event = toWireEvent(channel, input, this.workerId, randomUUID());
    this.handlers.deliver(channel, event);
    return event;
  }

  async subscribe<T>(channel: string, handler: EventHandler<T>): Promise<Unsubscribe> {
    const { subscription } = this.handlers.add(channel, handler);
    return async () => {
      this.handlers.remove(channel, subscription);
    };
  }

  /** Drops every subscription. */
  clear(): void {
    this.handlers.clear();
  }
}
