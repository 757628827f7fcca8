import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { StateBackend } from './backends/state-backend';

export type StateBackendName = 'memory' | 'sqlite' | 'redis';
export const STATE_BACKEND_NAMES: readonly StateBackendName[] = Object.freeze([
  'memory',
  'sqlite',
  'redis',
]);

/** Default of `sessionCacheSize`: sessions each process keeps in its Redis session cache. */
export const DEFAULT_SESSION_CACHE_SIZE = 10_000;
/** Default of `sessionCacheTtl`: seconds a cached session is served at most. */
export const DEFAULT_SESSION_CACHE_TTL = 30;

/**
 * Options of `StateModule.forRoot`. Every option left out is read from the environment
 * (`LIVEGATE_DEPLOY__*`) and then from the defaults below.
 */
export interface StateModuleOptions {
  /**
   * Which backend keeps the state: `memory`, `sqlite` or `redis`, or a custom backend's factory
   * (it gets the resolved options and returns the stores). Default `memory` (env `STATE_BACKEND`).
   */
  backend?: StateBackendName | StateBackendFactory;
  /** Redis connection URL. Default `redis://localhost:6379/0` (env `REDIS_URL`). */
  redisUrl?: string;
  /** Prefix of every Redis key and channel. Default `livegate` (env `REDIS_PREFIX`). */
  redisPrefix?: string;
  /** Redis command connections per process, 1–100. Default 1 (env `REDIS_POOL_SIZE`). */
  redisPoolSize?: number;
  /** An existing ioredis client to use as given instead of connecting to `redisUrl`. */
  redis?: unknown;
  /** SQLite database file. Default `~/.config/livegate/livegate.db` (env `SQLITE_PATH`). */
  sqlitePath?: string;
  /**
   * SQLCipher key of the SQLite database: a passphrase, or a raw 256-bit key written `x'<64 hex
   * digits>'` (env `SQLITE_KEY`). Default: the key file beside the database or the OS keyring.
   */
  sqliteKey?: string;
  /**
   * Encrypt the SQLite database with SQLCipher. Default `true`; `false` is the only way to get an
   * unencrypted database (env `SQLITE_ENCRYPTED`).
   */
  sqliteEncrypted?: boolean;
  /** Seconds a widget lives after registration or update. Default 86400 (env `WIDGET_TTL`). */
  widgetTtl?: number;
  /** Seconds a connection lives after its last heartbeat. Default 300 (env `CONNECTION_TTL`). */
  connectionTtl?: number;
  /** Default seconds a session lives; a refresh extends it by as much. Default 86400 (env `SESSION_TTL`). */
  sessionTtl?: number;
  /**
   * Absolute lifetime of every session, in seconds from its creation: no refresh extends a session
   * past it, and a session may not be created with a longer TTL. At least `sessionTtl`. Default
   * 604800, seven days (env `SESSION_MAX_LIFETIME`).
   */
  sessionMaxLifetime?: number;
  /**
   * Most sessions each process keeps in its in-process cache of the Redis backend, 0–1,000,000;
   * 0 turns the cache off. Default 10000 (env `SESSION_CACHE_SIZE`). Memory and SQLite ignore it.
   */
  sessionCacheSize?: number;
  /**
   * Seconds a session stays in that cache at most, a backstop behind the invalidation messages.
   * Default 30 (env `SESSION_CACHE_TTL`).
   */
  sessionCacheTtl?: number;
  /** This process's worker id. Default: generated from host name, pid and random bits (env `WORKER_ID`). */
  workerId?: string;
  /** Seconds between sweeps that free expired items in memory. Default 60. */
  sweepInterval?: number;
  /** Seconds `invokeCallback` waits for another worker's answer. Default 5. */
  callbackTimeout?: number;
  /**
   * Register the module globally, so that every module (`AuthModule` too) can inject the stores.
   * Default `true`: an app has one state layer.
   */
  isGlobal?: boolean;
}

/** Options after merging explicit options, environment and defaults. */
export interface ResolvedStateOptions {
  backend: StateBackendName | StateBackendFactory;
  redisUrl: string;
  redisPrefix: string;
  redisPoolSize: number;
  redis?: unknown;
  sqlitePath: string;
  sqliteKey?: string;
  sqliteEncrypted: boolean;
  widgetTtl: number;
  connectionTtl: number;
  sessionTtl: number;
  sessionMaxLifetime: number;
  sessionCacheSize: number;
  sessionCacheTtl: number;
  workerId: string;
  sweepInterval: number;
  callbackTimeout: number;
}

export interface StateModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => StateModuleOptions | Promise<StateModuleOptions>;
  inject?: FactoryProvider['inject'];
  /**
   * Register the module globally, so that every module (`AuthModule` too) can inject the stores.
   * Default `true`: an app has one state layer.
   */
  isGlobal?: boolean;
}

/** Builds a backend from the resolved options: the built-in ones, or a custom one. */
export type StateBackendFactory = (options: ResolvedStateOptions) => Promise<StateBackend>;
