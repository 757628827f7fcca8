import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { createStateBackend } from './backends/create-state-backend';
import { StateRedisConnection } from './backends/redis/redis-connection';
import type { StateBackend } from './backends/state-backend';
import { CallbackRegistry } from './callbacks/callback-registry';
import { CallbackRelay } from './callbacks/callback-relay';
import { StateHealthIndicator } from './health/state-health.indicator';
import { STATE_BACKEND, STATE_MODULE_OPTIONS, STATE_OPTIONS } from './state.constants';
import {
  resolveStateOptions,
  stateEnvironment,
  type StateEnvironment,
} from './config/state.config';
import type {
  ResolvedStateOptions,
  StateModuleAsyncOptions,
  StateModuleOptions,
} from './state.options';
import { StateService } from './state.service';
import { ChatStore } from './chat/chat-store';
import { ConnectionRouter } from './connections/connection-router';
import { EventBus } from './events/event-bus';
import { SessionStore } from './sessions/session-store';
import { TransientStore } from './transient/transient-store';
import { WidgetStore } from './widgets/widget-store';

/** Closes the backend after everything that uses it has shut down. */
@Injectable()
class StateBackendLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STATE_BACKEND) private readonly backend: StateBackend) {}

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}

const STORE_PROVIDERS: Provider[] = [
  { provide: WidgetStore, useFactory: (b: StateBackend) => b.widgets, inject: [STATE_BACKEND] },
  { provide: EventBus, useFactory: (b: StateBackend) => b.events, inject: [STATE_BACKEND] },
  {
    provide: ConnectionRouter,
    useFactory: (b: StateBackend) => b.connections,
    inject: [STATE_BACKEND],
  },
  { provide: SessionStore, useFactory: (b: StateBackend) => b.sessions, inject: [STATE_BACKEND] },
  { provide: ChatStore, useFactory: (b: StateBackend) => b.chats, inject: [STATE_BACKEND] },
  {
    provide: TransientStore,
    useFactory: (b: StateBackend) => b.transient,
    inject: [STATE_BACKEND],
  },
  // `undefined` on a backend other than Redis: the libraries sharing it inject it as optional.
  {
    provide: StateRedisConnection,
    useFactory: (b: StateBackend) => b.redis,
    inject: [STATE_BACKEND],
  },
];

const EXPORTS = [
  STATE_OPTIONS,
  WidgetStore,
  EventBus,
  ConnectionRouter,
  SessionStore,
  ChatStore,
  TransientStore,
  CallbackRegistry,
  StateService,
  StateHealthIndicator,
  StateRedisConnection,
];

/**
 * Shared state for real-time apps. `StateModule.forRoot()` with no options reads
 * `LIVEGATE_DEPLOY__*`, so the backend is chosen by the environment without a code change.
 */
@Module({})
export class StateModule {
  /** Explicit options win over the environment, which wins over the defaults. */
  static forRoot(options: StateModuleOptions = {}): DynamicModule {
    return this.create(options.isGlobal, [{ provide: STATE_MODULE_OPTIONS, useValue: options }]);
  }

  /** Options from a factory (for example from `ConfigService`); the same precedence applies. */
  static forRootAsync(options: StateModuleAsyncOptions): DynamicModule {
    return this.create(
      options.isGlobal,
      [
        {
          provide: STATE_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
      ],
      options.imports ?? [],
    );
  }

  private static create(
    isGlobal: boolean | undefined,
    optionProviders: Provider[],
    imports: NonNullable<StateModuleAsyncOptions['imports']> = [],
  ): DynamicModule {
    return {
      module: StateModule,
      // An app has one state layer: the stores are visible to every module unless told otherwise.
      global: isGlobal ?? true,
      imports: [ConfigModule.forFeature(stateEnvironment), ...imports],
      providers: [
        ...optionProviders,
        {
          provide: STATE_OPTIONS,
          useFactory: (options: StateModuleOptions, environment: StateEnvironment) =>
            resolveStateOptions(options ?? {}, environment),
          inject: [STATE_MODULE_OPTIONS, stateEnvironment.KEY],
        },
        {
          provide: STATE_BACKEND,
          useFactory: async (options: ResolvedStateOptions) => {
            const backend = await createStateBackend(options);
            new Logger(StateModule.name).log(
              `State backend: ${backend.name} (worker ${options.workerId})`,
            );
            return backend;
          },
          inject: [STATE_OPTIONS],
        },
        StateBackendLifecycle,
        ...STORE_PROVIDERS,
        CallbackRegistry,
        CallbackRelay,
        StateService,
        StateHealthIndicator,
      ],
      exports: EXPORTS,
    };
  }
}
