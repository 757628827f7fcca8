import type { ResolvedStateOptions } from '../state.options';
import type { ChatStore } from '../chat/chat-store';
import type { ConnectionRouter } from '../connections/connection-router';
import type { EventBus } from '../events/event-bus';
import type { SessionStore } from '../sessions/session-store';
import type { WidgetStore } from '../widgets/widget-store';

/** One backend: every store, sharing whatever connection the backend holds. */
export interface StateBackend {
  /** `memory`, `sqlite`, `redis`, or a custom backend's own name. */
  readonly name: string;
  readonly widgets: WidgetStore;
  readonly events: EventBus;
  readonly connections: ConnectionRouter;
  readonly sessions: SessionStore;
  readonly chats: ChatStore;
  /** Stops timers and closes connections. Idempotent. */
  close(): Promise<void>;
}

/** Builds a backend from the resolved options: the built-in ones, or a custom one. */
export type StateBackendFactory = (options: ResolvedStateOptions) => Promise<StateBackend>;
