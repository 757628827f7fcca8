import type { Statement } from 'better-sqlite3-multiple-ciphers';
import {
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
import { ftsMatchExpression } from '../../chat/message-search';
import type {
  AppendMessageInput,
  ArtifactRecord,
  ChatMessage,
  ChatRole,
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
  ToolCallStatus,
  UsageScope,
  UsageStats,
} from '../../chat/chat.models';
import { StateConflictError, StateNotFoundError } from '../../state.errors';
import { ChatStore, MAX_MESSAGES_PER_THREAD } from '../../chat/chat-store';
import { assertId } from '../../common/validation';
import type { SqliteDatabase } from './sqlite-database';

type Json = Record<string, unknown>;
const parse = (json: string): Json => JSON.parse(json) as Json;

interface ThreadRow {
  thread_pk: number;
  widget_id: string;
  thread_id: string;
  title: string;
  metadata: string;
  created_at: number;
  updated_at: number;
}

interface MessageRow {
  message_id: string;
  role: ChatRole;
  content: string;
  metadata: string;
  created_at: number;
}

interface ToolCallRow {
  tool_call_id: string;
  message_id: string;
  name: string;
  kind: string;
  status: ToolCallStatus;
  arguments: string;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
}

interface ArtifactRow {
  artifact_id: string;
  message_id: string;
  artifact_type: string;
  title: string;
  content: string | null;
  metadata: string;
  created_at: number;
}

interface ResourceRow {
  resource_id: string;
  uri: string;
  name: string;
  mime_type: string | null;
  content: string | null;
  size: number | null;
  created_at: number;
}

interface SkillRow {
  skill_id: string;
  name: string;
  metadata: string;
  activated_at: number;
}

interface SearchRow extends MessageRow {
  widget_id: string;
  thread_id: string;
  title: string;
}

interface UsageRow {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number;
  count: number;
}

const toThread = (row: ThreadRow): ChatThread => ({
  threadId: row.thread_id,
  widgetId: row.widget_id,
  title: row.title,
  metadata: parse(row.metadata),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toMessage = (threadId: string, row: MessageRow): ChatMessage => ({
  messageId: row.message_id,
  threadId,
  role: row.role,
  content: row.content,
  metadata: parse(row.metadata),
  createdAt: row.created_at,
});

const toToolCall = (widgetId: string, threadId: string, row: ToolCallRow): ToolCallRecord => ({
  toolCallId: row.tool_call_id,
  widgetId,
  threadId,
  messageId: row.message_id,
  name: row.name,
  kind: row.kind,
  status: row.status,
  arguments: parse(row.arguments),
  result: row.result,
  error: row.error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  startedAt: row.started_at,
  completedAt: row.completed_at,
  durationMs:
    row.completed_at === null || row.started_at === null ? null : row.completed_at - row.started_at,
});

const toArtifact = (widgetId: string, threadId: string, row: ArtifactRow): ArtifactRecord => ({
  artifactId: row.artifact_id,
  widgetId,
  threadId,
  messageId: row.message_id,
  artifactType: row.artifact_type,
  title: row.title,
  content: row.content,
  metadata: parse(row.metadata),
  createdAt: row.created_at,
});

const toResource = (widgetId: string, threadId: string, row: ResourceRow): ResourceRecord => ({
  resourceId: row.resource_id,
  widgetId,
  threadId,
  uri: row.uri,
  name: row.name,
  mimeType: row.mime_type,
  content: row.content,
  size: row.size,
  createdAt: row.created_at,
});

const toSkill = (widgetId: string, threadId: string, row: SkillRow): SkillRecord => ({
  skillId: row.skill_id,
  widgetId,
  threadId,
  name: row.name,
  metadata: parse(row.metadata),
  activatedAt: row.activated_at,
});

/** The `thread_pk` of a widget's thread, as a subquery taking (widget id, thread id). */
const THREAD_PK = '(SELECT thread_pk FROM threads WHERE widget_id = ? AND thread_id = ?)';
const MESSAGE_COLUMNS = 'message_id, role, content, metadata, created_at';
const TOOL_CALL_COLUMNS = `tool_call_id, message_id, name, kind, status, arguments, result, error,
  created_at, updated_at, started_at, completed_at`;
const USAGE_SUMS = `coalesce(sum(u.prompt_tokens), 0) AS prompt_tokens,
  coalesce(sum(u.completion_tokens), 0) AS completion_tokens,
  coalesce(sum(u.total_tokens), 0) AS total_tokens, total(u.cost_usd) AS cost_usd,
  count(*) AS count`;
const SEARCH = `SELECT t.widget_id, t.thread_id, t.title, m.message_id, m.role, m.content,
    m.metadata, m.created_at
  FROM messages_fts
  JOIN messages m ON m.seq = messages_fts.rowid
  JOIN threads t ON t.thread_pk = m.thread_pk
  WHERE messages_fts MATCH ?`;
const SEARCH_ORDER = 'ORDER BY bm25(messages_fts), m.created_at DESC, m.seq DESC LIMIT ?';

/**
 * Chat threads, messages and the audit trail in the SQLite database. Messages are indexed by an
 * FTS5 table kept in step by triggers; `searchMessages` ranks with `bm25()`.
 */
export class SqliteChatStore extends ChatStore {
  private readonly statements;

  constructor(private readonly database: SqliteDatabase) {
    super();
    const db = database.connection;
    const prepare = <P extends unknown[], R = unknown>(sql: string): Statement<P, R> =>
      db.prepare<P, R>(sql);
    this.statements = {
      thread: prepare<[string, string], ThreadRow>(
        'SELECT * FROM threads WHERE widget_id = ? AND thread_id = ?',
      ),
      threadPk: prepare<[string, string], { thread_pk: number }>(
        'SELECT thread_pk FROM threads WHERE widget_id = ? AND thread_id = ?',
      ),
      insertThread: prepare<[string, string, string, string, number, number]>(
        `INSERT INTO threads (widget_id, thread_id, title, metadata, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      updateThread: prepare<[string, string, number, number]>(
        'UPDATE threads SET title = ?, metadata = ?, updated_at = ? WHERE thread_pk = ?',
      ),
      touchThread: prepare<[number, number]>(
        'UPDATE threads SET updated_at = ? WHERE thread_pk = ?',
      ),
      listThreads: prepare<[string], ThreadRow>(
        'SELECT * FROM threads WHERE widget_id = ? ORDER BY thread_pk',
      ),
      deleteThread: prepare<[string, string]>(
        'DELETE FROM threads WHERE widget_id = ? AND thread_id = ?',
      ),
      messageExists: prepare<[number, string], { found: 1 }>(
        'SELECT 1 AS found FROM messages WHERE thread_pk = ? AND message_id = ?',
      ),
      insertMessage: prepare<[number, string, string, string, string, number]>(
        `INSERT INTO messages (thread_pk, message_id, role, content, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      evictMessages: prepare<[number, number, number]>(
        `DELETE FROM messages WHERE thread_pk = ? AND seq <= (
           SELECT seq FROM messages WHERE thread_pk = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      ),
      latestMessages: prepare<[string, string, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE thread_pk = ${THREAD_PK}
         ORDER BY seq DESC LIMIT ?`,
      ),
      messagesBefore: prepare<[string, string, string, string, string, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE thread_pk = ${THREAD_PK} AND seq < (
           SELECT seq FROM messages WHERE thread_pk = ${THREAD_PK} AND message_id = ?)
         ORDER BY seq DESC LIMIT ?`,
      ),
      clearMessages: prepare<[string, string]>(
        `DELETE FROM messages WHERE thread_pk = ${THREAD_PK}`,
      ),
      toolCall: prepare<[number, string], ToolCallRow>(
        `SELECT ${TOOL_CALL_COLUMNS} FROM tool_calls WHERE thread_pk = ? AND tool_call_id = ?`,
      ),
      insertToolCall: prepare<
        [
          number,
          string,
          string,
          string,
          string,
          string,
          string,
          string | null,
          string | null,
          number,
          number,
          number | null,
          number | null,
        ]
      >(
        `INSERT INTO tool_calls (thread_pk, tool_call_id, message_id, name, kind, status, arguments,
           result, error, created_at, updated_at, started_at, completed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateToolCall: prepare<
        [
          string,
          string,
          string,
          string | null,
          string | null,
          number,
          number | null,
          number | null,
          number,
          string,
        ]
      >(
        `UPDATE tool_calls SET kind = ?, status = ?, arguments = ?, result = ?, error = ?,
           updated_at = ?, started_at = ?, completed_at = ?
         WHERE thread_pk = ? AND tool_call_id = ?`,
      ),
      toolCalls: prepare<[string, string], ToolCallRow>(
        `SELECT ${TOOL_CALL_COLUMNS} FROM tool_calls WHERE thread_pk = ${THREAD_PK} ORDER BY seq`,
      ),
      messageToolCalls: prepare<[string, string, string], ToolCallRow>(
        `SELECT ${TOOL_CALL_COLUMNS} FROM tool_calls WHERE thread_pk = ${THREAD_PK}
         AND message_id = ? ORDER BY seq`,
      ),
      artifactExists: prepare<[number, string], { found: 1 }>(
        'SELECT 1 AS found FROM artifacts WHERE thread_pk = ? AND artifact_id = ?',
      ),
      insertArtifact: prepare<
        [number, string, string, string, string, string | null, string, number]
      >(
        `INSERT INTO artifacts (thread_pk, artifact_id, message_id, artifact_type, title, content,
           metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      artifacts: prepare<[string, string], ArtifactRow>(
        `SELECT * FROM artifacts WHERE thread_pk = ${THREAD_PK} ORDER BY seq`,
      ),
      messageArtifacts: prepare<[string, string, string], ArtifactRow>(
        `SELECT * FROM artifacts WHERE thread_pk = ${THREAD_PK} AND message_id = ? ORDER BY seq`,
      ),
      insertUsage: prepare<
        [number, string, string, string | null, number, number, number, number | null, number]
      >(
        `INSERT INTO token_usage (thread_pk, usage_id, message_id, model, prompt_tokens,
           completion_tokens, total_tokens, cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      usageAll: prepare<[], UsageRow>(`SELECT ${USAGE_SUMS} FROM token_usage u`),
      usageWidget: prepare<[string], UsageRow>(
        `SELECT ${USAGE_SUMS} FROM token_usage u JOIN threads t ON t.thread_pk = u.thread_pk
         WHERE t.widget_id = ?`,
      ),
      usageThread: prepare<[string, string], UsageRow>(
        `SELECT ${USAGE_SUMS} FROM token_usage u WHERE u.thread_pk = ${THREAD_PK}`,
      ),
      resourceExists: prepare<[number, string], { found: 1 }>(
        'SELECT 1 AS found FROM resources WHERE thread_pk = ? AND resource_id = ?',
      ),
      insertResource: prepare<
        [number, string, string, string, string | null, string | null, number | null, number]
      >(
        `INSERT INTO resources (thread_pk, resource_id, uri, name, mime_type, content, size,
           created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      resources: prepare<[string, string], ResourceRow>(
        `SELECT * FROM resources WHERE thread_pk = ${THREAD_PK} ORDER BY seq`,
      ),
      skillExists: prepare<[number, string], { found: 1 }>(
        'SELECT 1 AS found FROM skills WHERE thread_pk = ? AND skill_id = ?',
      ),
      insertSkill: prepare<[number, string, string, string, number]>(
        `INSERT INTO skills (thread_pk, skill_id, name, metadata, activated_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      skills: prepare<[string, string], SkillRow>(
        `SELECT * FROM skills WHERE thread_pk = ${THREAD_PK} ORDER BY seq`,
      ),
      search: prepare<[string, number], SearchRow>(`${SEARCH} ${SEARCH_ORDER}`),
      searchWidget: prepare<[string, string, number], SearchRow>(
        `${SEARCH} AND t.widget_id = ? ${SEARCH_ORDER}`,
      ),
    };
  }

  async saveThread(widgetId: string, input?: SaveThreadInput): Promise<ChatThread> {
    const { threadId, title, metadata } = prepareThreadInput(widgetId, input);
    const now = Date.now();
    return this.database.write(() => {
      const existing = this.statements.thread.get(widgetId, threadId);
      if (existing) {
        const thread: ChatThread = {
          ...toThread(existing),
          title: title ?? existing.title,
          metadata: metadata ?? parse(existing.metadata),
          updatedAt: now,
        };
        this.statements.updateThread.run(
          thread.title,
          JSON.stringify(thread.metadata),
          now,
          existing.thread_pk,
        );
        return thread;
      }
      const thread: ChatThread = {
        threadId,
        widgetId,
        title: title ?? '',
        metadata: metadata ?? {},
        createdAt: now,
        updatedAt: now,
      };
      this.statements.insertThread.run(
        widgetId,
        threadId,
        thread.title,
        JSON.stringify(thread.metadata),
        now,
        now,
      );
      return thread;
    });
  }

  async getThread(widgetId: string, threadId: string): Promise<ChatThread | null> {
    assertAuditIds(widgetId, threadId);
    const row = this.database.read(() => this.statements.thread.get(widgetId, threadId));
    return row ? toThread(row) : null;
  }

  async listThreads(widgetId: string): Promise<ChatThread[]> {
    assertId('widgetId', widgetId);
    return this.database.read(() => this.statements.listThreads.all(widgetId).map(toThread));
  }

  async deleteThread(widgetId: string, threadId: string): Promise<boolean> {
    assertAuditIds(widgetId, threadId);
    // Messages, their search index entries and the audit trail go by cascade.
    return this.database.write(
      () => this.statements.deleteThread.run(widgetId, threadId).changes > 0,
    );
  }

  async appendMessage(
    widgetId: string,
    threadId: string,
    input: AppendMessageInput,
  ): Promise<ChatMessage> {
    const message = prepareMessage(widgetId, threadId, input);
    this.database.write(() => {
      const threadPk = this.threadPk(widgetId, threadId);
      if (this.statements.messageExists.get(threadPk, message.messageId)) {
        throw new StateConflictError(`Message ${message.messageId} already exists in this thread`);
      }
      this.statements.insertMessage.run(
        threadPk,
        message.messageId,
        message.role,
        message.content,
        JSON.stringify(message.metadata),
        message.createdAt,
      );
      this.statements.touchThread.run(message.createdAt, threadPk);
      this.statements.evictMessages.run(threadPk, threadPk, MAX_MESSAGES_PER_THREAD);
    });
    return message;
  }

  async getMessages(
    widgetId: string,
    threadId: string,
    options?: GetMessagesOptions,
  ): Promise<ChatMessage[]> {
    const { limit, before } = prepareMessageQuery(widgetId, threadId, options);
    const rows = this.database.read(() =>
      before === undefined
        ? this.statements.latestMessages.all(widgetId, threadId, limit)
        : this.statements.messagesBefore.all(widgetId, threadId, widgetId, threadId, before, limit),
    );
    return rows.reverse().map((row) => toMessage(threadId, row));
  }

  async clearMessages(widgetId: string, threadId: string): Promise<number> {
    assertAuditIds(widgetId, threadId);
    return this.database.write(() => this.statements.clearMessages.run(widgetId, threadId).changes);
  }

  override async logToolCall(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogToolCallInput,
  ): Promise<ToolCallRecord> {
    const call = prepareToolCall(widgetId, threadId, messageId, input);
    return this.database.write(() => {
      const threadPk = this.messageThreadPk(widgetId, threadId, messageId);
      const row = this.statements.toolCall.get(threadPk, call.toolCallId);
      const existing = row ? toToolCall(widgetId, threadId, row) : null;
      const record = applyToolCall(existing, call, { widgetId, threadId, messageId });
      const args = JSON.stringify(record.arguments);
      if (existing) {
        this.statements.updateToolCall.run(
          record.kind,
          record.status,
          args,
          record.result,
          record.error,
          record.updatedAt,
          record.startedAt,
          record.completedAt,
          threadPk,
          record.toolCallId,
        );
      } else {
        this.statements.insertToolCall.run(
          threadPk,
          record.toolCallId,
          messageId,
          record.name,
          record.kind,
          record.status,
          args,
          record.result,
          record.error,
          record.createdAt,
          record.updatedAt,
          record.startedAt,
          record.completedAt,
        );
      }
      return record;
    });
  }

  override async logArtifact(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogArtifactInput,
  ): Promise<ArtifactRecord> {
    const artifact = prepareArtifact(widgetId, threadId, messageId, input);
    this.database.write(() => {
      const threadPk = this.messageThreadPk(widgetId, threadId, messageId);
      if (this.statements.artifactExists.get(threadPk, artifact.artifactId)) {
        throw new StateConflictError(
          `Artifact ${artifact.artifactId} already exists in this thread`,
        );
      }
      this.statements.insertArtifact.run(
        threadPk,
        artifact.artifactId,
        messageId,
        artifact.artifactType,
        artifact.title,
        artifact.content,
        JSON.stringify(artifact.metadata),
        artifact.createdAt,
      );
    });
    return artifact;
  }

  override async logTokenUsage(
    widgetId: string,
    threadId: string,
    messageId: string,
    input: LogTokenUsageInput,
  ): Promise<TokenUsageRecord> {
    const usage = prepareTokenUsage(widgetId, threadId, messageId, input);
    this.database.write(() => {
      this.statements.insertUsage.run(
        this.messageThreadPk(widgetId, threadId, messageId),
        usage.usageId,
        messageId,
        usage.model,
        usage.promptTokens,
        usage.completionTokens,
        usage.totalTokens,
        usage.costUsd,
        usage.createdAt,
      );
    });
    return usage;
  }

  override async logResource(
    widgetId: string,
    threadId: string,
    input: LogResourceInput,
  ): Promise<ResourceRecord> {
    const resource = prepareResource(widgetId, threadId, input);
    this.database.write(() => {
      const threadPk = this.threadPk(widgetId, threadId);
      if (this.statements.resourceExists.get(threadPk, resource.resourceId)) {
        throw new StateConflictError(
          `Resource ${resource.resourceId} already exists in this thread`,
        );
      }
      this.statements.insertResource.run(
        threadPk,
        resource.resourceId,
        resource.uri,
        resource.name,
        resource.mimeType,
        resource.content,
        resource.size,
        resource.createdAt,
      );
    });
    return resource;
  }

  override async logSkill(
    widgetId: string,
    threadId: string,
    input: LogSkillInput,
  ): Promise<SkillRecord> {
    const skill = prepareSkill(widgetId, threadId, input);
    this.database.write(() => {
      const threadPk = this.threadPk(widgetId, threadId);
      if (this.statements.skillExists.get(threadPk, skill.skillId)) {
        throw new StateConflictError(`Skill activation ${skill.skillId} already exists`);
      }
      this.statements.insertSkill.run(
        threadPk,
        skill.skillId,
        skill.name,
        JSON.stringify(skill.metadata),
        skill.activatedAt,
      );
    });
    return skill;
  }

  override async getToolCalls(
    widgetId: string,
    threadId: string,
    messageId?: string,
  ): Promise<ToolCallRecord[]> {
    assertAuditIds(widgetId, threadId, messageId);
    const rows = this.database.read(() =>
      messageId === undefined
        ? this.statements.toolCalls.all(widgetId, threadId)
        : this.statements.messageToolCalls.all(widgetId, threadId, messageId),
    );
    return rows.map((row) => toToolCall(widgetId, threadId, row));
  }

  override async getArtifacts(
    widgetId: string,
    threadId: string,
    messageId?: string,
  ): Promise<ArtifactRecord[]> {
    assertAuditIds(widgetId, threadId, messageId);
    const rows = this.database.read(() =>
      messageId === undefined
        ? this.statements.artifacts.all(widgetId, threadId)
        : this.statements.messageArtifacts.all(widgetId, threadId, messageId),
    );
    return rows.map((row) => toArtifact(widgetId, threadId, row));
  }

  override async getResources(widgetId: string, threadId: string): Promise<ResourceRecord[]> {
    assertAuditIds(widgetId, threadId);
    const rows = this.database.read(() => this.statements.resources.all(widgetId, threadId));
    return rows.map((row) => toResource(widgetId, threadId, row));
  }

  override async getSkills(widgetId: string, threadId: string): Promise<SkillRecord[]> {
    assertAuditIds(widgetId, threadId);
    const rows = this.database.read(() => this.statements.skills.all(widgetId, threadId));
    return rows.map((row) => toSkill(widgetId, threadId, row));
  }

  override async searchMessages(
    query: string,
    options?: SearchMessagesOptions,
  ): Promise<MessageSearchResult[]> {
    const { terms, widgetId, limit } = prepareSearch(query, options);
    if (terms.length === 0) {
      return [];
    }
    // Every term is quoted, so FTS5 query syntax in user input stays plain text.
    const match = ftsMatchExpression(terms);
    const rows = this.database.read(() =>
      widgetId === undefined
        ? this.statements.search.all(match, limit)
        : this.statements.searchWidget.all(match, widgetId, limit),
    );
    return rows.map((row) => ({
      widgetId: row.widget_id,
      threadId: row.thread_id,
      threadTitle: row.title,
      message: toMessage(row.thread_id, row),
    }));
  }

  override async getUsageStats(scope?: UsageScope): Promise<UsageStats> {
    const { widgetId, threadId } = prepareUsageScope(scope);
    const row = this.database.read(() =>
      widgetId === undefined
        ? this.statements.usageAll.get()
        : threadId === undefined
          ? this.statements.usageWidget.get(widgetId)
          : this.statements.usageThread.get(widgetId, threadId),
    );
    if (!row) {
      return emptyUsageStats();
    }
    return {
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
      totalTokens: row.total_tokens,
      costUsd: row.cost_usd,
      count: row.count,
    };
  }

  /** The row key of an existing thread; `StateNotFoundError` otherwise. */
  private threadPk(widgetId: string, threadId: string): number {
    const row = this.statements.threadPk.get(widgetId, threadId);
    if (!row) {
      throw new StateNotFoundError(`Thread ${threadId} does not exist`);
    }
    return row.thread_pk;
  }

  /** The row key of the thread of a message that must be in it. */
  private messageThreadPk(widgetId: string, threadId: string, messageId: string): number {
    const threadPk = this.threadPk(widgetId, threadId);
    if (!this.statements.messageExists.get(threadPk, messageId)) {
      throw new StateNotFoundError(`Message ${messageId} is not in thread ${threadId}`);
    }
    return threadPk;
  }
}
