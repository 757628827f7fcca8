import { randomUUID } from 'node:crypto';
import {
  CHAT_ROLES,
  type AppendMessageInput,
  type ChatMessage,
  type GetMessagesOptions,
  type SaveThreadInput,
} from './chat.models';
import { StateValidationError } from '../state.errors';
import { DEFAULT_MESSAGE_PAGE_SIZE, MAX_MESSAGES_PER_THREAD } from './chat-store';
import { assertId, assertLimit, assertText, normalizeMetadata } from '../common/validation';

/** Longest thread title and message content, in characters. */
export const MAX_TITLE_LENGTH = 1024;
export const MAX_CONTENT_LENGTH = 1024 * 1024;

/** Validates `saveThread` input. */
export function prepareThreadInput(
  widgetId: string,
  input: SaveThreadInput = {},
): { threadId: string; title: string | undefined; metadata: Record<string, unknown> | undefined } {
  assertId('widgetId', widgetId);
  if (input === null || typeof input !== 'object') {
    throw new StateValidationError('thread', 'must be an object');
  }
  const threadId = input.threadId ?? randomUUID();
  assertId('threadId', threadId);
  if (input.title !== undefined) {
    assertText('title', input.title, MAX_TITLE_LENGTH);
  }
  return {
    threadId,
    title: input.title,
    metadata:
      input.metadata === undefined ? undefined : normalizeMetadata('metadata', input.metadata),
  };
}

/** Validates `appendMessage` input and builds the message every backend stores. */
export function prepareMessage(
  widgetId: string,
  threadId: string,
  input: AppendMessageInput,
  now = Date.now(),
): ChatMessage {
  assertId('widgetId', widgetId);
  assertId('threadId', threadId);
  if (input === null || typeof input !== 'object') {
    throw new StateValidationError('message', 'must be an object');
  }
  const messageId = input.messageId ?? randomUUID();
  assertId('messageId', messageId);
  if (!CHAT_ROLES.includes(input.role)) {
    throw new StateValidationError('role', `must be one of ${CHAT_ROLES.join(', ')}`);
  }
  assertText('content', input.content, MAX_CONTENT_LENGTH);
  return {
    messageId,
    threadId,
    role: input.role,
    content: input.content,
    metadata: normalizeMetadata('metadata', input.metadata),
    createdAt: now,
  };
}

/** Validates `getMessages` options and applies the default page size. */
export function prepareMessageQuery(
  widgetId: string,
  threadId: string,
  options: GetMessagesOptions = {},
): { limit: number; before: string | undefined } {
  assertId('widgetId', widgetId);
  assertId('threadId', threadId);
  const limit = options.limit ?? DEFAULT_MESSAGE_PAGE_SIZE;
  assertLimit('limit', limit, MAX_MESSAGES_PER_THREAD);
  if (options.before !== undefined) {
    assertId('before', options.before);
  }
  return { limit, before: options.before };
}
