/**
 * Creates a login session in the demo's state backend, for trying the demo with auth enabled:
 *   npm run demo:session -- <user id> [role ...]
 * The backend must be one the demo shares with this process (sqlite or redis), configured by the
 * same LIVEGATE_DEPLOY__* variables.
 */
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule, AuthService, sessionCookieName } from '@livegate/auth';
import { StateModule } from '@livegate/state';

@Module({ imports: [StateModule.forRoot(), AuthModule.forRoot()] })
class SessionCliModule {}

async function main(): Promise<void> {
  const [userId, ...roles] = process.argv.slice(2);
  const logger = new Logger('demo:session');
  if (!userId) {
    logger.error('Usage: npm run demo:session -- <user id> [role ...]');
    process.exitCode = 2;
    return;
  }
  const app = await NestFactory.createApplicationContext(SessionCliModule, {
    logger: ['error', 'warn'],
  });
  try {
    const auth = app.get(AuthService);
    const session = await auth.createLoginSession(userId, roles.length > 0 ? { roles } : {});
    const cookie = sessionCookieName(auth.options);
    process.stdout.write(
      `${JSON.stringify(
        {
          sessionId: session.sessionId,
          userId: session.userId,
          roles: session.roles,
          cookie: `${cookie}=${session.sessionId}`,
          curl: `curl -H 'Authorization: Bearer ${session.sessionId}' http://127.0.0.1:3000/admin`,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await app.close();
  }
}

void main();
