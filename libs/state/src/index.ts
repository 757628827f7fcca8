// The public API of @livegate/state: named exports only. Test helpers are `@livegate/state/testing`.

// Module and options
export { StateModule } from './state.module';
export type {
  ResolvedStateOptions,
  StateBackendFactory,
  StateBackendName,
  StateModuleAsyncOptions,
  StateModuleOptions,
} from './state.options';
export { STATE_OPTIONS } from './state.constants';
export {
  DEPLOY_ENV_PREFIX,
  STATE_CONFIG,
  STATE_ENV_VARIABLES,
  generateWorkerId,
  resolveStateOptions,
} from './config/state.config';

// The configuration mechanism every Livegate library reads its environment with
export {
  LivegateConfig,
  defineConfig,
  type ConfigCheck,
  type ConfigDefinition,
  type ConfigDocumentationRow,
  type ConfigVariable,
  type ConfigVariables,
  type RawEnvironment,
} from './config/livegate-config';
export {
  booleanParser,
  integerParser,
  listParser,
  nameParser,
  oneOfParser,
  pathParser,
  secondsParser,
  textParser,
  urlParser,
  type ConfigParser,
  type ParseResult,
} from './config/config-parsers';

// Errors
export {
  StateBackendBusyError,
  StateBackendUnavailableError,
  StateConfigurationError,
  StateConflictError,
  StateError,
  StateNotFoundError,
  StateNotSupportedError,
  StateStorageFullError,
  StateValidationError,
  RETRY_AFTER_SECONDS,
  retryAfterSeconds,
} from './state.errors';
export { StateExceptionFilter, type ErrorBody } from './state-exception.filter';

// Input rules shared by every store
export { MAX_ID_LENGTH, MAX_METADATA_BYTES, MAX_NAME_LENGTH, assertId } from './common/validation';

// Widgets
export { WidgetStore } from './widgets/widget-store';
export type { RegisterWidgetOptions, WidgetRecord } from './widgets/widget.models';

// Events
export { EventBus } from './events/event-bus';
export type {
  EventHandler,
  PublishEventInput,
  StateEvent,
  Unsubscribe,
} from './events/event.models';

// Connections
export { ConnectionRouter } from './connections/connection-router';
export type { ConnectionInfo, RegisterConnectionOptions } from './connections/connection.models';

// Sessions, roles and permissions
export { SessionStore } from './sessions/session-store';
export type {
  CreateSessionInput,
  ResourcePermissions,
  SessionChange,
  SessionClaim,
  UserSession,
} from './sessions/session.models';
export { generateSessionId } from './sessions/session.validation';
export {
  DEFAULT_ROLE_PERMISSIONS,
  RESOURCE_TYPES,
  ROLE_CLAIM_TYPE,
  effectiveRoles,
  resourceKey,
  type ResourceGrants,
  type ResourceType,
} from './sessions/roles';
export {
  MAX_CHANGE_PERMISSIONS,
  MAX_CHANGE_RESOURCES,
  MAX_CLAIMS_BYTES,
  MAX_CLAIM_VALUE_LENGTH,
  MAX_GRANT_BYTES,
  MAX_SESSION_CLAIMS,
  MAX_SESSION_ROLES,
  normalizeClaims as normalizeSessionClaims,
} from './sessions/session-updates';
export { DEFAULT_SESSION_MAX_LIFETIME } from './sessions/session.validation';

// Transient values (one-time transactions, ids seen once, counters)
export { TransientStore } from './transient/transient-store';
export { MemoryTransientStore } from './backends/memory/memory-transient.store';
export { MAX_TRANSIENT_VALUE_BYTES } from './transient/transient.validation';

// Chat
export { ChatStore, DEFAULT_MESSAGE_PAGE_SIZE, MAX_MESSAGES_PER_THREAD } from './chat/chat-store';
export {
  CHAT_ROLES,
  TOOL_CALL_STATUSES,
  type AppendMessageInput,
  type ArtifactRecord,
  type ChatMessage,
  type ChatRole,
  type ChatThread,
  type GetMessagesOptions,
  type LogArtifactInput,
  type LogResourceInput,
  type LogSkillInput,
  type LogTokenUsageInput,
  type LogToolCallInput,
  type MessageSearchResult,
  type ResourceRecord,
  type SaveThreadInput,
  type SearchMessagesOptions,
  type SkillRecord,
  type TokenUsageRecord,
  type ToolCallRecord,
  type ToolCallStatus,
  type UsageScope,
  type UsageStats,
} from './chat/chat.models';

// Callbacks and the state service
export {
  CallbackRegistry,
  type CallbackFailureReason,
  type CallbackOutcome,
  type WidgetCallback,
} from './callbacks/callback-registry';
export { StateService, type DeliveryOutcome, type WidgetEventListener } from './state.service';

// Backends
export type { StateBackend } from './backends/state-backend';
export type { StateBackendHealth } from './backends/state-backend-health';
export { createMemoryBackend, type MemoryBackendOptions } from './backends/memory/memory.backend';
export {
  createSqliteBackend,
  type SqliteBackendOptions,
  type SqliteStateBackend,
} from './backends/sqlite/sqlite.backend';
export {
  SqliteDatabase,
  type SqliteDatabaseOptions,
  type SqliteNames,
} from './backends/sqlite/sqlite-database';
export {
  createOsKeyring,
  KEYRING_SERVICE,
  type OsKeyring,
  type SqliteKeyring,
} from './backends/sqlite/sqlite-key';
export { createRedisBackend, type RedisBackendOptions } from './backends/redis/redis.backend';
export {
  StateRedisConnection,
  type RedisDuplicateOptions,
} from './backends/redis/redis-connection';

// Readiness
export {
  STATE_HEALTH_TIMEOUT_MS,
  StateHealthIndicator,
  type StateHealth,
  type StateHealthIndicatorResult,
} from './health/state-health.indicator';
