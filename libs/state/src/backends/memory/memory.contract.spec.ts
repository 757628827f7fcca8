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
import type { StateBackend } from '../state-backend';
import { createMemoryBackend } from './memory.backend';

/** A fresh memory backend per test; the suite picks one store of it. */
function memoryFactory<T>(pick: (backend: StateBackend) => T): ContractFactory<T> {
  return async (ttls: ContractTtls) => {
    const backend = await createMemoryBackend({ ...ttls, workerId: 'contract', sweepInterval: 60 });
    return { store: pick(backend), teardown: () => backend.close() };
  };
}

describeWidgetStoreContract(
  'memory',
  memoryFactory((backend) => backend.widgets),
);
describeEventBusContract(
  'memory',
  memoryFactory((backend) => backend.events),
);
describeConnectionRouterContract(
  'memory',
  memoryFactory((backend) => backend.connections),
);
describeSessionStoreContract(
  'memory',
  memoryFactory((backend) => backend.sessions),
);
describeChatStoreContract(
  'memory',
  memoryFactory((backend) => backend.chats),
);
describeChatAuditContract(
  'memory',
  memoryFactory((backend) => backend.chats),
);
