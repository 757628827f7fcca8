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

interface StoredMessage {
  message: ChatMessage;
  /** Position among every message ever appended: breaks ties between equal timestamps. */
  sequence: number;
  /** Search words, computed on the first search. */
  terms?: string[];
}

interface ThreadEntry {
  thread: ChatThread;
  messages: StoredMessage[];
  toolCalls: Map<string, ToolCallRecord>;
  artifacts: Map<string, ArtifactRecord>;
  usage: TokenUsageRecord[];
  resources: Map<string, ResourceRecord>;
  skills: Map<string, SkillRecord>;
}

/** Chat threads, messages and their audit trail in process memory. */
export class MemoryChatStore extends ChatStore {
  /** widget id → thread id → thread. Insertion order is creation order. */
  private readonly widgets = new Map<string, Map<string, ThreadEntry>>();
  private sequence = 0;

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
    threads.set(threadId, {
      thread,
      messages: [],
      toolCalls: new Map(),
      artifacts: new Map(),
      usage: [],
      resources: new Map(),
      skills: new Map(),
    });
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
    if (entry.messages.some((existing) => existing.message.messageId === message.messageId)) {
      throw new StateConflictError(`Message ${message.messageId} already exists in this thread`);
    }
    this.sequence += 1;
    entry.messages.push({ message, sequence: this.sequence });
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
      end = messages.findIndex((stored) => stored.message.messageId === before);
      if (end < 0) {
        return [];
      }
    }
    return messages
      .slice(Math.max(0, end - limit), end)
      .map((stored) => structuredClone(stored.message));
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

  override async logToolCall(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogToolCallInput,
  ): Promise<ToolCallRecord> {
    const call = prepareToolCall(widgetId, threadId, messageId, input);
    const entry = this.messageEntry(widgetId, threadId, messageId);
    const record = applyToolCall(entry.toolCalls.get(call.toolCallId) ?? null, call, {
      widgetId,
      threadId,
      messageId,
    });
    entry.toolCalls.set(call.toolCallId, record);
    return structuredClone(record);
  }

  override async logArtifact(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogArtifactInput,
  ): Promise<ArtifactRecord> {
    const artifact = prepareArtifact(widgetId, threadId, messageId, input);
    const entry = this.messageEntry(widgetId, threadId, messageId);
    if (entry.artifacts.has(artifact.artifactId)) {
      throw new StateConflictError(`Artifact ${artifact.artifactId} already exists in this thread`);
    }
    entry.artifacts.set(artifact.artifactId, artifact);
    return structuredClone(artifact);
  }

  override async logTokenUsage(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogTokenUsageInput,
  ): Promise<TokenUsageRecord> {
    const usage = prepareTokenUsage(widgetId, threadId, messageId, input);
    this.messageEntry(widgetId, threadId, messageId).usage.push(usage);
    return { ...usage };
  }

  override async logResource(
    widgetId: string,
    threadId: string,
    input: LogResourceInput,
  ): Promise<ResourceRecord> {
    const resource = prepareResource(widgetId, threadId, input);
    const entry = this.existingEntry(widgetId, threadId);
    if (entry.resources.has(resource.resourceId)) {
      throw new StateConflictError(`Resource ${resource.resourceId} already exists in this thread`);
    }
    entry.resources.set(resource.resourceId, resource);
    return { ...resource };
  }

  override async logSkill(
    widgetId: string,
    threadId: string,
    input: LogSkillInput,
  ): Promise<SkillRecord> {
    const skill = prepareSkill(widgetId, threadId, input);
    const entry = this.existingEntry(widgetId, threadId);
    if (entry.skills.has(skill.skillId)) {
      throw new StateConflictError(`Skill activation ${skill.skillId} already exists`);
    }
    entry.skills.set(skill.skillId, skill);
    return structuredClone(skill);
  }

  override async getToolCalls(
    widgetId: string,
    threadId: string,
    messageId?: string,
  ): Promise<ToolCallRecord[]> {
    assertAuditIds(widgetId, threadId, messageId);
    const calls = [...(this.widgets.get(widgetId)?.get(threadId)?.toolCalls.values() ?? [])];
    return structuredClone(
      calls.filter((call) => messageId === undefined || call.messageId === messageId),
    );
  }

  override async getArtifacts(
    widgetId: string,
    threadId: string,
    messageId?: string,
  ): Promise<ArtifactRecord[]> {
    assertAuditIds(widgetId, threadId, messageId);
    const artifacts = [...(this.widgets.get(widgetId)?.get(threadId)?.artifacts.values() ?? [])];
    return structuredClone(
      artifacts.filter((artifact) => messageId === undefined || artifact.messageId === messageId),
    );
  }

  override async getResources(widgetId: string, threadId: string): Promise<ResourceRecord[]> {
    assertAuditIds(widgetId, threadId);
    const resources = this.widgets.get(widgetId)?.get(threadId)?.resources.values() ?? [];
    return Array.from(resources, (resource) => ({ ...resource }));
  }

  override async getSkills(widgetId: string, threadId: string): Promise<SkillRecord[]> {
    assertAuditIds(widgetId, threadId);
    const skills = this.widgets.get(widgetId)?.get(threadId)?.skills.values() ?? [];
    return structuredClone([...skills]);
  }

  override async searchMessages(
    query: string,
    options?: SearchMessagesOptions,
  ): Promise<MessageSearchResult[]> {
    const { terms, widgetId, limit } = prepareSearch(query, options);
    if (terms.length === 0) {
      return [];
    }
    const corpus: { entry: ThreadEntry; stored: StoredMessage; terms: string[] }[] = [];
    for (const threads of this.widgets.values()) {
      for (const entry of threads.values()) {
        for (const stored of entry.messages) {
          stored.terms ??= searchTerms(stored.message.content);
          corpus.push({ entry, stored, terms: stored.terms });
        }
      }
    }
    const candidates =
      widgetId === undefined
        ? corpus
        : corpus.filter(({ entry }) => entry.thread.widgetId === widgetId);
    return bm25Scores(terms, corpus, candidates)
      .sort(
        ([a, scoreA], [b, scoreB]) =>
          scoreB - scoreA ||
          candidates[b].stored.message.createdAt - candidates[a].stored.message.createdAt ||
          candidates[b].stored.sequence - candidates[a].stored.sequence,
      )
      .slice(0, limit)
      .map(([index]) => {
        const { entry, stored } = candidates[index];
        return {
          widgetId: entry.thread.widgetId,
          threadId: entry.thread.threadId,
          threadTitle: entry.thread.title,
          message: structuredClone(stored.message),
        };
      });
  }

  override async getUsageStats(scope?: UsageScope): Promise<UsageStats> {
    const { widgetId, threadId } = prepareUsageScope(scope);
    const stats = emptyUsageStats();
    for (const [id, threads] of this.widgets) {
      if (widgetId !== undefined && id !== widgetId) {
        continue;
      }
      for (const entry of threads.values()) {
        if (threadId !== undefined && entry.thread.threadId !== threadId) {
          continue;
        }
        entry.usage.forEach((usage) => addUsage(stats, usage));
      }
    }
    return stats;
  }

  private entry(widgetId: string, threadId: string): ThreadEntry | undefined {
    assertId('widgetId', widgetId);
    assertId('threadId', threadId);
    return this.widgets.get(widgetId)?.get(threadId);
  }

  private existingEntry(widgetId: string, threadId: string): ThreadEntry {
    const entry = this.entry(widgetId, threadId);
    if (!entry) {
      throw new StateNotFoundError(`Thread ${threadId} does not exist`);
    }
    return entry;
  }

  /** The thread of a message that must be in it. */
  private messageEntry(widgetId: string, threadId: string, messageId: string): ThreadEntry {
    const entry = this.existingEntry(widgetId, threadId);
    if (!entry.messages.some((stored) => stored.message.messageId === messageId)) {
      throw new StateNotFoundError(`Message ${messageId} is not in thread ${threadId}`);
    }
    return entry;
  }
}
