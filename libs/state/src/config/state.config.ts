import { randomBytes } from 'node:crypto';
import { hostname, homedir } from 'node:os';
import { join } from 'node:path';
import { MAX_ID_LENGTH } from '../common/validation';
import { StateConfigurationError } from '../state.errors';
import { DEFAULT_SESSION_MAX_LIFETIME } from '../sessions/session.validation';
import {
  DEFAULT_SESSION_CACHE_SIZE,
  DEFAULT_SESSION_CACHE_TTL,
  STATE_BACKEND_NAMES,
  type ResolvedStateOptions,
  type StateBackendFactory,
  type StateBackendName,
  type StateModuleOptions,
} from '../state.options';
import {
  booleanParser,
  integerParser,
  nameParser,
  oneOfParser,
  pathParser,
  secondsParser,
  textParser,
  urlParser,
  type ConfigParser,
} from './config-parsers';
import { defineConfig, type RawEnvironment } from './livegate-config';

/** Prefix of every state and auth environment variable. */
export const DEPLOY_ENV_PREFIX = 'LIVEGATE_DEPLOY__';

/** A worker id unique to this process. */
export function generateWorkerId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 64) || 'host';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

const backendNames = oneOfParser(STATE_BACKEND_NAMES);
/** A backend name, or a custom backend's factory (options only). */
const backendParser: ConfigParser<StateBackendName | StateBackendFactory> = (input) =>
  typeof input === 'function' ? { value: input as StateBackendFactory } : backendNames(input);

const workerIdParser = nameParser(
  new RegExp(`^[^\\s:]{1,${MAX_ID_LENGTH}}$`),
  `1 to ${MAX_ID_LENGTH} characters without spaces or ':'`,
);

type StateSettings = Omit<ResolvedStateOptions, 'redis'>;

/** The state module's configuration: every `LIVEGATE_DEPLOY__` variable it reads and its default. */
export const STATE_CONFIG = defineConfig<StateSettings>({
  prefix: DEPLOY_ENV_PREFIX,
  title: 'state',
  error: (message) => new StateConfigurationError(message),
  variables: {
    backend: {
      env: 'STATE_BACKEND',
      parse: backendParser,
      default: 'memory',
      description: 'State backend: `memory`, `sqlite` or `redis`',
      defaultText: 'memory',
    },
    sqlitePath: {
      env: 'SQLITE_PATH',
      parse: pathParser(),
      default: () => join(homedir(), '.config', 'livegate', 'livegate.db'),
      description: 'SQLite database file',
      defaultText: '~/.config/livegate/livegate.db',
    },
    sqliteKey: {
      env: 'SQLITE_KEY',
      parse: textParser(),
      description: 'SQLCipher key of the SQLite database',
      defaultText: '(key file or OS keyring)',
      secret: true,
    },
    sqliteEncrypted: {
      env: 'SQLITE_ENCRYPTED',
      parse: booleanParser(),
      default: true,
      description: 'Encrypt the SQLite database; `false` keeps it unencrypted',
      defaultText: 'true',
    },
    redisUrl: {
      env: 'REDIS_URL',
      parse: urlParser(['redis:', 'rediss:', 'unix:']),
      default: 'redis://localhost:6379/0',
      description: 'Redis connection URL',
      defaultText: 'redis://localhost:6379/0',
      // A URL may carry a password.
      secret: true,
    },
    redisPrefix: {
      env: 'REDIS_PREFIX',
      parse: nameParser(),
      default: 'livegate',
      description: 'Prefix of every Redis key and channel',
      defaultText: 'livegate',
    },
    redisPoolSize: {
      env: 'REDIS_POOL_SIZE',
      parse: integerParser(1, 100),
      default: 1,
      description: 'Redis command connections per process (1–100)',
      defaultText: '1',
    },
    widgetTtl: {
      env: 'WIDGET_TTL',
      parse: secondsParser(),
      default: 86400,
      description: 'Seconds a widget lives after registration or update',
      defaultText: '86400',
    },
    connectionTtl: {
      env: 'CONNECTION_TTL',
      parse: secondsParser(),
      default: 300,
      description: 'Seconds a WebSocket connection lives after its last heartbeat',
      defaultText: '300',
    },
    sessionTtl: {
      env: 'SESSION_TTL',
      parse: secondsParser(),
      default: 86400,
      description: 'Default seconds a session lives (a refresh extends it by as much)',
      defaultText: '86400',
    },
    sessionMaxLifetime: {
      env: 'SESSION_MAX_LIFETIME',
      parse: secondsParser(),
      default: DEFAULT_SESSION_MAX_LIFETIME,
      description:
        'Absolute lifetime of a session in seconds from its creation: no refresh extends it further',
      defaultText: String(DEFAULT_SESSION_MAX_LIFETIME),
    },
    sessionCacheSize: {
      env: 'SESSION_CACHE_SIZE',
      parse: integerParser(0, 1_000_000),
      default: DEFAULT_SESSION_CACHE_SIZE,
      description: 'Sessions each process caches from Redis (0–1000000; 0 turns the cache off)',
      defaultText: String(DEFAULT_SESSION_CACHE_SIZE),
    },
    sessionCacheTtl: {
      env: 'SESSION_CACHE_TTL',
      parse: secondsParser(),
      default: DEFAULT_SESSION_CACHE_TTL,
      description: 'Seconds a session stays in that cache at most',
      defaultText: String(DEFAULT_SESSION_CACHE_TTL),
    },
    workerId: {
      env: 'WORKER_ID',
      parse: workerIdParser,
      default: generateWorkerId,
      description: 'Identifier of this worker process',
      defaultText: '(host name, pid and random bits)',
    },
    sweepInterval: {
      parse: secondsParser(),
      default: 60,
      description: 'Seconds between sweeps that free expired items',
      defaultText: '60',
    },
    callbackTimeout: {
      parse: secondsParser(),
      default: 5,
      description: 'Seconds `invokeCallback` waits for another worker',
      defaultText: '5',
    },
  },
  checks: [
    ({ sessionTtl, sessionMaxLifetime }) =>
      sessionTtl > sessionMaxLifetime
        ? [
            `${DEPLOY_ENV_PREFIX}SESSION_TTL (${sessionTtl}) must not exceed ` +
              `${DEPLOY_ENV_PREFIX}SESSION_MAX_LIFETIME (${sessionMaxLifetime})`,
          ]
        : [],
  ],
});

/** Every `LIVEGATE_DEPLOY__` variable the state module reads, for documentation. */
export const STATE_ENV_VARIABLES = STATE_CONFIG.documentation();

/** Raw `LIVEGATE_DEPLOY__*` values of the state module, as read through `@nestjs/config`. */
export type StateEnvironment = RawEnvironment;

/** The `@nestjs/config` namespace holding the raw state variables. */
export const stateEnvironment = STATE_CONFIG.namespace('livegate.state');

/**
 * Merges explicit options over the environment over the defaults. An environment variable is
 * parsed only when no explicit option replaces it; any invalid value stops the boot with a
 * message naming every offending variable or option.
 */
export function resolveStateOptions(
  options: StateModuleOptions = {},
  environment: StateEnvironment = {},
): ResolvedStateOptions {
  const { redis, isGlobal: _isGlobal, ...settings } = options;
  const resolved: ResolvedStateOptions = STATE_CONFIG.resolve(settings, environment);
  if (redis !== undefined) {
    resolved.redis = redis;
  }
  return resolved;
}
