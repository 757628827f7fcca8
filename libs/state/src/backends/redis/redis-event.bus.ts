import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ChannelHandlers } from '../../events/channel-handlers';
import {
  decodeWireEvent,
  encodeWireEvent,
  isOversizedWireMessage,
  toWireEvent,
} from '../../events/wire-event';
import type {
  EventHandler,
  PublishEventInput,
  StateEvent,
  Unsubscribe,
} from '../../events/event.models';
import { EventBus } from '../../events/event-bus';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/** Counters of what the subscriber received. */
export interface EventBusStats {
  delivered: number;
  /** Messages that were not valid events: ignored. */
  malformed: number;
  /**
   * Messages larger than any publisher of this library sends (`MAX_WIRE_EVENT_BYTES`): dropped
   * unparsed, so a foreign publisher cannot make every worker parse and copy huge payloads.
   */
  oversized: number;
}

/**
 * Publish/subscribe over Redis pub/sub on `{prefix}:channel:{channel}`, with one subscriber
 * connection per process. Malformed and oversized messages are counted and dropped; the
 * subscriber keeps running and resubscribes after a reconnect.
 */
export class RedisEventBus extends EventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly handlers = new ChannelHandlers(RedisEventBus.name);
  private readonly subscribing = new Map<string, Promise<void>>();
  readonly stats: EventBusStats = { delivered: 0, malformed: 0, oversized: 0 };

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
    const { subscription, first } = this.handlers.add(channel, handler);
    if (first) {
      this.subscribing.set(
        channel,
        this.send(this.redis.subscriber.subscribe(this.keys.channel(channel))),
      );
    }
    // A second subscriber to the channel also waits until Redis has confirmed the subscription.
    try {
      await this.subscribing.get(channel);
    } catch (error) {
      if (this.handlers.remove(channel, subscription)) {
        this.subscribing.delete(channel);
      }
      throw error;
    }
    return async () => {
      if (!this.handlers.remove(channel, subscription)) {
        return;
      }
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
      // `run` may fail fast without waiting for the command, which must not then reject unheard.
      command.catch(() => undefined);
      await this.redis.run(() => command);
    } else {
      command.catch((error: unknown) =>
        this.logger.warn(`Subscription change not sent yet: ${String(error)}`),
      );
    }
  }

  private receive(redisChannel: string, message: string): void {
    const channel = this.keys.channelName(redisChannel);
    if (channel === null || !this.handlers.has(channel)) {
      return;
    }
    if (isOversizedWireMessage(message)) {
      this.stats.oversized += 1;
      return;
    }
    const event = decodeWireEvent(message);
    if (!event) {
      this.stats.malformed += 1;
      return;
    }
    this.stats.delivered += 1;
    this.handlers.deliver(channel, event);
  }
}
