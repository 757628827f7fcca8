import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@livegate/auth';
import { OAuthModule } from '@livegate/oauth';
import { StateExceptionFilter, StateModule } from '@livegate/state';
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
   * The app for this environment: with `LIVEGATE_OAUTH2__PROVIDER` set, the `/auth/*` routes of
   * `@livegate/oauth` too, and "Sign in with ..." on the login page.
   */
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const oauth = env.LIVEGATE_OAUTH2__PROVIDER?.trim() ? [OAuthModule.forRoot()] : [];
    return {
      module: AppModule,
      imports: [StateModule.forRoot(), AuthModule.forRoot(), ...oauth],
    };
  }
}
