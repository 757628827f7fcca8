// @livegate/live-auth/testing: the contract every user store passes, and a PostgreSQL database per test run.
export {
  describeUserStoreContract,
  type UserStoreFactory,
  type UserStoreSubject,
} from './user-store.contract';
export { PostgresTestDatabase, TEST_POSTGRES_URL } from './postgres-database';
