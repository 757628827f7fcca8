/**
 * A worker process for the cross-worker local identity provider suite: state, auth and the user
 * store from LIVEGATE_DEPLOY__ and LIVEGATE_LIVE_AUTH__, the identity provider mounted with
 * PER_ACCOUNT sign-in attempts per minute, and GET /me answering who the request is.
 */
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule, CurrentUser, Public, type ClaimsPrincipal } from '@livegate/auth';
import { LiveAuthModule } from '@livegate/live-auth';
import { StateModule } from '@livegate/state';

@Controller()
class WorkerController {
  @Public()
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Get('me')
  me(@CurrentUser() user: ClaimsPrincipal) {
    return {
      user_id: user.userId,
      name: user.name,
      worker: process.env.LIVEGATE_DEPLOY__WORKER_ID,
    };
  }
}

@Module({
  imports: [
    StateModule.forRoot(),
    AuthModule.forRoot(),
    LiveAuthModule.forRoot({
      localIdp: {
        limits: {
          perAccount: Number(process.env.PER_ACCOUNT ?? 5),
          perAddress: 1000,
          windowSeconds: 60,
        },
      },
    }),
  ],
  controllers: [WorkerController],
})
class LiveAuthWorkerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(LiveAuthWorkerModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `live-auth worker failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
