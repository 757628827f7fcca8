/**
 * Creates a login session in the demo's state backend, for trying the demo with auth enabled:
 *   npm run demo:session -- <user id> [role ...]
 * The backend must be one the demo shares with this process (sqlite or redis), configured by the
 * same LIVEGATE_DEPLOY__* variables.
 */
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule, LoginSessions } from '@livegate/auth';
import { STATE_OPTIONS, StateModule, type ResolvedStateOptions } from '@livegate/state';

@Module({ imports: [StateModule.forRoot(), AuthModule.forRoot()] })
class SessionCliModule {}

/** Exit code of a backend this command cannot share with the demo server. */
const UNSHARED_BACKEND = 3;

const MEMORY_BACKEND_HELP =
  'The state backend is memory (LIVEGATE_DEPLOY__STATE_BACKEND unset or "memory"): a session made ' +
  'here would live only inside this process and vanish when it exits, and the demo server, a ' +
  'process of its own, could never see it. No session was created. Use a backend both processes ' +
  'share, with the same variables for both: LIVEGATE_DEPLOY__STATE_BACKEND=sqlite (and the same ' +
  'LIVEGATE_DEPLOY__SQLITE_PATH) or LIVEGATE_DEPLOY__STATE_BACKEND=redis (and the same ' +
  'LIVEGATE_DEPLOY__REDIS_URL). See "Trying auth in the demo" in the README.';

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
    if (app.get<ResolvedStateOptions>(STATE_OPTIONS).backend === 'memory') {
      logger.error(MEMORY_BACKEND_HELP);
      process.exitCode = UNSHARED_BACKEND;
      return;
    }
    const logins = app.get(LoginSessions);
    const session = await logins.create({ userId, ...(roles.length > 0 ? { roles } : {}) });
    process.stdout.write(
      `${JSON.stringify(
        {
          sessionId: session.sessionId,
          userId: session.userId,
          roles: session.roles,
          cookie: `${logins.cookieName}=${session.sessionId}`,
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

main().catch((error: unknown) => {
  new Logger('demo:session').error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
