import { randomBytes } from 'node:crypto';
import { hostname, homedir } from 'node:os';
import { join } from 'node:path';
import { registerAs } from '@nestjs/config';
import { StateConfigurationError } from './state.errors';
import {
  DEFAULT_SESSION_CACHE_SIZE,
  DEFAULT_SESSION_CACHE_TTL,
  STATE_BACKEND_NAMES,
  type ResolvedStateOptions,
  type StateBackendName,
  type StateModuleOptions,
} from './state.options';
import { MAX_ID_LENGTH } from './common/validation';

/** Prefix of every state and auth environment variable. */
export const DEPLOY_ENV_PREFIX = 'LIVEGATE_DEPLOY__';

type OptionKey = Exclude<keyof ResolvedStateOptions, 'redis' | 'sqliteKey'> | 'sqliteKey';

interface EnvVariable<K extends OptionKey = OptionKey> {
  /** Name after the prefix. */
  name: string;
  option: K;
  /** Parses the raw value or returns an error message. */
  parse(raw: string): { value: ResolvedStateOptions[K] } | { error: string };
  description: string;
  defaultText: string;
}

const positiveSeconds = (raw: string) => {
  const value = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(value) && value > 0
    ? { value }
    : { error: 'must be a number of seconds greater than zero' };
};

const nonEmpty = (raw: string) =>
  raw.trim() !== '' ? { value: raw.trim() } : { error: 'must not be empty' };

/** Every `LIVEGATE_DEPLOY__` variable the state module reads, with its default. */
export const STATE_ENV_VARIABLES: readonly EnvVariable[] = [
  {
    name: 'STATE_BACKEND',
    option: 'backend',
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      return (STATE_BACKEND_NAMES as readonly string[]).includes(value)
        ? { value: value as StateBackendName }
        : { error: `must be one of ${STATE_BACKEND_NAMES.join(', ')}` };
    },
    description: 'State backend: `memory`, `sqlite` or `redis`',
    defaultText: 'memory',
  },
  {
    name: 'SQLITE_PATH',
    option: 'sqlitePath',
    parse: (raw) => {
      const path = raw.trim();
      if (path === '') {
        return { error: 'must not be empty' };
      }
      return {
        value: path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path,
      };
    },
    description: 'SQLite database file',
    defaultText: '~/.config/livegate/livegate.db',
  },
  {
    name: 'SQLITE_KEY',
    option: 'sqliteKey',
    parse: nonEmpty,
    description: 'SQLCipher key of the SQLite database',
    defaultText: '(key file or OS keyring)',
  },
  {
    name: 'SQLITE_ENCRYPTED',
    option: 'sqliteEncrypted',
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(value)) {
        return { value: true };
      }
      if (['false', '0', 'no', 'off'].includes(value)) {
        return { value: false };
      }
      return { error: 'must be true or false' };
    },
    description: 'Encrypt the SQLite database (`false` only to keep it unencrypted)',
    defaultText: 'true',
  },
  {
    name: 'REDIS_URL',
    option: 'redisUrl',
    parse: (raw) =>
      /^(rediss?|unix):\/\//.test(raw.trim())
        ? { value: raw.trim() }
        : { error: 'must be a redis://, rediss:// or unix:// URL' },
    description: 'Redis connection URL',
    defaultText: 'redis://localhost:6379/0',
  },
  {
    name: 'REDIS_PREFIX',
    option: 'redisPrefix',
    parse: (raw) =>
      /^[A-Za-z0-9_.-]{1,64}$/.test(raw.trim())
        ? { value: raw.trim() }
        : { error: 'must be 1 to 64 letters, digits, `_`, `.` or `-`' },
    description: 'Prefix of every Redis key and channel',
    defaultText: 'livegate',
  },
  {
    name: 'REDIS_POOL_SIZE',
    option: 'redisPoolSize',
    parse: (raw) => {
      const value = Number(raw.trim());
      return Number.isInteger(value) && value >= 1 && value <= 100
        ? { value }
        : { error: 'must be a whole number from 1 to 100' };
    },
    description: 'Redis command connections per process (1–100)',
    defaultText: '1',
  },
  {
    name: 'WIDGET_TTL',
    option: 'widgetTtl',
    parse: positiveSeconds,
    description: 'Seconds a widget lives after registration or update',
    defaultText: '86400',
  },
  {
    name: 'CONNECTION_TTL',
    option: 'connectionTtl',
    parse: positiveSeconds,
    description: 'Seconds a WebSocket connection lives after its last heartbeat',
    defaultText: '300',
  },
  {
    name: 'SESSION_TTL',
    option: 'sessionTtl',
    parse: positiveSeconds,
    description: 'Default seconds a session lives',
    defaultText: '86400',
  },
  {
    name: 'SESSION_CACHE_SIZE',
    option: 'sessionCacheSize',
    parse: (raw) => {
      const value = Number(raw.trim());
      return raw.trim() !== '' && Number.isInteger(value) && value >= 0 && value <= 1_000_000
        ? { value }
        : { error: 'must be a whole number from 0 to 1000000' };
    },
    description: 'Sessions each process caches from Redis (0 turns the cache off)',
    defaultText: String(DEFAULT_SESSION_CACHE_SIZE),
  },
  {
    name: 'SESSION_CACHE_TTL',
    option: 'sessionCacheTtl',
    parse: positiveSeconds,
    description: 'Seconds a session stays in that cache at most',
    defaultText: String(DEFAULT_SESSION_CACHE_TTL),
  },
  {
    name: 'WORKER_ID',
    option: 'workerId',
    parse: (raw) =>
      raw.trim() !== '' && raw.trim().length <= MAX_ID_LENGTH && !/[\s:]/.test(raw.trim())
        ? { value: raw.trim() }
        : { error: `must be 1 to ${MAX_ID_LENGTH} characters without spaces or ':'` },
    description: 'Identifier of this worker process',
    defaultText: '(host name, pid and random bits)',
  },
];

