import {
  Logger,
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type Provider,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { AccessGuard } from './access.guard';
import { authEnvironment, resolveAuthOptions, type AuthEnvironment } from './auth.config';
import { AUTH_MODULE_OPTIONS, AUTH_OPTIONS } from './auth.constants';
import { useAuthHook } from './auth-platform.hook';
import { AuthMiddleware } from './auth.middleware';
import type {
  AuthModuleAsyncOptions,
  AuthModuleOptions,
  ResolvedAuthOptions,
} from './auth.options';
import { AuthRedirectFilter } from './auth-redirect.filter';
import { AuthService } from './auth.service';
import { LoginSessions } from './login-sessions.service';
import { PolicyEngine } from './policy-engine';
import { SocketAuthenticator } from './socket-auth';

/**
 * Authentication and authorization: the middleware resolving sessions, the global `AccessGuard`,
 * login sessions, the policy engine and tokens. Needs the `SessionStore` of the app's
 * `StateModule` (global unless `isGlobal: false`). Global itself.
 */
@Module({})
export class AuthModule implements NestModule {
  static forRoot(options: AuthModuleOptions = {}): DynamicModule {
    return this.create([{ provide: AUTH_MODULE_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return this.create(
      [
        {
          provide: AUTH_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
      ],
      options.imports ?? [],
    );
  }

  private static create(
    optionProviders: Provider[],
    imports: NonNullable<AuthModuleAsyncOptions['imports']> = [],
  ): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [ConfigModule.forFeature(authEnvironment), ...imports],
      providers: [
        ...optionProviders,
        {
          provide: AUTH_OPTIONS,
          useFactory: (options: AuthModuleOptions, environment: AuthEnvironment) => {
            const resolved = resolveAuthOptions(options ?? {}, environment);
            announce(resolved);
            return resolved;
          },
          inject: [AUTH_MODULE_OPTIONS, authEnvironment.KEY],
        },
        AuthService,
        LoginSessions,
        PolicyEngine,
        AuthMiddleware,
        SocketAuthenticator,
        AccessGuard,
        { provide: APP_GUARD, useExisting: AccessGuard },
        { provide: APP_FILTER, useClass: AuthRedirectFilter },
      ],
      exports: [
        AUTH_OPTIONS,
        AuthService,
        LoginSessions,
        PolicyEngine,
        AccessGuard,
        AuthMiddleware,
        SocketAuthenticator,
      ],
    };
  }

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly middleware: AuthMiddleware,
  ) {}

  /**
   * `AuthMiddleware` on every request: natively on Express and Fastify (see `useAuthHook`), which
   * spares every request a pass through Nest's middleware layer; as a Nest middleware elsewhere.
   */
  configure(consumer: MiddlewareConsumer): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter && useAuthHook(adapter, this.middleware)) {
      return;
    }
    consumer.apply(AuthMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

function announce(options: ResolvedAuthOptions): void {
  const logger = new Logger(AuthModule.name);
  if (options.enabled) {
    logger.log('Authentication is enabled');
  } else {
    logger.warn(
      'AUTHENTICATION IS DISABLED: every request acts as a local admin. ' +
        'Set LIVEGATE_DEPLOY__AUTH_ENABLED=true (and TOKEN_SECRET) for anything but development.',
    );
  }
}
