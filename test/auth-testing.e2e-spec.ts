import type { INestApplication } from '@nestjs/common';
import { createTestSession } from '@livegate/auth/testing';
import { authTestModule } from './support/auth-app';
import { expectError, getAnswer } from './support/http';
import { PLATFORMS, startApp } from './support/platform';

const SECRET = 'auth-testing-secret-of-at-least-32-characters';

describe.each(PLATFORMS)('createTestSession (@livegate/auth/testing) on %s', (platform) => {
  describe.each([
    ['secure cookies', true, '__Host-livegate_session'],
    ['plain cookies', false, 'livegate_session'],
  ])('with %s', (_label, secureCookies, cookieName) => {
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      ({ app, base } = await startApp(
        [authTestModule({ enabled: true, tokenSecret: SECRET, secureCookies })],
        platform,
      ));
    });

    afterAll(async () => {
      await app?.close();
    });

    it('makes a session with exactly the given roles, carried by a bearer header and by the cookie', async () => {
      const admin = await createTestSession(app, { userId: 'test-admin', roles: ['admin'] });
      const viewer = await createTestSession(app, { userId: 'test-viewer', roles: ['viewer'] });

      expect(admin.session.roles).toEqual(['admin']);
      expect(admin.cookie).toEqual({ cookie: `${cookieName}=${admin.session.sessionId}` });
      expect((await getAnswer(base, '/admin', admin.bearer)).status).toBe(200);
      expect((await getAnswer(base, '/admin', admin.cookie)).status).toBe(200);
      expectError(await getAnswer(base, '/admin', viewer.bearer), 403, 'forbidden');
      expectError(await getAnswer(base, '/admin', viewer.cookie), 403, 'forbidden');
      expectError(await getAnswer(base, '/admin'), 401, 'unauthorized');
    });
  });
});
