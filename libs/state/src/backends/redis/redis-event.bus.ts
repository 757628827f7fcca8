import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { decodeWireEvent, encodeWireEvent, toWireEvent } from '../../events';
import type { EventHandler, PublishEventInput, StateEvent, Unsubscribe } from '../../models';
import { EventBus } from '../../stores/event-bus';
import { assertId } from '../../validation';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/** Counters of what the subscriber received. */
export interface EventBusStats {
  delivered: number;
  /** Messages that were not valid events: ignored. */
  malformed: number;
}

/**
 * Publish/subscribe over Redis pub/sub on `{prefix}:channel:{channel}`, with one subscriber
 * connection per process. Malformed messages are counted and dropped; the subscriber keeps
 * running and resubscribes after a reconnect.
 */
export class RedisEventBus extends EventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly handlers = new Map<string, Set<EventHandler>>();
  private readonly subscribing = new Map<string, Promise<void>>();
  readonly stats: EventBusStats = { delivered: 0, malformed: 0 };

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly workerId: string,
  ) {
    super();
    redis.subscriber.on('message', (channel: string, message: string) =>
      this.receive(channel, message),
    );
  }

  async publish<T>(channel: string, input: PublishEventInput<T>): Promise<StateEvent<T>> {
    const event = toWireEvent(channel, input, this.workerId, randomUUID());
    const payload = encodeWireEvent(event);
    await this.redis.run((client) => client.publish(this.keys.channel(channel), payload));
    return event;
  }

  async subscribe<T>(channel: string, handler: EventHandler<T>): Promise<Unsubscribe> {
    assertId('channel', channel);
    if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function');
    }
    const subscription: EventHandler = (event) => handler(event as StateEvent<T>);
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      this.subscribing.set(
        channel,
        this.send(this.redis.subscriber.subscribe(this.keys.channel(channel))),
      );
    }
    handlers.add(subscription);
    // A second subscriber to the channel also waits until Redis has confirmed the subscription.
    try {
      await this.subscribing.get(channel);
    } catch (error) {
      handlers.delete(subscription);
      if (handlers.size === 0 && this.handlers.get(channel) === handlers) {
        this.handlers.delete(channel);
        this.subscribing.delete(channel);
      }
      throw error;
    }
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(subscription) || current.size > 0) {
        return;
      }
      this.handlers.delete(channel);
      this.subscribing.delete(channel);
      await this.send(this.redis.subscriber.unsubscribe(this.keys.channel(channel)));
    };
  }

  /**
   * Waits for a (un)subscribe while connected. While Redis is away the command stays queued on
   * the subscriber and is sent on reconnect, so the caller is not held up.
   */
  private async send(command: Promise<unknown>): Promise<void> {
    if (this.redis.subscriber.status === 'ready') {
      await this.redis.run(() => command);
    } else {
      command.catch((error: unknown) =>
        this.logger.warn(`Subscription change not sent yet: ${String(error)}`),
      );
    }
  }

  private receive(redisChannel: string, message: string): void {
    const channel = this.keys.channelName(redisChannel);
    const handlers = channel === null ? undefined : this.handlers.get(channel);
    if (!handlers) {
      return;
    }
    const event = decodeWireEvent(message);
    if (!event) {
      this.stats.malformed += 1;
      return;
    }
    this.stats.delivered += 1;
    for (const handler of [...handlers]) {
      void this.deliver(channel!, handler, event);
    }
  }

  private async deliver(channel: string, handler: EventHandler, event: StateEvent): Promise<void> {
    try {
      await handler(structuredClone(event));
    } catch (error) {
      this.logger.error(
        `Handler for ${event.eventType} on channel ${channel} failed: ${(error as Error)?.message ?? error}`,
      );
    }
  }
}
