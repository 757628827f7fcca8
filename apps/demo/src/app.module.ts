import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { StateExceptionFilter, StateModule } from '@livegate/state';
import { DemoController } from './demo.controller';
import { DemoWidgets } from './demo-widgets';

/** The sample app: the backend comes from `LIVEGATE_DEPLOY__*` (memory when unset). */
@Module({
  imports: [StateModule.forRoot()],
  controllers: [DemoController],
  providers: [DemoWidgets, { provide: APP_FILTER, useClass: StateExceptionFilter }],
})
export class AppModule {}
