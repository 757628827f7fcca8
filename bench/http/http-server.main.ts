/**
 * One benchmark HTTP server: `http-server.main.ts <variant id> <config json>`. It listens on an
 * ephemeral loopback port and reports `{ port, headers }`: the credentials that pass its guard.
 */
import {
  Module,
  RequestMethod,
  type INestApplication,
  type MiddlewareConsumer,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AuthModule, LoginSessions } from '@livegate/auth';
import { StateModule } from '@livegate/state';
import { serveBenchRequests } from '../support/bench-process';
import { cpuProfileHandlers } from '../support/cpu-profile';
import { benchStateOptions, type BenchStateConfig } from '../support/bench-state';
import { httpVariant, type HttpVariant } from './http-variants';
import {
  BareItemsController,
  EmptyGuard,
  EmptyMiddleware,
  LivegateItemsController,
  PeerItemsController,
} from './items.controllers';
import { PeerLoginController, PeerRolesGuard, usePeerSession } from './peer-session';

function appModule(variant: HttpVariant, config: BenchStateConfig): Type {
  if (variant.stack === 'bare') {
    @Module({ controllers: [BareItemsController] })
    class BareBenchModule {}
    return BareBenchModule;
  }
  if (variant.stack === 'empty') {
    @Module({
      controllers: [BareItemsController],
      providers: [{ provide: APP_GUARD, useClass: EmptyGuard }],
    })
    class EmptyBenchModule implements NestModule {
      configure(consumer: MiddlewareConsumer): void {
        consumer.apply(EmptyMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
      }
    }
    return EmptyBenchModule;
  }
  if (variant.stack === 'peer') {
    @Module({
      controllers: [PeerItemsController, PeerLoginController],
      providers: [{ provide: APP_GUARD, useClass: PeerRolesGuard }],
    })
    class PeerBenchModule {}
    return PeerBenchModule;
  }
  @Module({
    imports: [
      StateModule.forRoot({
        ...benchStateOptions(variant.id, variant.backend!, config, variant.noSessionCache),
      }),
      AuthModule.forRoot({
        enabled: true,
        secureCookies: false,
        tokenSecret: 'livegate-bench-token-secret-0123456789abcdef',
      }),
    ],
    controllers: [LivegateItemsController],
  })
  class LivegateBenchModule {}
  return LivegateBenchModule;
}

async function credentials(
  app: INestApplication,
  variant: HttpVariant,
  port: number,
): Promise<Record<string, string>> {
  if (variant.stack === 'bare' || variant.stack === 'empty') {
    return {};
  }
  if (variant.stack === 'peer') {
    const response = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST' });
    const cookie = response.headers.get('set-cookie');
    if (response.status !== 204 || !cookie) {
      throw new Error(`peer login failed with ${response.status}`);
    }
    return { cookie: cookie.split(';')[0] };
  }
  const logins = app.get(LoginSessions);
  const session = await logins.create({ userId: 'bench-user', roles: ['admin'] });
  return { cookie: logins.sessionCookie(session).split(';')[0] };
}

async function main(): Promise<void> {
  const variant = httpVariant(process.argv[2]);
  const config = JSON.parse(process.argv[3]) as BenchStateConfig;
  const logger = ['error', 'warn'] as const;
  const module = appModule(variant, config);
  const app =
    variant.platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: [...logger] })
      : await NestFactory.create(module, { logger: [...logger] });
  const closePeer =
    variant.stack === 'peer' ? await usePeerSession(app, config.redisUrl) : async () => undefined;
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const headers = await credentials(app, variant, port);
  const handlers = {
    ...cpuProfileHandlers(),
    /** CPU time this process has used, in microseconds: the cost side of a load run. */
    cpu: () => {
      const usage = process.cpuUsage();
      return usage.user + usage.system;
    },
  };
  serveBenchRequests({ port, headers }, handlers, async () => {
    await app.close();
    await closePeer();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
