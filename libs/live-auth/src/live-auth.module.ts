import {
  Inject,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { RawEnvironment } from '@livegate/state';
import {
  liveAuthEnvironment,
  resolveLiveAuthSettings,
  type LiveAuthSettings,
} from './live-auth.config';
import { LIVE_AUTH_OPTIONS } from './live-auth.constants';
import { createUserStore, type UserStoreOptions } from './store/create-user-store';
import { UserStore } from './users/user-store';

/** Options of `LiveAuthModule.forRoot`: every setting left out comes from `LIVEGATE_LIVE_AUTH__*`. */
export interface LiveAuthModuleOptions
  extends Partial<LiveAuthSettings>, Pick<UserStoreOptions, 'dataSource' | 'keyring'> {
  /** A user store of your own instead of the configured one. */
  userStore?: LiveAuthSettings['userStore'];
  store?: UserStore;
}

export interface LiveAuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => LiveAuthModuleOptions | Promise<LiveAuthModuleOptions>;
}

/** Closes the user store when the app shuts down. */
class UserStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(UserStore) private readonly store: UserStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * The persistent users of live auth: `UserStore` on an encrypted SQLite file by default,
 * PostgreSQL (`USER_STORE=postgres`, `DATABASE_URL`) in production, or the app's `DataSource`,
 * its schema brought up to date by the shipped migrations before the app starts.
 */
@Module({})
export class LiveAuthModule {
  static forRoot(options: LiveAuthModuleOptions = {}): DynamicModule {
    return this.create([{ provide: LIVE_AUTH_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: LiveAuthModuleAsyncOptions): DynamicModule {
    return this.create(
      [
        {
          provide: LIVE_AUTH_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
      ],
      options.imports,
    );
  }

  private static create(
    optionProviders: Provider[],
    imports: NonNullable<ModuleMetadata['imports']> = [],
  ): DynamicModule {
    return {
      module: LiveAuthModule,
      imports: [ConfigModule.forFeature(liveAuthEnvironment), ...imports],
      providers: [
        ...optionProviders,
        {
          provide: UserStore,
          useFactory: async (options: LiveAuthModuleOptions, environment: RawEnvironment) => {
            if (options.store) {
              return options.store;
            }
            const { dataSource, keyring, store: _store, ...explicit } = options;
            const settings = resolveLiveAuthSettings(explicit, environment);
            return createUserStore({ ...settings, dataSource, keyring });
          },
          inject: [LIVE_AUTH_OPTIONS, liveAuthEnvironment.KEY],
        },
        UserStoreLifecycle,
      ],
      exports: [UserStore],
    };
  }
}
