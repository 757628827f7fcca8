import type { ResolvedStateOptions, StateBackendName } from '../state.options';
import type { ChatStore } from '../stores/chat-store';
import type { ConnectionRouter } from '../stores/connection-router';
import type { EventBus } from '../stores/event-bus';
import type { SessionStore } from '../stores/session-store';
import type { WidgetStore } from '../stores/widget-store';

/** One backend: every store, sharing whatever connection the backend holds. */
export interface StateBackend {
  readonly name: StateBackendName;
  readonly widgets: WidgetStore;
  readonly events: EventBus;
  readonly connections: ConnectionRouter;
  readonly sessions: SessionStore;
  readonly chats: ChatStore;
  /** Stops timers and closes connections. Idempotent. */
  close(): Promise<void>;
}

export type StateBackendFactory = (options: ResolvedStateOptions) => Promise<StateBackend>;
