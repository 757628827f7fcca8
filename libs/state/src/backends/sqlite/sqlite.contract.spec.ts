import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateBackendContract, type ContractTtls } from '../../testing';
import { quietBootLog } from './sqlite-test.helpers';
import { createSqliteBackend } from './sqlite.backend';

/**
 * A fresh encrypted database file per test, keyed through a new key file (the path a machine
 * without a persistent keyring takes).
 */
describeStateBackendContract('sqlite', async (ttls: ContractTtls) => {
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
    store: backend,
    teardown: async () => {
      await backend.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});
