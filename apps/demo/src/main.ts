import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

/** The HTTP platforms the demo runs on, chosen by `PLATFORM` (default `express`). */
const PLATFORMS = ['express', 'fastify'] as const;
type Platform = (typeof PLATFORMS)[number];

function platformOf(value: string | undefined): Platform {
  const platform = (value ?? 'express').trim().toLowerCase();
  if (!(PLATFORMS as readonly string[]).includes(platform)) {
    throw new Error(
      `PLATFORM must be one of ${PLATFORMS.join(', ')} (got ${JSON.stringify(value)})`,
    );
  }
  return platform as Platform;
}

async function bootstrap(): Promise<void> {
  const platform = platformOf(process.env.PLATFORM);
  // Boot errors (a bad variable, wrong Redis credentials) are reported below and end the process
  // with exit code 1, instead of Nest's default abort.
  const app: INestApplication =
    platform === 'fastify'
      ? await NestFactory.create(AppModule.forRoot(), new FastifyAdapter(), {
          abortOnError: false,
        })
      : await NestFactory.create(AppModule.forRoot(), { abortOnError: false });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  await app.listen(port, host);
  new Logger('Demo').log(`Livegate demo listening on http://${host}:${port} (${platform})`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Demo').error(
    `The demo did not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  // A half-made app may hold connections open that nothing would close.
  process.exit(1);
});
