import type {
  AppendMessageInput,
  ArtifactRecord,
  ChatMessage,
  ChatThread,
  GetMessagesOptions,
  LogArtifactInput,
  LogResourceInput,
  LogSkillInput,
  LogTokenUsageInput,
  LogToolCallInput,
  MessageSearchResult,
  ResourceRecord,
  SaveThreadInput,
  SearchMessagesOptions,
  SkillRecord,
  TokenUsageRecord,
  ToolCallRecord,
  UsageScope,
  UsageStats,
} from './chat.models';
import { StateNotSupportedError } from '../state.errors';

/** Most messages one thread keeps; appending more evicts the oldest. */
export const MAX_MESSAGES_PER_THREAD = 1000;
/** Page size of `getMessages` when none is given. */
export const DEFAULT_MESSAGE_PAGE_SIZE = 50;

/**
 * Chat threads and their messages, scoped by widget, with an audit trail: tool calls, artifacts,
 * token usage, resources and skills. The audit trail belongs to the thread: it outlives message
 * eviction and `clearMessages`, and goes with `deleteThread`. A backend that keeps no audit trail
 * leaves the audit methods as they are here: they reject with `StateNotSupportedError`.
 */
export abstract class ChatStore {
  /** Creates a thread, or updates the title and metadata of an existing one. */
  abstract saveThread(widgetId: string, thread?: SaveThreadInput): Promise<ChatThread>;
  abstract getThread(widgetId: string, threadId: string): Promise<ChatThread | null>;
  /** The widget's threads, oldest first. */
  abstract listThreads(widgetId: string): Promise<ChatThread[]>;
  /** Deletes the thread and its messages. */
  abstract deleteThread(widgetId: string, threadId: string): Promise<boolean>;
  /** Appends a message; the thread must exist (`StateNotFoundError` otherwise). */
  abstract appendMessage(
    widgetId: string,
    threadId: string,
    message: AppendMessageInput,
  ): Promise<ChatMessage>;
  /**
   * A page of messages in chronological order: the newest `limit` messages, or the newest `limit`
   * older than `before`.
   */
  abstract getMessages(
    widgetId: string,
    threadId: string,
    options?: GetMessagesOptions,
  ): Promise<ChatMessage[]>;
  /** Removes every message of the thread; returns how many were removed. */
  abstract clearMessages(widgetId: string, threadId: string): Promise<number>;

  /**
   * Logs a tool call of a message (`StateNotFoundError` when the message is not in the thread),
   * or moves a logged one along its statuses (`StateConflictError` for a move back, a final call,
   * or another name or message).
   */
  async logToolCall(
    _widgetId: string,
    _threadId: string,
    _messageId: string,
    _toolCall: LogToolCallInput,
  ): Promise<ToolCallRecord> {
    throw this.auditNotSupported('logToolCall');
  }

  /** Logs an artifact of a message; the message must be in the thread. */
  async logArtifact(
    _widgetId: string,
    _threadId: string,
    _messageId: string,
    _artifact: LogArtifactInput,
  ): Promise<ArtifactRecord> {
    throw this.auditNotSupported('logArtifact');
  }

  /** Logs the tokens and cost of a message; the message must be in the thread. */
  async logTokenUsage(
    _widgetId: string,
    _threadId: string,
    _messageId: string,
    _usage: LogTokenUsageInput,
  ): Promise<TokenUsageRecord> {
    throw this.auditNotSupported('logTokenUsage');
  }

  /** Logs a resource used in a thread; the thread must exist. */
  async logResource(
    _widgetId: string,
    _threadId: string,
    _resource: LogResourceInput,
  ): Promise<ResourceRecord> {
    throw this.auditNotSupported('logResource');
  }

  /** Logs a skill activation in a thread; the thread must exist. */
  async logSkill(
    _widgetId: string,
    _threadId: string,
    _skill: LogSkillInput,
  ): Promise<SkillRecord> {
    throw this.auditNotSupported('logSkill');
  }

  /** The thread's tool calls (only this message's, when given), in the order first logged. */
  async getToolCalls(
    _widgetId: string,
    _threadId: string,
    _messageId?: string,
  ): Promise<ToolCallRecord[]> {
    throw this.auditNotSupported('getToolCalls');
  }

  /** The thread's artifacts (only this message's, when given), in the order logged. */
  async getArtifacts(
    _widgetId: string,
    _threadId: string,
    _messageId?: string,
  ): Promise<ArtifactRecord[]> {
    throw this.auditNotSupported('getArtifacts');
  }

  /** The thread's resources, in the order logged. */
  async getResources(_widgetId: string, _threadId: string): Promise<ResourceRecord[]> {
    throw this.auditNotSupported('getResources');
  }

  /** The thread's skill activations, in the order logged. */
  async getSkills(_widgetId: string, _threadId: string): Promise<SkillRecord[]> {
    throw this.auditNotSupported('getSkills');
  }

  /**
   * Full-text search over the stored messages: every word of `query` must occur (case and accents
   * ignored, operators in the query taken literally); best match first, then newest first.
   */
  async searchMessages(
    _query: string,
    _options?: SearchMessagesOptions,
  ): Promise<MessageSearchResult[]> {
    throw this.auditNotSupported('searchMessages');
  }

  /** Token usage summed over one thread, one widget, or everything. */
  async getUsageStats(_scope?: UsageScope): Promise<UsageStats> {
    throw this.auditNotSupported('getUsageStats');
  }

  /** The known cost in US dollars of one thread, one widget, or everything. */
  async getTotalCost(scope?: UsageScope): Promise<number> {
    return (await this.getUsageStats(scope)).costUsd;
  }

  private auditNotSupported(method: string): StateNotSupportedError {
    return new StateNotSupportedError(
      `${method}: the ${this.constructor.name} keeps no audit trail`,
    );
  }
}
