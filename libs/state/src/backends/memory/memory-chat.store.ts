import { prepareMessage, prepareMessageQuery, prepareThreadInput } from '../../chat';
import type {
  AppendMessageInput,
  ChatMessage,
  ChatThread,
  GetMessagesOptions,
  SaveThreadInput,
} from '../../models';
import { StateConflictError, StateNotFoundError } from '../../state.errors';
import { ChatStore, MAX_MESSAGES_PER_THREAD } from '../../stores/chat-store';
import { assertId } from '../../validation';

interface ThreadEntry {
  thread: ChatThread;
  messages: ChatMessage[];
}

/** Chat threads and messages in process memory. */
export class MemoryChatStore extends ChatStore {
  /** widget id → thread id → thread. Insertion order is creation order. */
  private readonly widgets = new Map<string, Map<string, ThreadEntry>>();

  async saveThread(widgetId: string, input?: SaveThreadInput): Promise<ChatThread> {
    const { threadId, title, metadata } = prepareThreadInput(widgetId, input);
    const now = Date.now();
    let threads = this.widgets.get(widgetId);
    if (!threads) {
      threads = new Map();
      this.widgets.set(widgetId, threads);
    }
    const existing = threads.get(threadId);
    if (existing) {
      existing.thread.title = title ?? existing.thread.title;
      existing.thread.metadata = metadata ?? existing.thread.metadata;
      existing.thread.updatedAt = now;
      return structuredClone(existing.thread);
    }
    const thread: ChatThread = {
      threadId,
      widgetId,
      title: title ?? '',
      metadata: metadata ?? {},
      createdAt: now,
      updatedAt: now,
    };
    threads.set(threadId, { thread, messages: [] });
    return structuredClone(thread);
  }

  async getThread(widgetId: string, threadId: string): Promise<ChatThread | null> {
    const entry = this.entry(widgetId, threadId);
    return entry ? structuredClone(entry.thread) : null;
  }

  async listThreads(widgetId: string): Promise<ChatThread[]> {
    assertId('widgetId', widgetId);
    return Array.from(this.widgets.get(widgetId)?.values() ?? [], (entry) =>
      structuredClone(entry.thread),
    );
  }

  async deleteThread(widgetId: string, threadId: string): Promise<boolean> {
    if (!this.entry(widgetId, threadId)) {
      return false;
    }
    const threads = this.widgets.get(widgetId)!;
    threads.delete(threadId);
    if (threads.size === 0) {
      this.widgets.delete(widgetId);
    }
    return true;
  }

  async appendMessage(
    widgetId: string,
    threadId: string,
    input: AppendMessageInput,
  ): Promise<ChatMessage> {
    const message = prepareMessage(widgetId, threadId, input);
    const entry = this.entry(widgetId, threadId);
    if (!entry) {
      throw new StateNotFoundError(`Thread ${threadId} does not exist`);
    }
    if (entry.messages.some((existing) => existing.messageId === message.messageId)) {
      throw new StateConflictError(`Message ${message.messageId} already exists in this thread`);
    }
    entry.messages.push(message);
    if (entry.messages.length > MAX_MESSAGES_PER_THREAD) {
      entry.messages.splice(0, entry.messages.length - MAX_MESSAGES_PER_THREAD);
    }
    entry.thread.updatedAt = message.createdAt;
    return structuredClone(message);
  }

  async getMessages(
    widgetId: string,
    threadId: string,
    options?: GetMessagesOptions,
  ): Promise<ChatMessage[]> {
    const { limit, before } = prepareMessageQuery(widgetId, threadId, options);
    const messages = this.entry(widgetId, threadId)?.messages ?? [];
    let end = messages.length;
    if (before !== undefined) {
      end = messages.findIndex((message) => message.messageId === before);
      if (end < 0) {
        return [];
      }
    }
    return structuredClone(messages.slice(Math.max(0, end - limit), end));
  }

  async clearMessages(widgetId: string, threadId: string): Promise<number> {
    const entry = this.entry(widgetId, threadId);
    if (!entry) {
      return 0;
    }
    const cleared = entry.messages.length;
    entry.messages = [];
    return cleared;
  }

  private entry(widgetId: string, threadId: string): ThreadEntry | undefined {
    assertId('widgetId', widgetId);
    assertId('threadId', threadId);
    return this.widgets.get(widgetId)?.get(threadId);
  }
}
