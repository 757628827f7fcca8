import type { EventHandler, PublishEventInput, StateEvent, Unsubscribe } from './event.models';

/**
 * Publish/subscribe between workers. Handlers run after `publish` resolves; a throwing handler is
 * logged and never affects other handlers or the publisher.
 */
export abstract class EventBus {
  /** Publishes an event on a channel and returns the event as sent. */
  abstract publish<T>(channel: string, event: PublishEventInput<T>): Promise<StateEvent<T>>;
  /** Subscribes to a channel; resolves once the subscription is active. */
  abstract subscribe<T>(channel: string, handler: EventHandler<T>): Promise<Unsubscribe>;
}
