import * as crypto from 'node:crypto';

/** One-shot hashing (Node 20.12 and later): no Hash object per call on the request path. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;

/** SHA-256 of a session id, hex: the only form of a session id that appears in a key name. */
export function sessionKeyOf(sessionId: string): string {
  return oneShotHash
    ? oneShotHash('sha256', sessionId)
    : crypto.createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * Suffixes of the keys that hang off a thread key. Scripts that walk a widget's threads get them
 * as arguments, so this table stays the only place that spells the layout.
 */
export const CHAT_THREAD_SUFFIXES = {
  messageIds: ':message_ids',
  messages: ':messages',
  messageSequences: ':message_sequences',
  toolCalls: ':tool_calls',
  toolCallIds: ':tool_call_ids',
  artifacts: ':artifacts',
  artifactIds: ':artifact_ids',
  usage: ':usage',
  resources: ':resources',
  resourceIds: ':resource_ids',
  skills: ':skills',
  skillIds: ':skill_ids',
} as const;

/** Every key that hangs off a thread key: what `deleteThread` removes with the thread. */
export const CHAT_THREAD_DATA_KEY_COUNT = Object.keys(CHAT_THREAD_SUFFIXES).length;

/** Key and channel names under one prefix (the reference layout). */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  widget(widgetId: string): string {
    return `${this.prefix}:widget:${widgetId}`;
  }

  get activeWidgets(): string {
    return `${this.prefix}:widgets:active`;
  }

  get widgetSequence(): string {
    return `${this.prefix}:widgets:sequence`;
  }

  channel(channel: string): string {
    return `${this.prefix}:channel:${channel}`;
  }

  /** The channel name a subscriber sees, back to the bus channel; `null` when foreign. */
  channelName(redisChannel: string): string | null {
    const start = `${this.prefix}:channel:`;
    return redisChannel.startsWith(start) ? redisChannel.slice(start.length) : null;
  }

  connection(widgetId: string): string {
    return `${this.prefix}:conn:${widgetId}`;
  }

  workerConnections(workerId: string): string {
    return `${this.prefix}:worker:${workerId}:connections`;
  }

  /** Takes the hashed session key, never the raw id. */
  session(sessionKey: string): string {
    return `${this.prefix}:session:${sessionKey}`;
  }

  /**
   * Pub/sub channel of the session cache: each message names hashed session keys, space
   * separated, that were deleted or refreshed. It is outside `{prefix}:channel:`, so no event bus
   * channel can be named like it.
   */
  get sessionInvalidations(): string {
    return `${this.prefix}:sessions:invalidated`;
  }

  userSessions(userId: string): string {
    return `${this.prefix}:user:${userId}:sessions`;
  }

  get rolePermissions(): string {
    return `${this.prefix}:role_permissions`;
  }

  // Chat keys hold two ids; each is percent-encoded so that no pair of ids can collide.

  chatThreads(widgetId: string): string {
    return `${this.prefix}:chat:${encodeURIComponent(widgetId)}:threads`;
  }

  chatSequence(widgetId: string): string {
    return `${this.prefix}:chat:${encodeURIComponent(widgetId)}:sequence`;
  }

  /** The part of a thread key after the widget: also the thread's member in `chatThreads`. */
  chatThreadMember(threadId: string): string {
    return encodeURIComponent(threadId);
  }

  chatThread(widgetId: string, threadId: string): string {
    return `${this.chatThreadPrefix(widgetId)}${this.chatThreadMember(threadId)}`;
  }

  chatThreadPrefix(widgetId: string): string {
    return `${this.prefix}:chat:${encodeURIComponent(widgetId)}:thread:`;
  }

  // Encoded ids never contain ':', so `{p}:chat:widgets` and `{p}:chat:message_sequence` cannot be
  // taken for a key of some widget, and a thread's suffixed keys never for another thread's.

  /** Ids (raw) of the widgets that have threads: lets a search or usage sum skip SCAN. */
  get chatWidgets(): string {
    return `${this.prefix}:chat:widgets`;
  }

  /** Counts every message ever appended: ties between equal timestamps in a search. */
  get chatMessageSequence(): string {
    return `${this.prefix}:chat:message_sequence`;
  }

  chatMessageIds(widgetId: string, threadId: string): string {
    return this.chatThreadKey(widgetId, threadId, 'messageIds');
  }

  chatMessages(widgetId: string, threadId: string): string {
    return this.chatThreadKey(widgetId, threadId, 'messages');
  }

  /** A thread key with one of `CHAT_THREAD_SUFFIXES`. */
  chatThreadKey(
    widgetId: string,
    threadId: string,
    suffix: keyof typeof CHAT_THREAD_SUFFIXES,
  ): string {
    return `${this.chatThread(widgetId, threadId)}${CHAT_THREAD_SUFFIXES[suffix]}`;
  }

  /** Every key that hangs off the thread key, in `CHAT_THREAD_SUFFIXES` order. */
  chatThreadData(widgetId: string, threadId: string): string[] {
    const thread = this.chatThread(widgetId, threadId);
    return Object.values(CHAT_THREAD_SUFFIXES).map((suffix) => `${thread}${suffix}`);
  }

  probe(workerId: string): string {
    return `${this.prefix}:probe:${workerId}`;
  }

  /** A value of the transient store. */
  transient(key: string): string {
    return `${this.prefix}:transient:${key}`;
  }
}
