export * from './contract.types';
export * from './wait';
export * from './widget-store.contract';
export * from './event-bus.contract';
export * from './connection-router.contract';
export * from './session-store.contract';
export * from './chat-store.contract';
export * from './redis-server';
