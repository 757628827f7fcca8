import { createHash } from 'node:crypto';

/** SHA-256 of a session id, hex: the only form of a session id that appears in a key name. */
export function sessionKeyOf(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

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

  chatMessageIds(widgetId: string, threadId: string): string {
    return `${this.chatThread(widgetId, threadId)}:message_ids`;
  }

  chatMessages(widgetId: string, threadId: string): string {
    return `${this.chatThread(widgetId, threadId)}:messages`;
  }

  probe(workerId: string): string {
    return `${this.prefix}:probe:${workerId}`;
  }
}
