import type { ResolvedStateOptions } from '../state.options';
import type { ChatStore } from '../chat/chat-store';
import type { ConnectionRouter } from '../connections/connection-router';
import type { EventBus } from '../events/event-bus';
import type { SessionStore } from '../sessions/session-store';
import type { WidgetStore } from '../widgets/widget-store';
import type { StateRedisConnection } from './redis/redis-connection';

/** What a backend reports about itself to a readiness check. */
export interface StateBackendHealth {
  /** `up` when its stores can be used right now. */
  readonly status: 'up' | 'down';
  /** Why it is down, in words fit for a client: no driver text. */
  readonly message?: string;
}

/** One backend: every store, sharing whatever connection the backend holds. */
export interface StateBackend {
  /** `memory`, `sqlite`, `redis`, or a custom backend's own name. */
  readonly name: string;
  readonly widgets: WidgetStore;
  readonly events: EventBus;
  readonly connections: ConnectionRouter;
  readonly sessions: SessionStore;
  readonly chats: ChatStore;
  /**
   * Whether the stores can be used right now, answered within about a second and never by
   * throwing. Optional for a custom backend, which is then reported up while it runs.
   */
  health?(): Promise<StateBackendHealth>;
  /** The Redis connection the stores share, on the Redis backend, for libraries that reuse it. */
  readonly redis?: StateRedisConnection;
  /** Stops timers and closes connections. Idempotent. */
  close(): Promise<void>;
}

/** Builds a backend from the resolved options: the built-in ones, or a custom one. */
export type StateBackendFactory = (options: ResolvedStateOptions) => Promise<StateBackend>;
