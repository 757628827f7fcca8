// @livegate/state/testing: the contract suites a backend must pass, and the helpers they run on.

// Contract suites: describeStateBackendContract runs all of them against one backend.
export { describeStateBackendContract } from './state-backend.contract';
export { describeWidgetStoreContract } from './widget-store.contract';
export { describeEventBusContract } from './event-bus.contract';
export { describeConnectionRouterContract } from './connection-router.contract';
export { describeSessionStoreContract } from './session-store.contract';
export { describeChatStoreContract } from './chat-store.contract';
export { describeChatAuditContract } from './chat-audit.contract';
export { describeInputRulesContract } from './input-rules.contract';
export { describeTransientStoreContract } from './transient-store.contract';
export type { ContractFactory, ContractSubject, ContractTtls } from './contract.types';

// A private redis-server for tests, and bounded waiting
export { RedisTestServer, commandCallsOf, type RedisTestServerOptions } from './redis-server';
export { sleep, waitFor, type WaitForOptions } from './wait';
export { freePort } from './free-port';
export { stopChildProcess } from './child-process';
