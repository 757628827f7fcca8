import {
  addUsage,
  applyToolCall,
  assertAuditIds,
  emptyUsageStats,
  prepareArtifact,
  prepareResource,
  prepareSearch,
  prepareSkill,
  prepareTokenUsage,
  prepareToolCall,
  prepareUsageScope,
} from '../../chat/chat-audit.validation';
import {
  prepareMessage,
  prepareMessageQuery,
  prepareThreadInput,
} from '../../chat/chat.validation';
import { bm25Scores, searchTerms } from '../../chat/message-search';
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
} from '../../chat/chat.models';
import { StateConflictError, StateNotFoundError } from '../../state.errors';
import { ChatStore, MAX_MESSAGES_PER_THREAD } from '../../chat/chat-store';
import { assertId } from '../../common/validation';
import type { RedisConnection } from './redis-connection';
import { fieldsToRecord, isPresent } from './redis-fields';
import { CHAT_THREAD_SUFFIXES, type RedisKeys } from './redis-keys';

/**
 * Most times `logToolCall` re-reads a call that another writer changed under it. Each retry means
 * another write landed, so running out takes a burst of writers on one call.
 */
const MAX_TOOL_CALL_ATTEMPTS = 16;

/** Outcomes of the audit write scripts (see `redis-scripts.ts`). */
const NO_THREAD = -1;
const NO_MESSAGE = -2;
const DUPLICATE = -3;

/** One message of the search corpus, with what ranks it. */
interface CorpusEntry {
  widgetId: string;
  threadId: string;
  threadTitle: string;
  message: ChatMessage;
  /** Position among every message ever appended: breaks ties between equal timestamps. */
  sequence: number;
  terms: string[];
}

