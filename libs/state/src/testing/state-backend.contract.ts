import type { StateBackend } from '../backends/state-backend';
import { describeChatAuditContract } from './chat-audit.contract';
import { describeChatStoreContract } from './chat-store.contract';
import { describeConnectionRouterContract } from './connection-router.contract';
import type { ContractFactory } from './contract.types';
import { describeEventBusContract } from './event-bus.contract';
import { describeInputRulesContract } from './input-rules.contract';
import { describeSessionStoreContract } from './session-store.contract';
import { describeTransientStoreContract } from './transient-store.contract';
import { describeWidgetStoreContract } from './widget-store.contract';

/** The same factory, handing each suite one store of the backend and closing the whole backend. */
export function storeOf<T>(
  factory: ContractFactory<StateBackend>,
  pick: (backend: StateBackend) => T,
): ContractFactory<T> {
  return async (ttls) => {
    const subject = await factory(ttls);
    return { store: pick(subject.store), teardown: () => subject.teardown() };
  };
}

/**
 * Every contract suite against one backend: each store's suite on a fresh backend per test, and
 * the input rules that hold across stores. A backend passes this or is not a Livegate backend.
 */
export function describeStateBackendContract(
  backendName: string,
  factory: ContractFactory<StateBackend>,
): void {
  describeWidgetStoreContract(
    backendName,
    storeOf(factory, (backend) => backend.widgets),
  );
  describeEventBusContract(
    backendName,
    storeOf(factory, (backend) => backend.events),
  );
  describeConnectionRouterContract(
    backendName,
    storeOf(factory, (backend) => backend.connections),
  );
  describeSessionStoreContract(
    backendName,
    storeOf(factory, (backend) => backend.sessions),
  );
  describeChatStoreContract(
    backendName,
    storeOf(factory, (backend) => backend.chats),
  );
  describeChatAuditContract(
    backendName,
    storeOf(factory, (backend) => backend.chats),
  );
  describeTransientStoreContract(
    backendName,
    storeOf(factory, (backend) => backend.transient),
  );
  describeInputRulesContract(backendName, factory);
}
