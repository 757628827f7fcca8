import { describeStateBackendContract, type ContractTtls } from '../../testing';
import { createMemoryBackend } from './memory.backend';

describeStateBackendContract('memory', async (ttls: ContractTtls) => {
  const backend = await createMemoryBackend({ ...ttls, workerId: 'contract', sweepInterval: 60 });
  return { store: backend, teardown: () => backend.close() };
});
