import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { assertId, SessionStore, type UserSession } from '@livegate/state';
import type { AuthModuleOptions } from '@livegate/auth';
import {
  authTestModule,
  countingMemoryBackend,
  handlerRuns,
  resetCalls,
  type StoreCalls,
} from './support/auth-app';
import { getAnswer } from './support/http';
import { PLATFORMS, startApp, type Platform } from './support/platform';

const SECRET = 'widget-secret-0123456789-abcdefghijklmn';

type Caller = 'anonymous' | 'viewer' | 'editor' | 'nobody' | 'granted';

/** Store methods that change something: a widget read must call none of them. */
const WRITES = [
  'createSession',
  'deleteSession',
  'refreshSession',
  'updateSession',
  'updateUserSessions',
  'rotateSession',
  'deleteUserSessions',
  'setRolePermissions',
];

const writesOf = (calls: StoreCalls) => WRITES.reduce((sum, name) => sum + (calls[name] ?? 0), 0);

/** Widget ids as a route can carry them: most well-formed, some not (controls, format chars). */
const widgetIds = fc
  .oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }),
    fc.constantFrom('granted-widget', ' padded ', 'bad\nid', 'rtl\u202eid', 'zero\u200bwidth'),
  )
  // "." and ".." are path segments a URL parser resolves away, never a route parameter.
  .filter((id) => id !== '.' && id !== '..');

const isWellFormed = (id: string) => {
  try {
    assertId('widgetId', id);
    return true;
  } catch {
    return false;
  }
};

async function call(base: string, path: string, session?: UserSession) {
  const { status, body } = await getAnswer(
    base,
    path,
    session ? { cookie: `livegate_session=${session.sessionId}` } : {},
  );
  return { status, body };
}

async function bootWidgetApp(auth: AuthModuleOptions, platform: Platform) {
  const counting = countingMemoryBackend();
  const { app, base } = await startApp(
    [
      authTestModule(
        { tokenSecret: SECRET, secureCookies: false, ...auth },
        { backend: counting.backend },
      ),
    ],
    platform,
  );
  const store = app.get(SessionStore);
  const callers: Partial<Record<Caller, UserSession>> = {
    viewer: await store.createSession({ userId: 'viewer-user', roles: ['viewer'] }),
    editor: await store.createSession({ userId: 'editor-user', roles: ['editor'] }),
    nobody: await store.createSession({ userId: 'nobody-user', roles: [] }),
    granted: await store.createSession({
      userId: 'granted-user',
      roles: [],
      metadata: { permissions: { 'widget:granted-widget': ['read'] } },
    }),
  };
  return { app, base, calls: counting.calls, callers };
}

describe.each(PLATFORMS)('@WidgetAccess with requireAuthForWidgets on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let calls: StoreCalls;
  let callers: Partial<Record<Caller, UserSession>>;

  beforeAll(async () => {
    ({ app, base, calls, callers } = await bootWidgetApp(
      { enabled: true, requireAuthForWidgets: true },
      platform,
    ));
  });

  afterAll(async () => {
    await app?.close();
  });

  /** The documented answer for a caller and a widget id. */
  function expected(caller: Caller, id: string): { status: number; error?: string } {
    if (caller === 'anonymous') {
      return { status: 401, error: 'unauthorized' };
    }
    if (!isWellFormed(id)) {
      return { status: 400, error: 'invalid_input' };
    }
    if (caller === 'viewer' || caller === 'editor') {
      return { status: 200 };
    }
    if (caller === 'granted' && id === 'granted-widget') {
      return { status: 200 };
    }
    return { status: 404, error: 'not_found' };
  }

  it('answers every caller and id as documented, runs the handler only when allowed, writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Caller>('anonymous', 'viewer', 'editor', 'nobody', 'granted'),
        widgetIds,
        async (caller, id) => {
          const runsBefore = handlerRuns.widget ?? 0;
          resetCalls(calls);
          const response = await call(
            base,
            `/widget-pages/${encodeURIComponent(id)}`,
            callers[caller],
          );
          const want = expected(caller, id);
          expect(response.status).toBe(want.status);
          if (want.error) {
            expect(response.body).toEqual({ error: want.error, message: expect.any(String) });
            expect(handlerRuns.widget ?? 0).toBe(runsBefore);
          } else {
            expect(response.body).toEqual({ widget: id });
            expect(handlerRuns.widget).toBe(runsBefore + 1);
          }
          // One lookup resolves the cookie: the count is live, and nothing else reads twice.
          expect(calls.getSession ?? 0).toBe(caller === 'anonymous' ? 0 : 1);
          expect(writesOf(calls)).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('names the malformed id in the 400, as the store would', async () => {
    const response = await call(
      base,
      `/widget-pages/${encodeURIComponent('bad\nid')}`,
      callers.viewer,
    );
    expect(response).toEqual({
      status: 400,
      body: { error: 'invalid_input', message: expect.stringMatching(/^widgetId: /) },
    });
  });

  it('still applies the other decorators of a widget route', async () => {
    expect((await call(base, '/widget-editors/granted-widget')).status).toBe(401);
    const viewer = await call(base, '/widget-editors/granted-widget', callers.viewer);
    expect(viewer).toEqual({
      status: 403,
      body: { error: 'forbidden', message: expect.any(String) },
    });
    expect((await call(base, '/widget-editors/granted-widget', callers.editor)).status).toBe(200);
  });
});

describe.each(PLATFORMS)('@WidgetAccess without requireAuthForWidgets on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let calls: StoreCalls;
  let callers: Partial<Record<Caller, UserSession>>;

  beforeAll(async () => {
    ({ app, base, calls, callers } = await bootWidgetApp(
      { enabled: true, requireAuthForWidgets: false },
      platform,
    ));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is open to every caller, asking the store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Caller>('anonymous', 'nobody', 'granted'),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
        async (caller, id) => {
          resetCalls(calls);
          const response = await call(base, `/widget-pages/${id}`, callers[caller]);
          expect(response).toEqual({ status: 200, body: { widget: id } });
          expect(calls.checkPermission ?? 0).toBe(0);
          expect(writesOf(calls)).toBe(0);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('leaves the other decorators of a widget route in force', async () => {
    expect((await call(base, '/widget-editors/any')).status).toBe(401);
    expect((await call(base, '/widget-editors/any', callers.nobody)).status).toBe(403);
    expect((await call(base, '/widget-editors/any', callers.editor)).status).toBe(200);
  });
});

describe.each(PLATFORMS)('@WidgetAccess with auth disabled on %s', (platform) => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    ({ app, base } = await bootWidgetApp(
      { enabled: false, requireAuthForWidgets: true },
      platform,
    ));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is open', async () => {
    expect(await call(base, '/widget-pages/anything')).toEqual({
      status: 200,
      body: { widget: 'anything' },
    });
  });
});
