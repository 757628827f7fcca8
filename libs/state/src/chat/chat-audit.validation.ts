import { randomUUID } from 'node:crypto';
import { MAX_CONTENT_LENGTH, MAX_TITLE_LENGTH } from './chat.validation';
import {
  TOOL_CALL_STATUSES,
  type ArtifactRecord,
  type LogArtifactInput,
  type LogResourceInput,
  type LogSkillInput,
  type LogTokenUsageInput,
  type LogToolCallInput,
  type ResourceRecord,
  type SearchMessagesOptions,
  type SkillRecord,
  type TokenUsageRecord,
  type ToolCallRecord,
  type ToolCallStatus,
  type UsageScope,
  type UsageStats,
} from './chat.models';
import { searchTerms } from './message-search';
import { StateConflictError, StateValidationError } from '../state.errors';
import {
  assertId,
  assertLimit,
  assertName,
  assertText,
  normalizeMetadata,
} from '../common/validation';

/** Longest tool call error text, in characters. */
export const MAX_ERROR_LENGTH = 64 * 1024;
/** Longest resource URI, in characters. */
export const MAX_URI_LENGTH = 8 * 1024;
/** Longest MIME type, in characters. */
export const MAX_MIME_TYPE_LENGTH = 255;
/** Longest `searchMessages` query, in characters. */
export const MAX_SEARCH_QUERY_LENGTH = 1024;
/** Most results one `searchMessages` call returns, and its default. */
export const MAX_SEARCH_RESULTS = 1000;
export const DEFAULT_SEARCH_LIMIT = 50;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$/;

const FINAL_STATUSES: ReadonlySet<ToolCallStatus> = new Set(['completed', 'failed']);
const STATUS_ORDER: Readonly<Record<ToolCallStatus, number>> = {
  pending: 0,
  in_progress: 1,
  completed: 2,
  failed: 2,
};

function assertObject(field: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StateValidationError(field, 'must be an object');
  }
}

function assertCount(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StateValidationError(field, 'must be a whole number, 0 or more');
  }
}

/** Validates the ids every audit method takes; `messageId` only when given. */
export function assertAuditIds(widgetId: unknown, threadId: unknown, messageId?: unknown): void {
  assertId('widgetId', widgetId);
  assertId('threadId', threadId);
  if (messageId !== undefined) {
    assertId('messageId', messageId);
  }
}

/** `logToolCall` input after validation; `undefined` fields keep what a logged call has. */
export interface PreparedToolCall {
  toolCallId: string;
  name: string;
  kind: string | undefined;
  status: ToolCallStatus | undefined;
  arguments: Record<string, unknown> | undefined;
  result: string | undefined;
  error: string | undefined;
}

/** Validates `logToolCall` input. Nothing is written by the caller when this throws. */
export function prepareToolCall(
  widgetId: string,
  threadId: string,
  messageId: string,
  input: LogToolCallInput,
): PreparedToolCall {
  assertAuditIds(widgetId, threadId, messageId);
  assertObject('toolCall', input);
  assertId('toolCallId', input.toolCallId);
  assertId('name', input.name);
  if (input.kind !== undefined) {
    assertName('kind', input.kind);
  }
  if (input.status !== undefined && !TOOL_CALL_STATUSES.includes(input.status)) {
    throw new StateValidationError('status', `must be one of ${TOOL_CALL_STATUSES.join(', ')}`);
  }
  if (input.result !== undefined) {
    assertText('result', input.result, MAX_CONTENT_LENGTH);
  }
  if (input.error !== undefined) {
    assertText('error', input.error, MAX_ERROR_LENGTH);
  }
  return {
    toolCallId: input.toolCallId,
    name: input.name,
    kind: input.kind,
    status: input.status,
    arguments:
      input.arguments === undefined ? undefined : normalizeMetadata('arguments', input.arguments),
    result: input.result,
    error: input.error,
  };
}

/**
 * The tool call after logging `call`: a new record when `existing` is `null`, else the transition
 * of `existing`. Throws `StateConflictError` for a move back, a change to a final call, or a call
 * logged again under another message or name. Shared so every backend moves calls alike.
 */
