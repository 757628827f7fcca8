import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@livegate/auth';
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
  imports: [StateModule.forRoot(), AuthModule.forRoot()],
  controllers: [HealthController, DemoController],
  providers: [DemoWidgets, DemoPolicies, { provide: APP_FILTER, useClass: StateExceptionFilter }],
})
export class AppModule {}
