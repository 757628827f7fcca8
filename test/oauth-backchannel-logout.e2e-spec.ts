import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { generateKeyPair } from 'jose';
import { AuthModule } from '@livegate/auth';
import { OAuthModule, OidcProvider, TokenStore } from '@livegate/oauth';
import { SessionStore, StateModule } from '@livegate/state';
import { freePort } from '@livegate/state/testing';
import { ForgingIssuer } from './support/forging-issuer';
import { OidcTestProvider } from './support/oidc-test-provider';
import { PLATFORMS, type Platform } from './support/platform';

const SECRET = 'backchannel-secret-of-at-least-32-characters';
const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

describe.each(PLATFORMS)('back-channel logout on %s', (platform: Platform) => {
  let idp: OidcTestProvider;
  let forging: ForgingIssuer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await OidcTestProvider.start([
      {
        client_id: 'bcl-app',
        client_secret: 'bcl-app-secret',
        redirect_uris: [`${base}/auth/test-idp/callback`],
        backchannel_logout_uri: `${base}/auth/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
    ]);
    forging = await ForgingIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        StateModule.forRoot({ backend: 'memory' }),
        AuthModule.forRoot({ enabled: true, tokenSecret: SECRET, secureCookies: false }),
        OAuthModule.forRoot({
          providers: [
            new OidcProvider({
              name: 'test-idp',
              issuer: idp.issuer,
              clientId: 'bcl-app',
              clientSecret: 'bcl-app-secret',
              allowInsecureIssuer: true,
            }),
            new OidcProvider({
              name: 'forging',
              issuer: forging.issuer,
              clientId: 'forging-client',
              allowInsecureIssuer: true,
            }),
          ],
          redirectUri: `${base}/auth/{provider}/callback`,
        }),
      ],
    }).compile();
    app =
      platform === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    await app.listen(port, '127.0.0.1');
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await idp?.stop();
    await forging?.stop();
  });

  async function post(token: unknown) {
    const response = await fetch(`${base}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(
        token === undefined ? {} : { logout_token: String(token) },
      ).toString(),
      signal: AbortSignal.timeout(5000),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  /** Signs alice in through the real provider; returns the app session and the provider's cookies. */
  async function signIn(loginHint = 'alice') {
    const start = await fetch(`${base}/auth/test-idp/login`, { redirect: 'manual' });
    const transaction = start.headers.getSetCookie()[0].split(';')[0];
    const authorization = new URL(start.headers.get('location')!);
    authorization.searchParams.set('login_hint', loginHint);
    const idpJar = new Map<string, string>();
    const callback = await idp.login(authorization, idpJar);
    const finished = await fetch(callback, {
      headers: { cookie: transaction },
      redirect: 'manual',
    });
    const sessionCookie = finished.headers
      .getSetCookie()
      .find((line) => line.startsWith('livegate_session='))!
      .split(';')[0];
    return { sessionCookie, idpJar, userId: `test-idp:${loginHint}` };
  }

  const status = async (cookie: string) =>
    (await (await fetch(`${base}/auth/status`, { headers: { cookie } })).json()) as {
      authenticated: boolean;
    };

  it("ends the app session when the user logs out at the provider (the provider's own logout token)", async () => {
    const alice = await signIn('alice');
    const other = await signIn('dave');
    expect(await status(alice.sessionCookie)).toMatchObject({ authenticated: true });

    const tokens = await app.get(TokenStore).load(alice.userId);
    await idp.logout(tokens!.idToken!, alice.idpJar);

    expect(await status(alice.sessionCookie)).toMatchObject({ authenticated: false });
    expect(await app.get(TokenStore).load(alice.userId)).toBeNull();
    // Another user's session is not touched.
    expect(await status(other.sessionCookie)).toMatchObject({ authenticated: true });
  });

  describe('forged logout tokens, one check each', () => {
    const now = () => Math.floor(Date.now() / 1000);
    let counter = 0;
    const good = (extra: Record<string, unknown> = {}) => ({
      iss: forging.issuer,
      aud: 'forging-client',
      iat: now(),
      jti: `jti-${(counter += 1)}-${Date.now()}`,
      events: EVENT,
      sub: 'eve',
      ...extra,
    });

    async function sessionOfEve() {
      return app.get(SessionStore).createSession({ userId: 'forging:eve', roles: ['viewer'] });
    }

    it('accepts a good token, once: the jti is not accepted again', async () => {
      const session = await sessionOfEve();
      const token = await forging.idToken(good(), { typ: 'logout+jwt' });
      expect(await post(token)).toEqual({ status: 200, body: { deleted: 1 } });
      expect(await app.get(SessionStore).getSession(session.sessionId)).toBeNull();
      expect(await post(token)).toMatchObject({ status: 400, body: { error: 'invalid_input' } });
    });

    it.each<[string, Record<string, unknown>, Record<string, unknown>?]>([
      ['no events', { events: undefined }],
      ['another event', { events: { 'http://example.com/other': {} } }],
      ['a nonce', { nonce: 'n' }],
      ['a wrong audience', { aud: 'another-client' }],
      ['no jti', { jti: undefined }],
      ['no iat', { iat: undefined }],
      ['an iat ten minutes old', { iat: now() - 600, exp: now() + 300 }],
      ['an exp in the past', { iat: now() - 100, exp: now() - 60 }],
      ['neither sub nor sid', { sub: undefined }],
      ['an ID token type', {}, { typ: 'JWT' }],
      ['alg none', {}, { alg: 'none' }],
    ])(
      'refuses a token with %s, deleting nothing',
      async (_label, claims, header = { typ: 'logout+jwt' }) => {
        const session = await sessionOfEve();
        const token =
          header.alg === 'none'
            ? `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good(claims))).toString('base64url')}.`
            : await forging.idToken(good(claims), header);
        expect(await post(token)).toMatchObject({ status: 400, body: { error: 'invalid_input' } });
        expect(await app.get(SessionStore).getSession(session.sessionId)).not.toBeNull();
      },
    );

    it('refuses a token signed by a key the issuer does not publish', async () => {
      const session = await sessionOfEve();
      const { privateKey } = await generateKeyPair('RS256');
      const token = await forging.idToken(good(), { typ: 'logout+jwt' }, privateKey);
      expect(await post(token)).toMatchObject({ status: 400 });
      expect(await app.get(SessionStore).getSession(session.sessionId)).not.toBeNull();
    });

    it('refuses a token from no configured issuer, and a request without a token', async () => {
      const token = await forging.idToken(good({ iss: 'https://evil.example' }), {
        typ: 'logout+jwt',
      });
      expect(await post(token)).toMatchObject({ status: 400 });
      expect(await post(undefined)).toMatchObject({ status: 400 });
      expect(await post('not.a.jwt')).toMatchObject({ status: 400 });
    });
  });
});
