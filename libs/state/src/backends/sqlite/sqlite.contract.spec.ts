import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeChatAuditContract,
  describeChatStoreContract,
  describeConnectionRouterContract,
  describeEventBusContract,
  describeSessionStoreContract,
  describeWidgetStoreContract,
  type ContractFactory,
  type ContractTtls,
} from '../../testing';
import { quietBootLog } from './sqlite-test.helpers';
import { createSqliteBackend, type SqliteStateBackend } from './sqlite.backend';

/**
 * A fresh encrypted database file per test, keyed through a new key file (the path a machine
 * without a persistent keyring takes); the suite picks one store of the backend.
 */
function sqliteFactory<T>(pick: (backend: SqliteStateBackend) => T): ContractFactory<T> {
  return async (ttls: ContractTtls) => {
    const directory = mkdtempSync(join(tmpdir(), 'livegate-sqlite-contract-'));
    quietBootLog();
    const backend = await createSqliteBackend({
      ...ttls,
      sqlitePath: join(directory, 'state.db'),
      keyring: null,
      workerId: 'contract',
      sweepInterval: 60,
    });
    return {
      store: pick(backend),
      teardown: async () => {
        await backend.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  };
}

describeWidgetStoreContract(
  'sqlite',
  sqliteFactory((backend) => backend.widgets),
);
describeEventBusContract(
  'sqlite',
  sqliteFactory((backend) => backend.events),
);
describeConnectionRouterContract(
  'sqlite',
  sqliteFactory((backend) => backend.connections),
);
describeSessionStoreContract(
  'sqlite',
  sqliteFactory((backend) => backend.sessions),
);
describeChatStoreContract(
  'sqlite',
  sqliteFactory((backend) => backend.chats),
);
describeChatAuditContract(
  'sqlite',
  sqliteFactory((backend) => backend.chats),
);