/** Options set in code only, each a number of seconds greater than zero. */
type TimingOption = 'sweepInterval' | 'callbackTimeout';
const TIMING_OPTIONS: readonly TimingOption[] = ['sweepInterval', 'callbackTimeout'];

/** Raw `LIVEGATE_DEPLOY__*` values, as read through `@nestjs/config`. */
export type StateEnvironment = Record<string, string | undefined>;

/** The `@nestjs/config` namespace holding the raw state variables. */
export const stateEnvironment = registerAs('livegate.state', (): StateEnvironment =>
  Object.fromEntries(
    STATE_ENV_VARIABLES.map((variable) => [
      variable.name,
      process.env[DEPLOY_ENV_PREFIX + variable.name],
    ]),
  ),
);

/** A worker id unique to this process. */
export function generateWorkerId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 64) || 'host';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function defaults(): Omit<ResolvedStateOptions, 'workerId'> {
  return {
    backend: 'memory',
    redisUrl: 'redis://localhost:6379/0',
    redisPrefix: 'livegate',
    redisPoolSize: 1,
    sqlitePath: join(homedir(), '.config', 'livegate', 'livegate.db'),
    sqliteEncrypted: true,
    widgetTtl: 86400,
    connectionTtl: 300,
    sessionTtl: 86400,
    sessionCacheSize: DEFAULT_SESSION_CACHE_SIZE,
    sessionCacheTtl: DEFAULT_SESSION_CACHE_TTL,
    sweepInterval: 60,
    callbackTimeout: 5,
  };
}

/**
 * Merges explicit options over the environment over the defaults. An environment variable is
 * parsed only when no explicit option replaces it; any invalid value stops the boot with a
 * message naming every offending variable or option.
 */
export function resolveStateOptions(
  options: StateModuleOptions = {},
  environment: StateEnvironment = {},
): ResolvedStateOptions {
  const errors: string[] = [];
  const fromEnvironment: Partial<Record<OptionKey, unknown>> = {};
  for (const variable of STATE_ENV_VARIABLES) {
    const raw = environment[variable.name];
    if (raw === undefined || options[variable.option] !== undefined) {
      continue;
    }
    const parsed = variable.parse(raw);
    if ('error' in parsed) {
      errors.push(`${DEPLOY_ENV_PREFIX}${variable.name}=${JSON.stringify(raw)} ${parsed.error}`);
    } else {
      fromEnvironment[variable.option] = parsed.value;
    }
  }

  const explicit: Partial<Record<OptionKey, unknown>> = {};
  for (const variable of STATE_ENV_VARIABLES) {
    const value = options[variable.option];
    if (value === undefined) {
      continue;
    }
    const parsed =
      typeof value === 'string' ||
      typeof value === 'number' ||
      (typeof value === 'boolean' && variable.option === 'sqliteEncrypted')
        ? variable.parse(String(value))
        : { error: 'has the wrong type' };
    if ('error' in parsed) {
      errors.push(`option ${variable.option}=${JSON.stringify(value)} ${parsed.error}`);
    } else {
      explicit[variable.option] = parsed.value;
    }
  }
  const timings: Partial<Pick<ResolvedStateOptions, TimingOption>> = {};
  for (const option of TIMING_OPTIONS) {
    const value = options[option];
    if (value === undefined) {
      continue;
    }
    const parsed = typeof value === 'number' ? positiveSeconds(String(value)) : null;
    if (parsed === null || 'error' in parsed) {
      errors.push(
        `option ${option}=${JSON.stringify(value)} ${parsed?.error ?? 'must be a number of seconds'}`,
      );
    } else {
      timings[option] = parsed.value;
    }
  }

  if (errors.length > 0) {
    throw new StateConfigurationError(`Invalid state configuration: ${errors.join('; ')}`);
  }

  const resolved = {
    ...defaults(),
    ...fromEnvironment,
    ...explicit,
    ...timings,
  } as ResolvedStateOptions;
  resolved.workerId ??= generateWorkerId();
  if (options.redis !== undefined) {
    resolved.redis = options.redis;
  }
  return resolved;
}
