// @livegate/auth/testing: helpers for the tests of an app that uses @livegate/auth.
export { createTestSession, type TestSession } from './test-sessions';
