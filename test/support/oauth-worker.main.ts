/**
 * A worker process for the cross-worker OAuth suite: an app configured only by its environment
 * (`LIVEGATE_DEPLOY__*` for state and auth, `LIVEGATE_OAUTH2__*` for the provider), as a
 * deployment would run it.
 */
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule, Public } from '@livegate/auth';
import { OAuthModule } from '@livegate/oauth';
import { StateModule } from '@livegate/state';

@Controller()
class HealthController {
  @Public()
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

@Module({
  imports: [StateModule.forRoot(), AuthModule.forRoot(), OAuthModule.forRoot()],
  controllers: [HealthController],
})
class OAuthWorkerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(OAuthWorkerModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `oauth worker failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
