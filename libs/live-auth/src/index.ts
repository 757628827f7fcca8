// The public API of @livegate/live-auth: named exports only. Test helpers are `@livegate/live-auth/testing`.

// Module and configuration
export {
  LiveAuthModule,
  type LiveAuthModuleAsyncOptions,
  type LiveAuthModuleOptions,
} from './live-auth.module';
export { LIVE_AUTH_OPTIONS } from './live-auth.constants';
export {
  LIVE_AUTH_ENV_PREFIX,
  LIVE_AUTH_ENV_VARIABLES,
  USER_STORE_TYPES,
  resolveLiveAuthSettings,
  type LiveAuthSettings,
  type UserStoreType,
} from './live-auth.config';

// Users
export { UserStore, type UserPage } from './users/user-store';
export type { NewUser, ProviderIdentity, UserRecord } from './users/user-record';
export { MAX_USERNAME_LENGTH, parseUsername, type Username } from './users/username';
export { MAX_CLAIMS, MAX_CLAIM_VALUE_LENGTH, normalizeClaims } from './users/claims';

// The TypeORM store
export {
  USER_STORE_SQLITE_NAMES,
  createUserStore,
  type UserStoreOptions,
} from './store/create-user-store';
export { TypeOrmUserStore } from './store/typeorm-user.store';
export { USER_STORE_ENTITIES, USER_MIGRATIONS_TABLE } from './store/user-tables';
export { USER_STORE_MIGRATIONS } from './store/migrations';
export { MIGRATION_LOCK_KEY, runMigrationsLocked } from './store/migration-lock';

// The local identity provider
export { LocalIdpController } from './local-idp/local-idp.controller';
export type { LocalIdpOptions } from './local-idp/local-idp.options';
export { DEFAULT_LOGIN_LIMITS, LoginThrottle, type LoginLimits } from './local-idp/login-throttle';
export {
  ARGON2ID_MINIMUM,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  PasswordHasher,
  parsePassword,
  type PasswordHasherOptions,
} from './local-idp/password-hasher';

// OAuth logins on the user store
export { UserStoreLoginUsers } from './oauth/user-store-login-users';
