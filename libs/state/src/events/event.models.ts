/** An event on the `EventBus`. */
export interface StateEvent<T = unknown> {
  eventType: string;
  widgetId: string | null;
  data: T;
  sourceWorkerId: string;
  targetWorkerId: string | null;
  timestamp: number;
  messageId: string;
}

/** What a publisher supplies; the bus fills in the rest. */
export interface PublishEventInput<T = unknown> {
  eventType: string;
  widgetId?: string;
  data?: T;
  targetWorkerId?: string;
}

export type EventHandler<T = unknown> = (event: StateEvent<T>) => void | Promise<void>;
export type Unsubscribe = () => Promise<void>;
