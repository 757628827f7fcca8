import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuthService } from '@livegate/auth';
import { StateRedisConnection, TransientStore, type RawEnvironment } from '@livegate/state';
import { TokenRefresher } from './flow/token-refresher';
import { oauthEnvironment } from './oauth.config';
import { OAUTH_MODULE_OPTIONS, OAUTH_RESOLVED } from './oauth.constants';
import type { OAuthModuleAsyncOptions, OAuthModuleOptions, ResolvedOAuth } from './oauth.options';
import { resolveOAuth } from './oauth.resolve';
import { OAuthController } from './routes/oauth.controller';
import { OAuthExceptionFilter } from './routes/oauth-exception.filter';
import { createTokenStore } from './token-stores/create-token-store';
import { TokenStore } from './token-stores/token-store';

/**
 * Sign-in with OAuth2 and OpenID Connect providers: the `/auth/*` routes, the token store and the
 * providers, configured by options or `LIVEGATE_OAUTH2__*`. Needs `AuthModule` (sessions are made
 * through its `LoginSessions`) and the state backend (login transactions live in its transient
 * store, so a callback may land on any worker).
 */
@Module({})
export class OAuthModule {
  static forRoot(options: OAuthModuleOptions = {}): DynamicModule {
    return this.create([{ provide: OAUTH_MODULE_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: OAuthModuleAsyncOptions): DynamicModule {
    return this.create(
      [
        {
          provide: OAUTH_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
      ],
      options.imports ?? [],
    );
  }

  private static create(
    optionProviders: Provider[],
    imports: NonNullable<OAuthModuleAsyncOptions['imports']> = [],
  ): DynamicModule {
    return {
      module: OAuthModule,
      imports: [ConfigModule.forFeature(oauthEnvironment), ...imports],
      controllers: [OAuthController],
      providers: [
        ...optionProviders,
        {
          provide: OAUTH_RESOLVED,
          useFactory: (options: OAuthModuleOptions, environment: RawEnvironment) =>
            resolveOAuth(options ?? {}, environment),
          inject: [OAUTH_MODULE_OPTIONS, oauthEnvironment.KEY],
        },
        {
          provide: TokenStore,
          useFactory: (
            options: OAuthModuleOptions,
            resolved: ResolvedOAuth,
            auth: AuthService,
            redis: StateRedisConnection | undefined,
          ) =>
            options?.tokenStore ??
            createTokenStore(resolved.settings, auth.options.tokenSecret, redis),
          inject: [
            OAUTH_MODULE_OPTIONS,
            OAUTH_RESOLVED,
            AuthService,
            { token: StateRedisConnection, optional: true },
          ],
        },
        {
          provide: TokenRefresher,
          useFactory: (
            options: OAuthModuleOptions,
            resolved: ResolvedOAuth,
            tokens: TokenStore,
            transient: TransientStore,
          ) =>
            new TokenRefresher(tokens, transient, {
              refreshBufferSeconds: resolved.settings.refreshBufferSeconds,
              onReauthRequired: options?.onReauthRequired,
            }),
          inject: [OAUTH_MODULE_OPTIONS, OAUTH_RESOLVED, TokenStore, TransientStore],
        },
        OAuthExceptionFilter,
      ],
      exports: [TokenStore, TokenRefresher, OAUTH_RESOLVED],
    };
  }
}
