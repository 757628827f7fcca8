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

// Live auth: actions, the channel, the gateway and its wire protocol
export { AuthActions, type AuthChange, type AuthActionsOptions } from './actions/auth-actions';
export { AuthChannel, type PrincipalUpdate } from './channel/auth-channel';
export {
  sessionKeyOf,
  type AuthEvent,
  type AuthEventHandler,
  type AuthEventPrincipal,
} from './channel/auth-event';
export { EventBusAuthChannel } from './channel/event-bus-auth.channel';
export { ChannelSessionEndings } from './channel/channel-session-endings';
export { LiveAuthGateway, livePrincipalOf } from './gateway/live-auth.gateway';
export { DEFAULT_LIVE_OPTIONS, type LiveAuthOptions } from './gateway/live-auth.options';
export {
  AUTH_NAVIGATE_EVENT,
  AUTH_UPDATE_EVENT,
  LIVE_AUTH_NAMESPACE,
  LIVE_AUTH_SCRIPT_PATH,
  type AuthNavigateMessage,
  type AuthUpdateMessage,
  type LiveHandshake,
  type LivePrincipal,
  type RegionState,
  type RenderedRegion,
} from './live-auth.protocol';

// Auth regions (the seeds' `{$auth}`), live pages and the browser script
export {
  AuthRegions,
  type AuthRegionDefinition,
  type RegionContent,
  type RenderRegionOptions,
} from './regions/auth-regions';
export {
  LivePages,
  LIVE_PAGES_OPTIONS,
  type LivePage,
  type LivePageDefinition,
  type LivePagesOptions,
} from './regions/live-pages';
export { LIVE_NAME_PATTERN } from './regions/live-names';
export { escapeHtml, html } from './regions/escape-html';
export {
  LIVE_AUTH_CLIENT_SCRIPT,
  LIVE_AUTH_CLIENT_SCRIPT_INTEGRITY,
  LIVE_AUTH_CLIENT_SCRIPT_SHA256,
  LIVE_AUTH_UPDATE_DOM_EVENT,
} from './regions/client-script';
export { LiveAuthAssetsController } from './regions/live-auth-assets.controller';
