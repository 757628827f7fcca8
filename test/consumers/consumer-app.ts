// A Nest app as someone else would write it against the published packages: the consumer
// tests compile this one file for a Nest 11 CommonJS app and for a Nest 12 ES module app, each
// with the packed tarballs installed, and run it with plain `node`.
//
// Environment: CONSUMER_PLATFORM (express | fastify), CONSUMER_BACKEND (memory | redis | sqlite),
// CONSUMER_REDIS_URL (with redis), CONSUMER_PORT (default: a free one); with
// LIVEGATE_OAUTH2__PROVIDER set, the /auth routes of @livegate/oauth too; with
// CONSUMER_USERS_DATABASE_URL (a PostgreSQL URL) set, the user store and local identity provider
// of @livegate/live-auth on that database. It listens on loopback and prints one JSON line: the
// URL, the session ids of a viewer and an admin, and the versions it runs on.
import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WebSocketGateway, type OnGatewayInit } from '@nestjs/websockets';
import type { Server } from 'socket.io';
import { SessionStore, StateModule } from '@livegate/state';
import {
  AuthModule,
  CurrentUser,
  Public,
  Roles,
  SocketAuthenticator,
  type ClaimsPrincipal,
} from '@livegate/auth';
import { createTestSession } from '@livegate/auth/testing';
import { LiveAuthModule } from '@livegate/live-auth';
import { OAuthModule } from '@livegate/oauth';

@Controller()
class AreasController {
  @Roles('admin')
  @Get('admin')
  admin(): { area: string } {
    return { area: 'admin' };
  }

  @Public()
  @Get('public')
  open(): { area: string } {
    return { area: 'public' };
  }

  /** Any signed-in user: shows whose session a cookie or bearer token carries. */
  @Get('me')
  me(@CurrentUser() user: ClaimsPrincipal): { user_id: string | null; name: string | null } {
    return { user_id: user.userId, name: user.name };
  }
}

@WebSocketGateway()
class LiveGateway implements OnGatewayInit {
  constructor(private readonly authenticator: SocketAuthenticator) {}

  afterInit(server: Server): void {
    server.use(this.authenticator.middleware());
  }
}

const backend =
  (['redis', 'sqlite'] as const).find((name) => name === process.env.CONSUMER_BACKEND) ?? 'memory';
const usersDatabaseUrl = process.env.CONSUMER_USERS_DATABASE_URL;

@Module({
  imports: [
    StateModule.forRoot(
      backend === 'redis' ? { backend, redisUrl: process.env.CONSUMER_REDIS_URL } : { backend },
    ),
    AuthModule.forRoot({
      enabled: true,
      tokenSecret: 'consumer-test-secret-of-at-least-32-characters',
      secureCookies: false,
    }),
    // openid-client is an ES module only: this import loads it in CommonJS apps too.
    ...(process.env.LIVEGATE_OAUTH2__PROVIDER ? [OAuthModule.forRoot()] : []),
    // TypeORM and pg from the registry; the migrations run before the app listens.
    ...(usersDatabaseUrl
      ? [
          LiveAuthModule.forRoot({
            userStore: 'postgres',
            databaseUrl: usersDatabaseUrl,
            localIdp: true,
          }),
        ]
      : []),
  ],
  controllers: [AreasController],
  providers: [LiveGateway],
})
class ConsumerModule {}

async function start(): Promise<INestApplication> {
  const logger: ('error' | 'warn')[] = ['error', 'warn'];
  return process.env.CONSUMER_PLATFORM === 'fastify'
    ? NestFactory.create(ConsumerModule, new FastifyAdapter(), { logger })
    : NestFactory.create(ConsumerModule, { logger });
}

async function main(): Promise<void> {
  const app = await start();
  app.enableShutdownHooks();
  await app.listen(Number(process.env.CONSUMER_PORT ?? 0), '127.0.0.1');
  const viewer = await app.get(SessionStore).createSession({
    userId: 'consumer-viewer',
    roles: ['viewer'],
  });
  // The testing entry of @livegate/auth, resolved through the package's exports.
  const { session: admin } = await createTestSession(app, {
    userId: 'consumer-admin',
    roles: ['admin'],
  });
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  process.stdout.write(
    `${JSON.stringify({
      url,
      viewer: viewer.sessionId,
      admin: admin.sessionId,
      backend,
      platform: process.env.CONSUMER_PLATFORM ?? 'express',
      node: process.version,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `consumer app failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
