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

/** Where a tool call stands. `completed` and `failed` are final. */
export type ToolCallStatus = 'pending' | 'in_progress' | 'completed' | 'failed';
export const TOOL_CALL_STATUSES: readonly ToolCallStatus[] = Object.freeze([
  'pending',
  'in_progress',
  'completed',
  'failed',
]);

/**
 * A tool call of the audit trail. Logging the same `toolCallId` again moves it along
 * `pending → in_progress → completed | failed`; `startedAt` is kept from the first
 * `in_progress` (or, for a call that skips it, from its first log).
 */
export interface ToolCallRecord {
  toolCallId: string;
  widgetId: string;
  threadId: string;
  messageId: string;
  name: string;
  kind: string;
  status: ToolCallStatus;
  arguments: Record<string, unknown>;
  result: string | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
  /** `completedAt - startedAt` in milliseconds, once the call is final. */
  durationMs: number | null;
}

export interface LogToolCallInput {
  /** Unique within the thread; logging it again is a status transition. */
  toolCallId: string;
  /** The tool's name; a transition must repeat it. */
  name: string;
  /** What the tool does (`read`, `edit`, `execute`, …). Default `other`. */
  kind?: string;
  /** Default `pending`. */
  status?: ToolCallStatus;
  /** JSON arguments, at most 64 KiB. */
  arguments?: Record<string, unknown>;
  result?: string;
  error?: string;
}

/** Something a message produced: a code block, a chart, a table. */
export interface ArtifactRecord {
  artifactId: string;
  widgetId: string;
  threadId: string;
  messageId: string;
  artifactType: string;
  title: string;
  content: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
}

export interface LogArtifactInput {
  /** Defaults to a random UUID; unique within the thread. */
  artifactId?: string;
  /** `code`, `chart`, `table`, … (a name: letters, digits and `_ . : -`). */
  artifactType: string;
  title?: string;
  content?: string;
  metadata?: Record<string, unknown>;
}

/** Tokens (and their cost) one message used. */
export interface TokenUsageRecord {
  usageId: string;
  widgetId: string;
  threadId: string;
  messageId: string;
  model: string | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  createdAt: number;
}

export interface LogTokenUsageInput {
  model?: string;
  /** Whole numbers, 0 or more; default 0. */
  promptTokens?: number;
  completionTokens?: number;
  /** Defaults to `promptTokens + completionTokens`. */
  totalTokens?: number;
  /** Cost in US dollars, 0 or more; unknown when left out. */
  costUsd?: number;
}

/** A file or other resource the agent read or produced in a thread. */
export interface ResourceRecord {
  resourceId: string;
  widgetId: string;
  threadId: string;
  uri: string;
  name: string;
  mimeType: string | null;
  content: string | null;
  size: number | null;
  createdAt: number;
}

export interface LogResourceInput {
  /** Defaults to a random UUID; unique within the thread. */
  resourceId?: string;
  uri: string;
  name?: string;
  mimeType?: string;
  content?: string;
  /** Bytes. */
  size?: number;
}

/** A skill activated during a conversation. */
export interface SkillRecord {
  skillId: string;
  widgetId: string;
  threadId: string;
  name: string;
  metadata: Record<string, unknown>;
  activatedAt: number;
}

export interface LogSkillInput {
  /** Defaults to a random UUID; unique within the thread. */
  skillId?: string;
  name: string;
  metadata?: Record<string, unknown>;
}

export interface SearchMessagesOptions {
  /** Only this widget's messages. */
  widgetId?: string;
  /** Most results, 1 to 1,000 (default 50). */
  limit?: number;
}

/** One hit of `searchMessages`. */
export interface MessageSearchResult {
  widgetId: string;
  threadId: string;
  threadTitle: string;
  message: ChatMessage;
}

/** What token usage is summed over: one thread, one widget, or (empty) everything. */
export interface UsageScope {
  widgetId?: string;
  /** Needs `widgetId`: thread ids are unique per widget. */
  threadId?: string;
}

export interface UsageStats {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Sum of the known costs, in US dollars. */
  costUsd: number;
  /** How many usage records were summed. */
  count: number;
}
