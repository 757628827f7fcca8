import {
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@livegate/auth';
import { LiveAuthModule } from '@livegate/live-auth';
import { OAuthModule } from '@livegate/oauth';
import { join } from 'node:path';
import { StateExceptionFilter, StateModule } from '@livegate/state';
import { AdminController } from './admin.controller';
import { DemoAssetsController } from './demo-assets.controller';
import { demoAuthOptions } from './demo-config';
import { demoDataDir } from './demo-data';
import { DEMO_OPTIONS, demoOptions } from './demo-options';
import { DemoController } from './demo.controller';
import { DEMO_REGION_TIMEOUT_MS, DemoPolicies } from './demo-policies';
import { DemoWidgets } from './demo-widgets';
import { HealthController } from './health.controller';
import { LiveController } from './live.controller';
import { SecurityHeadersMiddleware } from './security-headers.middleware';

/**
 * The sample app. The state backend comes from `LIVEGATE_DEPLOY__*` (memory when nothing is
 * set); auth is on unless `LIVEGATE_DEPLOY__AUTH_ENABLED=false` (`demoAuthOptions`). It boots
 * while the backend is away (Redis not up yet): `/health` answers 503 and the demo widget is
 * registered once it is back.
 */
@Module({
  controllers: [
    HealthController,
    DemoController,
    LiveController,
    AdminController,
    DemoAssetsController,
  ],
  providers: [DemoWidgets, DemoPolicies, { provide: APP_FILTER, useClass: StateExceptionFilter }],
})
export class AppModule implements NestModule {
  /**
   * The app for this environment: auth with live auth (`AuthActions`, the live gateway and its
   * browser script), the local identity provider (`/auth/local/*`) on the user store (a SQLite
   * file in the demo's data folder unless `LIVEGATE_LIVE_AUTH__*` says otherwise), and with
   * `LIVEGATE_OAUTH2__PROVIDER` set, the `/auth/*` routes of `@livegate/oauth` too, and "Sign in
   * with ..." on the login page. Throws a `DemoConfigurationError` when a production run has no
   * token secret.
   */
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const oauth = env.LIVEGATE_OAUTH2__PROVIDER?.trim() ? [OAuthModule.forRoot()] : [];
    const userStorePath = env.LIVEGATE_LIVE_AUTH__SQLITE_PATH
      ? {}
      : { sqlitePath: join(demoDataDir(env), 'users.db') };
    return {
      module: AppModule,
      imports: [
        StateModule.forRoot(),
        AuthModule.forRoot(demoAuthOptions(env)),
        LiveAuthModule.forRoot({
          localIdp: true,
          live: { regionTimeoutMs: DEMO_REGION_TIMEOUT_MS },
          ...userStorePath,
        }),
        ...oauth,
      ],
      providers: [{ provide: DEMO_OPTIONS, useValue: demoOptions(env) }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SecurityHeadersMiddleware).forRoutes('*');
  }
}
