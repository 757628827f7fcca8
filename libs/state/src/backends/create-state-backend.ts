import { StateConfigurationError } from '../state.errors';
import type { ResolvedStateOptions, StateBackendFactory, StateBackendName } from '../state.options';
import { createMemoryBackend } from './memory/memory.backend';
import { createRedisBackend } from './redis/redis.backend';
import { createSqliteBackend } from './sqlite/sqlite.backend';
import type { StateBackend } from './state-backend';

const FACTORIES: Partial<Record<StateBackendName, StateBackendFactory>> = {
  memory: createMemoryBackend,
  sqlite: createSqliteBackend,
  redis: createRedisBackend,
};

/**
 * Builds the configured backend: a built-in one by name, or a custom one from its factory. A
 * backend this version does not have stops the boot.
 */
export async function createStateBackend(options: ResolvedStateOptions): Promise<StateBackend> {
  const factory =
    typeof options.backend === 'function' ? options.backend : FACTORIES[options.backend];
  if (!factory) {
    throw new StateConfigurationError(
      `The '${String(options.backend)}' state backend is not available in this version of @livegate/state ` +
        `(chosen by the backend option or LIVEGATE_DEPLOY__STATE_BACKEND). ` +
        `Available: ${Object.keys(FACTORIES).join(', ')}.`,
    );
  }
  const backend = await factory(options);
  if (!isStateBackend(backend)) {
    throw new StateConfigurationError(
      'The custom state backend factory must return { name, widgets, events, connections, sessions, chats, transient, close }',
    );
  }
  return backend;
}

function isStateBackend(value: unknown): value is StateBackend {
  const backend = value as Partial<StateBackend> | null;
  return (
    typeof backend === 'object' &&
    backend !== null &&
    typeof backend.name === 'string' &&
    typeof backend.close === 'function' &&
    ['widgets', 'events', 'connections', 'sessions', 'chats', 'transient'].every(
      (store) => typeof (backend as Record<string, unknown>)[store] === 'object',
    )
  );
}
