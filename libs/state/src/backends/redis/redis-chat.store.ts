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
import type { RedisConnection } from './redis-connection';
import { fieldsToRecord, isPresent } from './redis-fields';
import type { RedisKeys } from './redis-keys';

function toThread(fields: Record<string, string>): ChatThread {
  return {
    threadId: fields.id,
    widgetId: fields.widget,
    title: fields.title,
    metadata: JSON.parse(fields.metadata) as Record<string, unknown>,
    createdAt: Number(fields.createdAt),
    updatedAt: Number(fields.updatedAt),
  };
}

/**
 * Chat in Redis: per widget a sorted set of threads; per thread a hash, a list of message ids
 * (the order) and a hash of messages. Chat keys do not expire.
 */
export class RedisChatStore extends ChatStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
  ) {
    super();
  }

  async saveThread(widgetId: string, input?: SaveThreadInput): Promise<ChatThread> {
    const { threadId, title, metadata } = prepareThreadInput(widgetId, input);
    const reply = await this.redis.run((client) =>
      client.livegateThreadSave(
        this.keys.chatThreads(widgetId),
        this.keys.chatSequence(widgetId),
        this.keys.chatThread(widgetId, threadId),
        this.keys.chatThreadMember(threadId),
        threadId,
        widgetId,
        title === undefined ? '0' : '1',
        title ?? '',
        metadata === undefined ? '0' : '1',
        JSON.stringify(metadata ?? {}),
      ),
    );
    return toThread(fieldsToRecord(reply));
  }

  async getThread(widgetId: string, threadId: string): Promise<ChatThread | null> {
    assertId('widgetId', widgetId);
    assertId('threadId', threadId);
    const fields = await this.redis.run((client) =>
      client.hgetall(this.keys.chatThread(widgetId, threadId)),
    );
    return isPresent(fields) ? toThread(fields) : null;
  }

  async listThreads(widgetId: string): Promise<ChatThread[]> {
    assertId('widgetId', widgetId);
    const reply = (await this.redis.run((client) =>
      client.livegateThreadList(
        this.keys.chatThreads(widgetId),
        this.keys.chatThreadPrefix(widgetId),
      ),
    )) as unknown[];
    return reply.map((fields) => toThread(fieldsToRecord(fields)));
  }

  async deleteThread(widgetId: string, threadId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertId('threadId', threadId);
    const deleted = await this.redis.run((client) =>
      client.livegateThreadDelete(
        this.keys.chatThreads(widgetId),
        this.keys.chatThread(widgetId, threadId),
        this.keys.chatMessageIds(widgetId, threadId),
        this.keys.chatMessages(widgetId, threadId),
        this.keys.chatThreadMember(threadId),
      ),
    );
    return Number(deleted) === 1;
  }

  async appendMessage(
    widgetId: string,
    threadId: string,
    input: AppendMessageInput,
  ): Promise<ChatMessage> {
    const message = prepareMessage(widgetId, threadId, input);
    const outcome = Number(
      await this.redis.run((client) =>
        client.livegateMessageAppend(
          this.keys.chatThread(widgetId, threadId),
          this.keys.chatMessageIds(widgetId, threadId),
          this.keys.chatMessages(widgetId, threadId),
          message.messageId,
          JSON.stringify(message),
          MAX_MESSAGES_PER_THREAD,
          message.createdAt,
        ),
      ),
    );
    if (outcome === -1) {
      throw new StateNotFoundError(`Thread ${threadId} does not exist`);
    }
    if (outcome === -2) {
      throw new StateConflictError(`Message ${message.messageId} already exists in this thread`);
    }
    return message;
  }

  async getMessages(
    widgetId: string,
    threadId: string,
    options?: GetMessagesOptions,
  ): Promise<ChatMessage[]> {
    const { limit, before } = prepareMessageQuery(widgetId, threadId, options);
    const reply = (await this.redis.run((client) =>
      client.livegateMessagePage(
        this.keys.chatMessageIds(widgetId, threadId),
        this.keys.chatMessages(widgetId, threadId),
        limit,
        before ?? '',
      ),
    )) as (string | null)[];
    return reply
      .filter((json): json is string => json !== null)
      .map((json) => JSON.parse(json) as ChatMessage);
  }

  async clearMessages(widgetId: string, threadId: string): Promise<number> {
    assertId('widgetId', widgetId);
    assertId('threadId', threadId);
    return Number(
      await this.redis.run((client) =>
        client.livegateMessageClear(
          this.keys.chatThread(widgetId, threadId),
          this.keys.chatMessageIds(widgetId, threadId),
          this.keys.chatMessages(widgetId, threadId),
        ),
      ),
    );
  }
}
