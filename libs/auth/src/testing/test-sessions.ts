import type { INestApplicationContext } from '@nestjs/common';
import { SessionStore, type CreateSessionInput, type UserSession } from '@livegate/state';
import { LoginSessions } from '../login-sessions.service';

/** A session made for a test, and the request headers that carry it. */
export interface TestSession {
  session: UserSession;
  /** `{ authorization: 'Bearer <id>' }`: an explicit credential, accepted without `Origin`. */
  bearer: { authorization: string };
  /** `{ cookie: '<session cookie>=<id>' }`, under the app's cookie name (`__Host-` when secure). */
  cookie: { cookie: string };
}

/**
 * Creates a session with exactly the roles (and metadata) given, in the running app's session
 * store, for tests of an app's guarded routes and gateways. Unlike `LoginSessions.login`, no
 * default roles or admin promotion apply: the test says what the caller holds.
 */
export async function createTestSession(
  app: INestApplicationContext,
  input: CreateSessionInput,
): Promise<TestSession> {
  const session = await app.get(SessionStore).createSession(input);
  const cookieName = app.get(LoginSessions).cookieName;
  return {
    session,
    bearer: { authorization: `Bearer ${session.sessionId}` },
    cookie: { cookie: `${cookieName}=${session.sessionId}` },
  };
}
