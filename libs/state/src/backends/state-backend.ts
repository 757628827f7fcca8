import type { ChatStore } from '../chat/chat-store';
import type { ConnectionRouter } from '../connections/connection-router';
import type { EventBus } from '../events/event-bus';
import type { SessionStore } from '../sessions/session-store';
import type { TransientStore } from '../transient/transient-store';
import type { WidgetStore } from '../widgets/widget-store';
import type { StateRedisConnection } from './redis/redis-connection';
import type { StateBackendHealth } from './state-backend-health';

/** One backend: every store, sharing whatever connection the backend holds. */
export interface StateBackend {
  /** `memory`, `sqlite`, `redis`, or a custom backend's own name. */
  readonly name: string;
  readonly widgets: WidgetStore;
  readonly events: EventBus;
  readonly connections: ConnectionRouter;
  readonly sessions: SessionStore;
  readonly chats: ChatStore;
  /** Short-lived shared values: one-time transactions, ids seen once, counters. */
  readonly transient: TransientStore;
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
