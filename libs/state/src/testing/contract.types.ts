/** TTLs (seconds) a contract suite asks the backend under test to use. */
export interface ContractTtls {
  widgetTtl: number;
  connectionTtl: number;
  sessionTtl: number;
  /** Absolute session lifetime; left out, the backend's default. */
  sessionMaxLifetime?: number;
}

/** A fresh, isolated store built for one test, and how to dispose of it. */
export interface ContractSubject<T> {
  store: T;
  teardown(): Promise<void>;
}

/**
 * Builds a fresh store for each test. Each call must return a store that sees nothing written by
 * earlier calls (a new memory instance, a new SQLite file, a new Redis prefix).
 */
export type ContractFactory<T> = (ttls: ContractTtls) => Promise<ContractSubject<T>>;
