import type {
  AppendMessageInput,
  ChatMessage,
  ChatThread,
  GetMessagesOptions,
  SaveThreadInput,
} from '../models';

/** Most messages one thread keeps; appending more evicts the oldest. */
export const MAX_MESSAGES_PER_THREAD = 1000;
/** Page size of `getMessages` when none is given. */
export const DEFAULT_MESSAGE_PAGE_SIZE = 50;

/** Chat threads and their messages, scoped by widget. */
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
}
