import type { StateBackendName } from '@livegate/state';

export interface StoreBackend {
  id: string;
  label: string;
  backend: StateBackendName;
  /** Redis with `sessionCacheSize: 0`: every `getSession` is a round trip. */
  noSessionCache?: boolean;
}

/** The backends the store micro-benchmarks run on, in table order. */
export const STORE_BACKENDS: readonly StoreBackend[] = [
  { id: 'memory', label: 'memory', backend: 'memory' },
  { id: 'sqlite', label: 'SQLite (SQLCipher)', backend: 'sqlite' },
  { id: 'redis', label: 'Redis', backend: 'redis' },
  {
    id: 'redis-uncached',
    label: 'Redis, session cache off',
    backend: 'redis',
    noSessionCache: true,
  },
];

export function storeBackend(id: string): StoreBackend {
  const backend = STORE_BACKENDS.find((candidate) => candidate.id === id);
  if (!backend) {
    throw new Error(`No store backend ${id}`);
  }
  return backend;
}

/** The operations measured on every backend, in table order. */
export const STORE_OPERATIONS = [
  'getSession',
  'createSession',
  'checkPermission',
  'register',
  'get',
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];