export function applyToolCall(
  existing: ToolCallRecord | null,
  call: PreparedToolCall,
  ids: { widgetId: string; threadId: string; messageId: string },
  now = Date.now(),
): ToolCallRecord {
  if (existing === null) {
    const status = call.status ?? 'pending';
    const startedAt = status === 'pending' ? null : now;
    const completedAt = FINAL_STATUSES.has(status) ? now : null;
    return {
      toolCallId: call.toolCallId,
      widgetId: ids.widgetId,
      threadId: ids.threadId,
      messageId: ids.messageId,
      name: call.name,
      kind: call.kind ?? 'other',
      status,
      arguments: call.arguments ?? {},
      result: call.result ?? null,
      error: call.error ?? null,
      createdAt: now,
      updatedAt: now,
      startedAt,
      completedAt,
      durationMs: completedAt === null || startedAt === null ? null : completedAt - startedAt,
    };
  }
  if (existing.messageId !== ids.messageId) {
    throw new StateConflictError(
      `Tool call ${call.toolCallId} belongs to message ${existing.messageId}`,
    );
  }
  if (existing.name !== call.name) {
    throw new StateConflictError(`Tool call ${call.toolCallId} is a call of ${existing.name}`);
  }
  if (FINAL_STATUSES.has(existing.status)) {
    throw new StateConflictError(`Tool call ${call.toolCallId} is already ${existing.status}`);
  }
  const status = call.status ?? existing.status;
  if (STATUS_ORDER[status] < STATUS_ORDER[existing.status]) {
    throw new StateConflictError(
      `Tool call ${call.toolCallId} cannot go back from ${existing.status} to ${status}`,
    );
  }
  let startedAt = existing.startedAt;
  if (startedAt === null && status !== 'pending') {
    // A call that skipped in_progress counts from its first log.
    startedAt = status === 'in_progress' ? now : existing.createdAt;
  }
  const completedAt = FINAL_STATUSES.has(status) ? now : null;
  return {
    ...existing,
    kind: call.kind ?? existing.kind,
    status,
    arguments: call.arguments ?? existing.arguments,
    result: call.result ?? existing.result,
    error: call.error ?? existing.error,
    updatedAt: now,
    startedAt,
    completedAt,
    durationMs: completedAt === null || startedAt === null ? null : completedAt - startedAt,
  };
}

/** Validates `logArtifact` input and builds the record every backend stores. */
export function prepareArtifact(
  widgetId: string,
  threadId: string,
  messageId: string,
  input: LogArtifactInput,
  now = Date.now(),
): ArtifactRecord {
  assertAuditIds(widgetId, threadId, messageId);
  assertObject('artifact', input);
  const artifactId = input.artifactId ?? randomUUID();
  assertId('artifactId', artifactId);
  assertName('artifactType', input.artifactType);
  if (input.title !== undefined) {
    assertText('title', input.title, MAX_TITLE_LENGTH);
  }
  if (input.content !== undefined) {
    assertText('content', input.content, MAX_CONTENT_LENGTH);
  }
  return {
    artifactId,
    widgetId,
    threadId,
    messageId,
    artifactType: input.artifactType,
    title: input.title ?? '',
    content: input.content ?? null,
    metadata: normalizeMetadata('metadata', input.metadata),
    createdAt: now,
  };
}

/** Validates `logTokenUsage` input and builds the record every backend stores. */
export function prepareTokenUsage(
  widgetId: string,
  threadId: string,
  messageId: string,
  input: LogTokenUsageInput,
  now = Date.now(),
): TokenUsageRecord {
  assertAuditIds(widgetId, threadId, messageId);
  assertObject('usage', input);
  if (input.model !== undefined) {
    assertId('model', input.model);
  }
  const promptTokens = input.promptTokens ?? 0;
  const completionTokens = input.completionTokens ?? 0;
  assertCount('promptTokens', promptTokens);
  assertCount('completionTokens', completionTokens);
  const totalTokens = input.totalTokens ?? promptTokens + completionTokens;
  assertCount('totalTokens', totalTokens);
  if (
    input.costUsd !== undefined &&
    (typeof input.costUsd !== 'number' || !Number.isFinite(input.costUsd) || input.costUsd < 0)
  ) {
    throw new StateValidationError('costUsd', 'must be a finite number, 0 or more');
  }
  return {
    usageId: randomUUID(),
    widgetId,
    threadId,
    messageId,
    model: input.model ?? null,
    promptTokens,
    completionTokens,
    totalTokens,
    costUsd: input.costUsd ?? null,
    createdAt: now,
  };
}

