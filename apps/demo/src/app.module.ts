import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@livegate/auth';
import { LiveAuthModule } from '@livegate/live-auth';
import { OAuthModule } from '@livegate/oauth';
import { join } from 'node:path';
import { StateExceptionFilter, StateModule } from '@livegate/state';
import { demoDataDir } from './demo-data';
import { DemoController } from './demo.controller';
import { DemoPolicies } from './demo-policies';
import { DemoWidgets } from './demo-widgets';
import { HealthController } from './health.controller';

/**
 * The sample app. The state backend and auth come from `LIVEGATE_DEPLOY__*`: memory state and
 * auth disabled (every request a local admin) when nothing is set. It boots while the backend is
 * away (Redis not up yet): `/health` answers 503 and the demo widget is registered once it is back.
 */
@Module({
  controllers: [HealthController, DemoController],
  providers: [DemoWidgets, DemoPolicies, { provide: APP_FILTER, useClass: StateExceptionFilter }],
})
export class AppModule {
  /**
   * The app for this environment: the local identity provider (`/auth/local/*`) on the user store
   * (a SQLite file in the demo's data folder unless `LIVEGATE_LIVE_AUTH__*` says otherwise), and
   * with `LIVEGATE_OAUTH2__PROVIDER` set, the `/auth/*` routes of `@livegate/oauth` too, and
   * "Sign in with ..." on the login page.
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
        AuthModule.forRoot(),
        LiveAuthModule.forRoot({ localIdp: true, ...userStorePath }),
        ...oauth,
      ],
    };
  }
}
