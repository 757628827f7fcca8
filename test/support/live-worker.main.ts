/**
 * A worker process of the live-auth suites: `liveTestModule()` configured only by the environment
 * (LIVEGATE_DEPLOY__*, LIVEGATE_LIVE_AUTH__*), on Express, or Fastify with PLATFORM=fastify.
 */
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { liveTestModule } from './live-app';

async function main(): Promise<void> {
  const module = liveTestModule();
  const logger: ('error' | 'warn')[] = ['error', 'warn'];
  const app =
    process.env.PLATFORM === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger })
      : await NestFactory.create(module, { logger });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `live worker failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
