import { StateConfigurationError } from '../state.errors';
import type { ResolvedStateOptions, StateBackendName } from '../state.options';
import { createMemoryBackend } from './memory/memory.backend';
import { createRedisBackend } from './redis/redis.backend';
import { createSqliteBackend } from './sqlite/sqlite.backend';
import type { StateBackend, StateBackendFactory } from './state-backend';

const FACTORIES: Partial<Record<StateBackendName, StateBackendFactory>> = {
  memory: createMemoryBackend,
  sqlite: createSqliteBackend,
  redis: createRedisBackend,
};

/** Builds the configured backend; a backend this version does not have stops the boot. */
export async function createStateBackend(options: ResolvedStateOptions): Promise<StateBackend> {
  const factory = FACTORIES[options.backend];
  if (!factory) {
    throw new StateConfigurationError(
      `The '${options.backend}' state backend is not available in this version of @livegate/state ` +
        `(chosen by the backend option or LIVEGATE_DEPLOY__STATE_BACKEND). ` +
        `Available: ${Object.keys(FACTORIES).join(', ')}.`,
    );
  }
  return factory(options);
}