/** JSON values from a script reply; a missing hash field (nil) is skipped. */
function parseAll<T>(reply: unknown): T[] {
  return (reply as (string | null)[])
    .filter((json): json is string => json !== null)
    .map((json) => JSON.parse(json) as T);
}

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
 * (the order), a hash of messages and one of their global sequence numbers; per thread an audit
 * trail of hashes by id with lists for the order (usage: a list only). A set of the widgets with
 * threads lets search and usage sums reach everything without SCAN. Chat keys do not expire.
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
        this.keys.chatWidgets,
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
        this.keys.chatWidgets,
        this.keys.chatThread(widgetId, threadId),
        this.keys.chatSequence(widgetId),
        this.keys.chatMessageSequence,
        ...this.keys.chatThreadData(widgetId, threadId),
        this.keys.chatThreadMember(threadId),
        widgetId,
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
          this.keys.chatThreadKey(widgetId, threadId, 'messageSequences'),
          this.keys.chatMessageSequence,
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
          this.keys.chatThreadKey(widgetId, threadId, 'messageSequences'),
        ),
      ),
    );
  }

  override async logToolCall(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogToolCallInput,
  ): Promise<ToolCallRecord> {
    const call = prepareToolCall(widgetId, threadId, messageId, input);
    const ids = { widgetId, threadId, messageId };
    // Assume a new call first: that costs one round trip, and a transition of a logged call two.
    // The script writes only over the json the record was built on, so `applyToolCall` keeps
    // deciding every transition and no concurrent write is lost.
    let seen: string | null = null;
    for (let attempt = 0; attempt < MAX_TOOL_CALL_ATTEMPTS; attempt += 1) {
      const existing = seen === null ? null : (JSON.parse(seen) as ToolCallRecord);
      const record = applyToolCall(existing, call, ids);
      const [outcome, current] = (await this.redis.run((client) =>
        client.livegateToolCallLog(
          this.keys.chatThread(widgetId, threadId),
          this.keys.chatMessages(widgetId, threadId),
          this.keys.chatThreadKey(widgetId, threadId, 'toolCalls'),
          this.keys.chatThreadKey(widgetId, threadId, 'toolCallIds'),
          messageId,
          call.toolCallId,
          seen ?? '',
          JSON.stringify(record),
        ),
      )) as [number, string | null | undefined];
      if (Number(outcome) === 1) {
        return record;
      }
      this.assertInThread(Number(outcome), threadId, messageId);
      seen = current ?? null;
    }
    throw new StateConflictError(
      `Tool call ${call.toolCallId} kept changing while it was being logged; log it again`,
    );
  }

  override async logArtifact(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogArtifactInput,
  ): Promise<ArtifactRecord> {
    const artifact = prepareArtifact(widgetId, threadId, messageId, input);
    const outcome = await this.addRecord(
      widgetId,
      threadId,
      messageId,
      ['artifacts', 'artifactIds'],
      artifact.artifactId,
      artifact,
    );
    if (outcome === DUPLICATE) {
      throw new StateConflictError(`Artifact ${artifact.artifactId} already exists in this thread`);
    }
    return artifact;
  }

  override async logTokenUsage(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogTokenUsageInput,
  ): Promise<TokenUsageRecord> {
    const usage = prepareTokenUsage(widgetId, threadId, messageId, input);
    const outcome = Number(
      await this.redis.run((client) =>
        client.livegateUsageAdd(
          this.keys.chatThread(widgetId, threadId),
          this.keys.chatMessages(widgetId, threadId),
          this.keys.chatThreadKey(widgetId, threadId, 'usage'),
          messageId,
          JSON.stringify(usage),
        ),
      ),
    );
    this.assertInThread(outcome, threadId, messageId);
    return usage;
  }

  override async logResource(
    widgetId: string,
    threadId: string,
    input: LogResourceInput,
  ): Promise<ResourceRecord> {
    const resource = prepareResource(widgetId, threadId, input);
    const outcome = await this.addRecord(
      widgetId,
      threadId,
      undefined,
      ['resources', 'resourceIds'],
      resource.resourceId,
      resource,
    );
    if (outcome === DUPLICATE) {
      throw new StateConflictError(`Resource ${resource.resourceId} already exists in this thread`);
    }
    return resource;
  }

  override async logSkill(
    widgetId: string,
    threadId: string,
    input: LogSkillInput,
  ): Promise<SkillRecord> {
    const skill = prepareSkill(widgetId, threadId, input);
    const outcome = await this.addRecord(
      widgetId,
      threadId,
      undefined,
      ['skills', 'skillIds'],
      skill.skillId,
      skill,
    );
    if (outcome === DUPLICATE) {
      throw new StateConflictError(`Skill activation ${skill.skillId} already exists`);
    }
    return skill;
  }

  override async getToolCalls(
    widgetId: string,
    threadId: string,
    messageId?: string,
  ): Promise<ToolCallRecord[]> {
    assertAuditIds(widgetId, threadId, messageId);
    const calls = await this.listRecords<ToolCallRecord>(widgetId, threadId, [
      'toolCalls',
      'toolCallIds',
    ]);
    return calls.filter((call) => messageId === undefined || call.messageId === messageId);
  }

  override async getArtifacts(
    widgetId: string,
    threadId: string,
    messageId?: string,
  ): Promise<ArtifactRecord[]> {
    assertAuditIds(widgetId, threadId, messageId);
    const artifacts = await this.listRecords<ArtifactRecord>(widgetId, threadId, [
      'artifacts',
      'artifactIds',
    ]);
    return artifacts.filter(
      (artifact) => messageId === undefined || artifact.messageId === messageId,
    );
  }

  override async getResources(widgetId: string, threadId: string): Promise<ResourceRecord[]> {
    assertAuditIds(widgetId, threadId);
    return this.listRecords(widgetId, threadId, ['resources', 'resourceIds']);
  }

  override async getSkills(widgetId: string, threadId: string): Promise<SkillRecord[]> {
    assertAuditIds(widgetId, threadId);
    return this.listRecords(widgetId, threadId, ['skills', 'skillIds']);
  }

  /**
   * Ranks in Node as the memory store does. The corpus is every stored message even when the
   * search is scoped to one widget: the term weights come from all of them, as FTS5's bm25()
   * takes them from the whole table, so a scope never reorders results.
   */
  override async searchMessages(
    query: string,
    options?: SearchMessagesOptions,
  ): Promise<MessageSearchResult[]> {
    const { terms, widgetId, limit } = prepareSearch(query, options);
    if (terms.length === 0) {
      return [];
    }
    const corpus = await this.loadCorpus();
    const candidates =
      widgetId === undefined ? corpus : corpus.filter((entry) => entry.widgetId === widgetId);
    return bm25Scores(terms, corpus, candidates)
      .sort(
        ([a, scoreA], [b, scoreB]) =>
          scoreB - scoreA ||
          candidates[b].message.createdAt - candidates[a].message.createdAt ||
          candidates[b].sequence - candidates[a].sequence,
      )
      .slice(0, limit)
      .map(([index]) => {
        const { widgetId: hitWidgetId, threadId, threadTitle, message } = candidates[index];
        return { widgetId: hitWidgetId, threadId, threadTitle, message };
      });
  }

  override async getUsageStats(scope?: UsageScope): Promise<UsageStats> {
    const { widgetId, threadId } = prepareUsageScope(scope);
    let usage: TokenUsageRecord[];
    if (widgetId !== undefined && threadId !== undefined) {
      usage = parseAll(
        await this.redis.run((client) =>
          client.lrange(this.keys.chatThreadKey(widgetId, threadId, 'usage'), 0, -1),
        ),
      );
    } else {
      const widgetIds = widgetId === undefined ? await this.chatWidgetIds() : [widgetId];
      // One script per widget, sent together: one round trip, and no single script walks every
      // widget while Redis waits.
      const replies = await this.redis.run((client) =>
        Promise.all(
          widgetIds.map((id) =>
            client.livegateUsageList(
              this.keys.chatThreads(id),
              this.keys.chatThreadPrefix(id),
              CHAT_THREAD_SUFFIXES.usage,
            ),
          ),
        ),
      );
      usage = replies.flatMap((reply) => parseAll<TokenUsageRecord>(reply));
    }
    return usage.reduce(addUsage, emptyUsageStats());
  }

  /** Every stored message with its thread, each widget's part read atomically. */
  private async loadCorpus(): Promise<CorpusEntry[]> {
    const widgetIds = await this.chatWidgetIds();
    const replies = await this.redis.run((client) =>
      Promise.all(
        widgetIds.map((id) =>
          client.livegateChatCorpus(
            this.keys.chatThreads(id),
            this.keys.chatThreadPrefix(id),
            CHAT_THREAD_SUFFIXES.messageIds,
            CHAT_THREAD_SUFFIXES.messages,
            CHAT_THREAD_SUFFIXES.messageSequences,
          ),
        ),
      ),
    );
    const corpus: CorpusEntry[] = [];
    for (const reply of replies) {
      for (const [threadId, widgetId, threadTitle, messages, sequences] of reply as [
        string,
        string,
        string,
        (string | null)[],
        (string | null)[],
      ][]) {
        messages.forEach((json, index) => {
          if (json === null) {
            return;
          }
          const message = JSON.parse(json) as ChatMessage;
          corpus.push({
            widgetId,
            threadId,
            threadTitle,
            message,
            // Messages appended before sequences were kept rank after their timestamps only.
            sequence: Number(sequences[index] ?? 0),
            terms: searchTerms(message.content),
          });
        });
      }
    }
    return corpus;
  }

  private async chatWidgetIds(): Promise<string[]> {
    return this.redis.run((client) => client.smembers(this.keys.chatWidgets));
  }

  /** Adds an artifact, resource or skill; returns 1 or `DUPLICATE`, throws when not in the thread. */
  private async addRecord(
    widgetId: string,
    threadId: string,
    messageId: string | undefined,
    [records, recordIds]: [keyof typeof CHAT_THREAD_SUFFIXES, keyof typeof CHAT_THREAD_SUFFIXES],
    recordId: string,
    record: object,
  ): Promise<number> {
    const outcome = Number(
      await this.redis.run((client) =>
        client.livegateAuditAdd(
          this.keys.chatThread(widgetId, threadId),
          this.keys.chatMessages(widgetId, threadId),
          this.keys.chatThreadKey(widgetId, threadId, records),
          this.keys.chatThreadKey(widgetId, threadId, recordIds),
          messageId ?? '',
          recordId,
          JSON.stringify(record),
        ),
      ),
    );
    this.assertInThread(outcome, threadId, messageId);
    return outcome;
  }

  private async listRecords<T>(
    widgetId: string,
    threadId: string,
    [records, recordIds]: [keyof typeof CHAT_THREAD_SUFFIXES, keyof typeof CHAT_THREAD_SUFFIXES],
  ): Promise<T[]> {
    return parseAll<T>(
      await this.redis.run((client) =>
        client.livegateAuditList(
          this.keys.chatThreadKey(widgetId, threadId, recordIds),
          this.keys.chatThreadKey(widgetId, threadId, records),
        ),
      ),
    );
  }

  /** Turns the not-found outcomes of an audit write script into the memory store's errors. */
  private assertInThread(outcome: number, threadId: string, messageId?: string): void {
    if (outcome === NO_THREAD) {
      throw new StateNotFoundError(`Thread ${threadId} does not exist`);
    }
    if (outcome === NO_MESSAGE) {
      throw new StateNotFoundError(`Message ${messageId} is not in thread ${threadId}`);
    }
  }
}
