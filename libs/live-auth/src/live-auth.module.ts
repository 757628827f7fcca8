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
import { OAuthLoginUsers } from '@livegate/oauth';
import { AUTH_ACTIONS_OPTIONS, AuthActions } from './actions/auth-actions';
import { SessionEndings } from '@livegate/auth';
import { AuthChannel } from './channel/auth-channel';
import { ChannelSessionEndings } from './channel/channel-session-endings';
import { EventBusAuthChannel } from './channel/event-bus-auth.channel';
import { LiveAuthGateway } from './gateway/live-auth.gateway';
import {
  LIVE_AUTH_LIVE_OPTIONS,
  resolveLiveOptions,
  type LiveAuthOptions,
} from './gateway/live-auth.options';
import { AuthRegions } from './regions/auth-regions';
import { LiveAuthAssetsController } from './regions/live-auth-assets.controller';
import { LIVE_PAGES_OPTIONS, LivePages } from './regions/live-pages';
import { LocalIdpController } from './local-idp/local-idp.controller';
import { LOCAL_IDP_OPTIONS, type LocalIdpOptions } from './local-idp/local-idp.options';
import { PasswordHasher } from './local-idp/password-hasher';
import { UserStoreLoginUsers } from './oauth/user-store-login-users';
import { createUserStore, type UserStoreOptions } from './store/create-user-store';
import { UserStore } from './users/user-store';

/** Options of `LiveAuthModule.forRoot`: every setting left out comes from `LIVEGATE_LIVE_AUTH__*`. */
export interface LiveAuthModuleOptions
  extends Partial<LiveAuthSettings>, Pick<UserStoreOptions, 'dataSource' | 'keyring'> {
  /** A user store of your own instead of the configured one. */
  store?: UserStore;
  /**
   * Mounts the local identity provider (`POST /auth/local/...`): `true`, or its options. Needs
   * `AuthModule` (sessions) and `StateModule` (rate limits on the transient store).
   */
  localIdp?: boolean | LocalIdpOptions;
  /**
   * Live auth: `AuthActions`, `AuthChannel`, `AuthRegions`, `LivePages`, the `LiveAuthGateway`
   * (socket.io namespace `/live-auth`) and the browser script at `/livegate/live-auth.js`:
   * `true`, or its options. Needs `AuthModule` and `StateModule`, and `@nestjs/websockets` with
   * `@nestjs/platform-socket.io`.
   */
  live?: boolean | LiveAuthOptions;
}

export interface LiveAuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** As `forRoot`'s; known when the module is built, so not part of the factory's result. */
  localIdp?: boolean | LocalIdpOptions;
  /** As `forRoot`'s; known when the module is built. */
  live?: boolean | LiveAuthOptions;
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
 * The persistent users of live auth (global): `UserStore` on an encrypted SQLite file by default,
 * PostgreSQL (`USER_STORE=postgres`, `DATABASE_URL`) in production, or the app's `DataSource`,
 * its schema brought up to date by the shipped migrations before the app starts. OAuth logins
 * (`@livegate/oauth`) find or create their user row through `OAuthLoginUsers`.
 */
@Module({})
export class LiveAuthModule {
  static forRoot(options: LiveAuthModuleOptions = {}): DynamicModule {
    return this.create(
      [{ provide: LIVE_AUTH_OPTIONS, useValue: options }],
      [],
      options.localIdp,
      options.live,
    );
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
      options.localIdp,
      options.live,
    );
  }

  private static create(
    optionProviders: Provider[],
    imports: NonNullable<ModuleMetadata['imports']> = [],
    localIdp: boolean | LocalIdpOptions = false,
    liveOption: boolean | LiveAuthOptions = false,
  ): DynamicModule {
    const idp = localIdp === false ? undefined : localIdp === true ? {} : localIdp;
    const live =
      liveOption === false ? undefined : resolveLiveOptions(liveOption === true ? {} : liveOption);
    const liveProviders: Provider[] = live
      ? [
          { provide: LIVE_AUTH_LIVE_OPTIONS, useValue: live },
          { provide: LIVE_PAGES_OPTIONS, useValue: { loginRedirect: live.loginRedirect } },
          { provide: AUTH_ACTIONS_OPTIONS, useValue: {} },
          { provide: AuthChannel, useClass: EventBusAuthChannel },
          { provide: SessionEndings, useClass: ChannelSessionEndings },
          AuthActions,
          AuthRegions,
          LivePages,
          LiveAuthGateway,
        ]
      : [];
    return {
      module: LiveAuthModule,
      // Global, so that OAuthModule's callback finds OAuthLoginUsers wherever it is imported.
      global: true,
      imports: [ConfigModule.forFeature(liveAuthEnvironment), ...imports],
      controllers: [
        ...(idp ? [LocalIdpController] : []),
        ...(live ? [LiveAuthAssetsController] : []),
      ],
      providers: [
        ...(idp
          ? [
              { provide: LOCAL_IDP_OPTIONS, useValue: idp },
              {
                provide: PasswordHasher,
                useFactory: async () => {
                  const hasher = new PasswordHasher(idp.hashing);
                  await hasher.warmUp();
                  return hasher;
                },
              },
            ]
          : []),
        ...optionProviders,
        {
          provide: UserStore,
          useFactory: async (options: LiveAuthModuleOptions, environment: RawEnvironment) => {
            if (options.store) {
              return options.store;
            }
            const {
              dataSource,
              keyring,
              store: _store,
              localIdp: _idp,
              live: _live,
              ...explicit
            } = options;
            const settings = resolveLiveAuthSettings(explicit, environment);
            return createUserStore({ ...settings, dataSource, keyring });
          },
          inject: [LIVE_AUTH_OPTIONS, liveAuthEnvironment.KEY],
        },
        UserStoreLifecycle,
        ...liveProviders,
        {
          provide: OAuthLoginUsers,
          useFactory: (store: UserStore) => new UserStoreLoginUsers(store),
          inject: [UserStore],
        },
      ],
      exports: [
        UserStore,
        OAuthLoginUsers,
        ...(idp ? [PasswordHasher] : []),
        ...(live
          ? [AuthActions, AuthChannel, AuthRegions, LivePages, LiveAuthGateway, SessionEndings]
          : []),
      ],
    };
  }
}