/** Validates `logResource` input and builds the record every backend stores. */
export function prepareResource(
  widgetId: string,
  threadId: string,
  input: LogResourceInput,
  now = Date.now(),
): ResourceRecord {
  assertAuditIds(widgetId, threadId);
  assertObject('resource', input);
  const resourceId = input.resourceId ?? randomUUID();
  assertId('resourceId', resourceId);
  assertText('uri', input.uri, MAX_URI_LENGTH, { allowEmpty: false });
  if (CONTROL_CHARACTERS.test(input.uri)) {
    throw new StateValidationError('uri', 'must not contain control characters');
  }
  if (input.name !== undefined) {
    assertText('name', input.name, MAX_TITLE_LENGTH);
  }
  if (input.mimeType !== undefined) {
    assertText('mimeType', input.mimeType, MAX_MIME_TYPE_LENGTH);
    if (!MIME_TYPE.test(input.mimeType) || CONTROL_CHARACTERS.test(input.mimeType)) {
      throw new StateValidationError('mimeType', 'must be a MIME type such as text/plain');
    }
  }
  if (input.content !== undefined) {
    assertText('content', input.content, MAX_CONTENT_LENGTH);
  }
  if (input.size !== undefined) {
    assertCount('size', input.size);
  }
  return {
    resourceId,
    widgetId,
    threadId,
    uri: input.uri,
    name: input.name ?? '',
    mimeType: input.mimeType ?? null,
    content: input.content ?? null,
    size: input.size ?? null,
    createdAt: now,
  };
}

/** Validates `logSkill` input and builds the record every backend stores. */
export function prepareSkill(
  widgetId: string,
  threadId: string,
  input: LogSkillInput,
  now = Date.now(),
): SkillRecord {
  assertAuditIds(widgetId, threadId);
  assertObject('skill', input);
  const skillId = input.skillId ?? randomUUID();
  assertId('skillId', skillId);
  assertId('name', input.name);
  return {
    skillId,
    widgetId,
    threadId,
    name: input.name,
    metadata: normalizeMetadata('metadata', input.metadata),
    activatedAt: now,
  };
}

/** A validated `searchMessages` call: the distinct search terms, the scope and the page size. */
export interface PreparedSearch {
  /** Lower-case, accent-free words; empty when the query has no word at all. */
  terms: string[];
  widgetId: string | undefined;
  limit: number;
}

/** Validates `searchMessages` arguments and splits the query into terms. */
export function prepareSearch(query: string, options: SearchMessagesOptions = {}): PreparedSearch {
  assertText('query', query, MAX_SEARCH_QUERY_LENGTH);
  if (query.trim() === '') {
    throw new StateValidationError('query', 'must not be blank');
  }
  assertObject('options', options);
  if (options.widgetId !== undefined) {
    assertId('widgetId', options.widgetId);
  }
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  assertLimit('limit', limit, MAX_SEARCH_RESULTS);
  return { terms: [...new Set(searchTerms(query))], widgetId: options.widgetId, limit };
}

/** Validates a usage scope; a thread id needs its widget id. */
export function prepareUsageScope(scope: UsageScope = {}): UsageScope {
  assertObject('scope', scope);
  if (scope.widgetId !== undefined) {
    assertId('widgetId', scope.widgetId);
  }
  if (scope.threadId !== undefined) {
    assertId('threadId', scope.threadId);
    if (scope.widgetId === undefined) {
      throw new StateValidationError('scope.threadId', 'needs scope.widgetId');
    }
  }
  return { widgetId: scope.widgetId, threadId: scope.threadId };
}

/** Usage stats with nothing summed yet. */
export function emptyUsageStats(): UsageStats {
  return { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, count: 0 };
}

/** Adds one usage record to running stats (in place) and returns them. */
export function addUsage(stats: UsageStats, usage: TokenUsageRecord): UsageStats {
  stats.promptTokens += usage.promptTokens;
  stats.completionTokens += usage.completionTokens;
  stats.totalTokens += usage.totalTokens;
  stats.costUsd += usage.costUsd ?? 0;
  stats.count += 1;
  return stats;
}
