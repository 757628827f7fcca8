/**
 * A worker process for the cross-worker suites: a small Nest app on the state backend chosen by
 * `LIVEGATE_DEPLOY__*`, with routes that drive `StateService` and the stores.
 */
import {
  Body,
  Controller,
  Get,
  Module,
  NotFoundException,
  Param,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import {
  ConnectionRouter,
  SessionStore,
  StateExceptionFilter,
  StateModule,
  StateService,
  type CreateSessionInput,
  type SessionChange,
  type StateEvent,
} from '@livegate/state';

@Controller()
class WorkerController {
  /** Widget events this worker was handed to push to its connections. */
  private readonly received: StateEvent[] = [];

  constructor(
    private readonly state: StateService,
    private readonly sessions: SessionStore,
    private readonly connections: ConnectionRouter,
  ) {
    state.onWidgetEvent((event) => {
      this.received.push(event);
    });
  }

  @Get('events')
  events() {
    return { events: this.received };
  }

  @Post('send/:widgetId/:eventType')
  send(
    @Param('widgetId') widgetId: string,
    @Param('eventType') eventType: string,
    @Body() body: { data?: unknown },
  ) {
    return this.state.sendToWidget(widgetId, eventType, body.data);
  }

  @Post('broadcast/:widgetId/:eventType')
  async broadcast(
    @Param('widgetId') widgetId: string,
    @Param('eventType') eventType: string,
    @Body() body: { data?: unknown },
  ) {
    await this.state.broadcastEvent(widgetId, eventType, body.data);
    return { sent: true };
  }

  @Get('health')
  health() {
    return { workerId: this.state.workerId };
  }

  @Post('sessions')
  createSession(@Body() input: CreateSessionInput) {
    return this.sessions.createSession(input);
  }

  @Get('sessions/:id')
  async getSession(@Param('id') sessionId: string) {
    const session = await this.sessions.getSession(sessionId);
    if (!session) {
      throw new NotFoundException({ error: 'not_found', message: 'No such session' });
    }
    return session;
  }

  @Post('sessions/:id/update')
  async updateSession(@Param('id') sessionId: string, @Body() change: SessionChange) {
    const session = await this.sessions.updateSession(sessionId, change);
    if (!session) {
      throw new NotFoundException({ error: 'not_found', message: 'No such session' });
    }
    return session;
  }

  @Post('users/:id/sessions/update')
  async updateUserSessions(@Param('id') userId: string, @Body() change: SessionChange) {
    return { sessions: await this.sessions.updateUserSessions(userId, change) };
  }

  @Post('sessions/:id/rotate')
  async rotateSession(@Param('id') sessionId: string) {
    const session = await this.sessions.rotateSession(sessionId);
    if (!session) {
      throw new NotFoundException({ error: 'not_found', message: 'No such session' });
    }
    return session;
  }

  /** The session cache's counters, on the Redis backend (`null` elsewhere). */
  @Get('session-cache')
  sessionCache() {
    return { stats: (this.sessions as { cacheStats?: unknown }).cacheStats ?? null };
  }

  @Post('widgets/:id')
  registerWidget(@Param('id') widgetId: string, @Body() body: { html: string }) {
    return this.state.registerWidget(widgetId, body.html);
  }

  @Get('widgets')
  async listWidgets() {
    return { widgets: await this.state.listWidgets() };
  }

  @Post('connections/:widgetId')
  registerConnection(@Param('widgetId') widgetId: string) {
    return this.state.registerConnection(widgetId);
  }

  @Get('connections/:widgetId')
  async owner(@Param('widgetId') widgetId: string) {
    return { owner: await this.connections.getOwner(widgetId) };
  }

  @Post('callbacks/:widgetId/:eventType')
  async registerCallback(
    @Param('widgetId') widgetId: string,
    @Param('eventType') eventType: string,
  ) {
    await this.state.registerCallback(widgetId, eventType, (data) => ({
      ranOn: this.state.workerId,
      pid: process.pid,
      data,
    }));
    return { registered: true };
  }

  @Post('invoke/:widgetId/:eventType')
  invoke(
    @Param('widgetId') widgetId: string,
    @Param('eventType') eventType: string,
    @Body() body: { data?: unknown },
  ) {
    return this.state.invokeCallback(widgetId, eventType, body.data);
  }
}

@Module({
  imports: [StateModule.forRoot()],
  controllers: [WorkerController],
  providers: [{ provide: APP_FILTER, useClass: StateExceptionFilter }],
})
class WorkerModule {}

async function main(): Promise<void> {
  const app: INestApplication = await NestFactory.create(WorkerModule, {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
