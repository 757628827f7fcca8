import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  // Boot errors (a bad variable, wrong Redis credentials) are reported below and end the process
  // with exit code 1, instead of Nest's default abort.
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  await app.listen(port, host);
  new Logger('Demo').log(`Livegate demo listening on http://${host}:${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Demo').error(
    `The demo did not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  // A half-made app may hold connections open that nothing would close.
  process.exit(1);
});
