// One worker starting against the user store's PostgreSQL: waits for the GO line on stdin (so that
// every worker starts its migrations at the same moment), opens the store, and prints one JSON line.
import { createUserStore } from '@livegate/live-auth';

async function main(): Promise<void> {
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const started = Date.now();
  try {
    const store = await createUserStore({
      userStore: 'postgres',
      databaseUrl: process.env.DATABASE_URL!,
      sqlitePath: '',
      sqliteEncrypted: true,
    });
    const user = await store.createUser({ username: `worker${process.env.WORKER}` });
    await store.close();
    process.stdout.write(
      `${JSON.stringify({ ok: true, user: user.username, ms: Date.now() - started })}\n`,
    );
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
  }
  process.stdin.destroy();
}

void main();
