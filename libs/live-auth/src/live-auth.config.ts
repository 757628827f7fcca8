import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  booleanParser,
  defineConfig,
  oneOfParser,
  pathParser,
  StateConfigurationError,
  textParser,
  urlParser,
  type RawEnvironment,
} from '@livegate/state';

/** Prefix of every variable the live-auth module reads. */
export const LIVE_AUTH_ENV_PREFIX = 'LIVEGATE_LIVE_AUTH__';

export const USER_STORE_TYPES = ['sqlite', 'postgres'] as const;
export type UserStoreType = (typeof USER_STORE_TYPES)[number];

/** The settings of `LiveAuthModule`, as `LIVEGATE_LIVE_AUTH__*` and the options name them. */
export interface LiveAuthSettings {
  userStore: UserStoreType;
  sqlitePath: string;
  sqliteKey?: string;
  sqliteEncrypted: boolean;
  databaseUrl?: string;
}

export const LIVE_AUTH_CONFIG = defineConfig<LiveAuthSettings>({
  prefix: LIVE_AUTH_ENV_PREFIX,
  title: 'Live auth',
  error: (message) => new StateConfigurationError(message),
  variables: {
    userStore: {
      env: 'USER_STORE',
      parse: oneOfParser(USER_STORE_TYPES),
      default: 'sqlite',
      description: 'Where users are kept: `sqlite` (an encrypted file) or `postgres`',
      defaultText: 'sqlite',
    },
    sqlitePath: {
      env: 'SQLITE_PATH',
      parse: pathParser(),
      default: () => join(homedir(), '.config', 'livegate', 'users.db'),
      description: 'SQLite file of the user store',
      defaultText: '~/.config/livegate/users.db',
    },
    sqliteKey: {
      env: 'SQLITE_KEY',
      parse: textParser(),
      description: 'SQLCipher key of the user store',
      defaultText: '(key file or OS keyring)',
      secret: true,
    },
    sqliteEncrypted: {
      env: 'SQLITE_ENCRYPTED',
      parse: booleanParser(),
      default: true,
      description: 'Encrypt the user store; `false` keeps it unencrypted',
      defaultText: 'true',
    },
    databaseUrl: {
      env: 'DATABASE_URL',
      parse: urlParser(['postgres:', 'postgresql:']),
      description: 'PostgreSQL URL of the user store (with `USER_STORE=postgres`)',
      defaultText: '(none)',
      secret: true,
    },
  },
  checks: [
    ({ userStore, databaseUrl }) =>
      userStore === 'postgres' && databaseUrl === undefined
        ? [
            `${LIVE_AUTH_ENV_PREFIX}DATABASE_URL is required with ${LIVE_AUTH_ENV_PREFIX}USER_STORE=postgres`,
          ]
        : [],
  ],
});

/** Every `LIVEGATE_LIVE_AUTH__` variable the module reads, for documentation. */
export const LIVE_AUTH_ENV_VARIABLES = LIVE_AUTH_CONFIG.documentation();

/** `@nestjs/config` namespace of the raw values. */
export const liveAuthEnvironment = LIVE_AUTH_CONFIG.namespace('livegate.liveAuth');

export function resolveLiveAuthSettings(
  options: Partial<LiveAuthSettings> = {},
  environment: RawEnvironment = LIVE_AUTH_CONFIG.read(),
): LiveAuthSettings {
  return LIVE_AUTH_CONFIG.resolve(options, environment);
}
