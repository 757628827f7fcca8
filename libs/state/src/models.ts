/** A widget as kept by the `WidgetStore`. Times are milliseconds since the epoch. */
export interface WidgetRecord {
  widgetId: string;
  html: string;
  token: string | null;
  ownerWorkerId: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

export interface RegisterWidgetOptions {
  /** Access token of the widget (for example a signed widget token). */
  token?: string;
  /** The worker that renders the widget. */
  ownerWorkerId?: string;
  /** Free JSON metadata, at most 64 KiB. */
  metadata?: Record<string, unknown>;
}

/** Which worker holds the WebSocket connection of a widget. */
export interface ConnectionInfo {
  widgetId: string;
  workerId: string;
  userId: string | null;
  sessionId: string | null;
  connectedAt: number;
  lastHeartbeat: number;
  expiresAt: number;
}

export interface RegisterConnectionOptions {
  userId?: string;
  sessionId?: string;
}

/** An authenticated user's session. */
export interface UserSession {
  sessionId: string;
  userId: string;
  roles: string[];
  metadata: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  /** The TTL in seconds the session was created with; `refreshSession` extends by it by default. */
  ttl: number;
}

export interface CreateSessionInput {
  /** Defaults to 256 random bits, base64url. */
  sessionId?: string;
  userId: string;
  roles?: Iterable<string>;
  /** Seconds; defaults to the store's session TTL. */
  ttl?: number;
  /** JSON metadata; `metadata.permissions` holds resource grants (`"widget:id" → ["write"]`). */
  metadata?: Record<string, unknown>;
}

export type ChatRole = 'user' | 'assistant' | 'system' | 'tool';
export const CHAT_ROLES: readonly ChatRole[] = Object.freeze([
  'user',
  'assistant',
  'system',
  'tool',
]);

export interface ChatThread {
  threadId: string;
  widgetId: string;
  title: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface SaveThreadInput {
  /** Defaults to a random UUID. Saving an existing id updates its title and metadata. */
  threadId?: string;
  title?: string;
  metadata?: Record<string, unknown>;
}

export interface ChatMessage {
  messageId: string;
  threadId: string;
  role: ChatRole;
  content: string;
  metadata: Record<string, unknown>;
  createdAt: number;
}

export interface AppendMessageInput {
  /** Defaults to a random UUID; must be unique within the thread. */
  messageId?: string;
  role: ChatRole;
  content: string;
  metadata?: Record<string, unknown>;
}

export interface GetMessagesOptions {
  /** Page size, 1 to 1,000 (default 50). */
  limit?: number;
  /** Return the messages strictly older than this message id. Unknown id: an empty page. */
  before?: string;
}

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
