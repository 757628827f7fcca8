import { Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { RawEnvironment } from '@livegate/state';
import { oauthEnvironment } from '../oauth.config';
import { nativeAuthFrom, type NativeAuthSettings } from './create-native-auth';
import { NativeAuth } from './native-auth';

/** Stops the background refresh when the app closes. */
class NativeAuthLifecycle implements OnModuleDestroy {
  constructor(private readonly auth: NativeAuth) {}

  onModuleDestroy(): void {
    this.auth.close();
  }
}

/**
 * `NativeAuth` for a Nest app that runs on the user's machine (a local dashboard, an Electron
 * main process): inject it and call `restore()`, then `login()` when that finds nothing. Needs
 * neither the state nor the auth module.
 */
@Module({})
export class NativeAuthModule {
  static forRoot(options: NativeAuthSettings = {}): DynamicModule {
    return {
      module: NativeAuthModule,
      imports: [ConfigModule.forFeature(oauthEnvironment)],
      providers: [
        {
          provide: NativeAuth,
          useFactory: (environment: RawEnvironment) =>
            nativeAuthFrom(options, environment, process.env.LIVEGATE_DEPLOY__TOKEN_SECRET),
          inject: [oauthEnvironment.KEY],
        },
        {
          provide: NativeAuthLifecycle,
          useFactory: (auth: NativeAuth) => new NativeAuthLifecycle(auth),
          inject: [NativeAuth],
        },
      ],
      exports: [NativeAuth],
    };
  }
}
