export * from './models';
export * from './state.errors';
export * from './state.options';
export {
  DEPLOY_ENV_PREFIX,
  STATE_ENV_VARIABLES,
  generateWorkerId,
  resolveStateOptions,
  stateEnvironment,
} from './state.config';
export { STATE_OPTIONS } from './state.constants';
export {
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_METADATA_BYTES,
  assertId,
  assertName,
  assertTtl,
} from './validation';
export {
  DEFAULT_ROLE_PERMISSIONS,
  RESOURCE_TYPES,
  assertResourceType,
  resourceKey,
  type ResourceType,
  type ResourceGrants,
} from './roles';
export { generateSessionId } from './sessions';
export { WidgetStore } from './stores/widget-store';
export { EventBus } from './stores/event-bus';
export { ConnectionRouter } from './stores/connection-router';
export { SessionStore } from './stores/session-store';
export { ChatStore, MAX_MESSAGES_PER_THREAD, DEFAULT_MESSAGE_PAGE_SIZE } from './stores/chat-store';
export * from './callbacks/callback-registry';
export * from './state.service';
export * from './state.module';
export * from './state-exception.filter';
export type { StateBackend, StateBackendFactory } from './backends/state-backend';
export { createMemoryBackend, type MemoryBackendOptions } from './backends/memory/memory.backend';
export {
  createSqliteBackend,
  type SqliteBackendOptions,
  type SqliteStateBackend,
} from './backends/sqlite/sqlite.backend';
export type { SqliteKeyring } from './backends/sqlite/sqlite-key';
