// @livegate/live-auth/testing: the contracts every user store and auth channel pass, and a PostgreSQL database per test run.
export {
  describeUserStoreContract,
  type UserStoreFactory,
  type UserStoreSubject,
} from './user-store.contract';
export { PostgresTestDatabase, TEST_POSTGRES_URL } from './postgres-database';
export {
  describeAuthChannelContract,
  type AuthChannelFactory,
  type AuthChannelSubject,
} from './auth-channel.contract';
