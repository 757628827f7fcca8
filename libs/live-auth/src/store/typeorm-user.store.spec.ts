import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUserStoreContract, PostgresTestDatabase } from '../testing';
import { createUserStore } from './create-user-store';

describeUserStoreContract('sqlite', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'livegate-users-'));
  const open = () =>
    createUserStore({
      userStore: 'sqlite',
      sqlitePath: join(folder, 'users.db'),
      sqliteEncrypted: true,
      keyring: null,
    });
  let store = await open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await open();
      return store;
    },
    teardown: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
});

describe('on PostgreSQL', () => {
  let database: PostgresTestDatabase;

  beforeAll(async () => {
    database = await PostgresTestDatabase.create();
  });

  afterAll(async () => {
    await database?.drop();
  });

  describeUserStoreContract('postgres', async () => {
    const open = () =>
      createUserStore({
        userStore: 'postgres',
        databaseUrl: database.url,
        sqlitePath: '',
        sqliteEncrypted: true,
      });
    let store = await open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open();
        return store;
      },
      teardown: async () => {
        // One database for the file: empty it for the next test.
        const page = await store.listUsers({ limit: 500 });
        for (const user of page.users) {
          await store.deleteUser(user.id);
        }
        await store.close();
      },
    };
  });
});
