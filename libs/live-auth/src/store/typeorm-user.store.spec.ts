import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUserStoreContract, PostgresTestDatabase, type UserStoreSubject } from '../testing';
import type { UserStore } from '../users/user-store';
import { createUserStore } from './create-user-store';

/** A subject on stores `open` makes: reopened in place, `cleanUp` run with the last one. */
async function subjectOf(
  open: () => Promise<UserStore>,
  cleanUp: (store: UserStore) => Promise<void>,
): Promise<UserStoreSubject> {
  let store = await open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await open();
      return store;
    },
    teardown: async () => {
      await cleanUp(store);
      await store.close();
    },
  };
}

describeUserStoreContract('sqlite', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'livegate-users-'));
  return subjectOf(
    () =>
      createUserStore({
        userStore: 'sqlite',
        sqlitePath: join(folder, 'users.db'),
        sqliteEncrypted: true,
        keyring: null,
      }),
    async () => rmSync(folder, { recursive: true, force: true }),
  );
});

describe('on PostgreSQL', () => {
  let database: PostgresTestDatabase;

  beforeAll(async () => {
    database = await PostgresTestDatabase.create();
  });

  afterAll(async () => {
    await database?.drop();
  });

  describeUserStoreContract('postgres', () =>
    subjectOf(
      () =>
        createUserStore({
          userStore: 'postgres',
          databaseUrl: database.url,
          sqlitePath: '',
          sqliteEncrypted: true,
        }),
      // One database for the file: empty it for the next test.
      async (store) => {
        for (const user of (await store.listUsers({ limit: 500 })).users) {
          await store.deleteUser(user.id);
        }
      },
    ),
  );
});
