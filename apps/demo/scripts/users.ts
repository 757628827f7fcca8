// npm run users -- create-admin <username>     (the password is read from standard input)
// npm run users -- list
//
// Manages the users of the demo's user store (.demo-data/users.db, or what LIVEGATE_DEMO_DATA_DIR and
// LIVEGATE_LIVE_AUTH__* name: another SQLite file, or PostgreSQL). There is no seeded user and no default password: this command, or
// ADMIN_USERS=local:<username>, makes the first admin.
import { createInterface } from 'node:readline';
import {
  PasswordHasher,
  createUserStore,
  resolveLiveAuthSettings,
  type UserStore,
} from '@livegate/live-auth';
import { StateError } from '@livegate/state';
import { join } from 'node:path';
import { demoDataDir } from '../src/demo-data';

const print = (line: string) => process.stdout.write(`${line}\n`);

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    process.stdout.write('Password (8 to 1024 characters): ');
  }
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('No password on standard input');
}

async function createAdmin(store: UserStore, username: string | undefined): Promise<void> {
  if (!username) {
    throw new Error('Usage: npm run users -- create-admin <username>');
  }
  const password = await readPassword();
  const passwordHash = await new PasswordHasher().hash(password);
  const user = await store.createUser({
    username,
    passwordHash,
    claims: [{ type: 'role', value: 'admin' }],
  });
  print(`Created the admin ${user.username} (${user.id}) in the ${store.name} user store.`);
}

async function list(store: UserStore): Promise<void> {
  let after: string | undefined;
  do {
    const page = await store.listUsers({ limit: 100, ...(after ? { after } : {}) });
    for (const user of page.users) {
      const roles = user.claims
        .filter((claim) => claim.type === 'role')
        .map((claim) => claim.value);
      print(
        `${user.username}\t${user.id}\t${roles.join(',') || '(default roles)'}${user.disabled ? '\tdisabled' : ''}`,
      );
    }
    after = page.next ?? undefined;
  } while (after);
}

async function main(): Promise<number> {
  const [command, username] = process.argv.slice(2);
  // The demo's user store: its data folder, unless LIVEGATE_LIVE_AUTH__SQLITE_PATH names another.
  const store = await createUserStore(
    resolveLiveAuthSettings(
      process.env.LIVEGATE_LIVE_AUTH__SQLITE_PATH
        ? {}
        : { sqlitePath: join(demoDataDir(), 'users.db') },
    ),
  );
  try {
    if (command === 'create-admin') {
      await createAdmin(store, username);
    } else if (command === 'list') {
      await list(store);
    } else {
      print('Usage: npm run users -- create-admin <username> | list');
      return 2;
    }
    return 0;
  } catch (error) {
    print(
      error instanceof StateError
        ? `${error.name}: ${error.message}`
        : String((error as Error).message ?? error),
    );
    return 1;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    print(`users failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
