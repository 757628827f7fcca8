import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  MemoryTokenStore,
  NativeAuth,
  NativeAuthModule,
  OidcProvider,
  TokenRefreshError,
  nativeLogin,
  type BrowserOpener,
  type NativeLoginFlow,
} from '@livegate/oauth';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep, waitFor } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';
import { TS_SCRIPT_ENV, tsScriptArgs } from './support/worker-process';

// The native (desktop and CLI) login against the real test OpenID provider, with an opener that
// plays the system browser over HTTP: the provider's login, then the redirect to the loopback
// server. The client is a public native client (no secret, any loopback port).

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

const NATIVE_CLIENT = {
  client_id: 'native-app',
  application_type: 'native' as const,
  token_endpoint_auth_method: 'none',
  redirect_uris: ['http://127.0.0.1/callback'],
};

interface Page {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET to the loopback server with the `Host` header given (fetch would not send another). */
function getPage(url: URL | string, host?: string): Promise<Page> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      target,
      { headers: { host: host ?? target.host }, timeout: 5000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer')));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Whether a TCP connection to host:port is accepted (bounded by 2 s). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function expectStaticPage(page: Page): void {
  expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  expect(page.headers['cache-control']).toBe('no-store');
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.body).not.toMatch(/<script/i);
}

describe('nativeLogin against a real OpenID provider', () => {
  let idp: OidcTestProvider;
  let provider: OidcProvider;

  beforeAll(async () => {
    idp = await OidcTestProvider.start([NATIVE_CLIENT], { AccessToken: 4 });
    provider = new OidcProvider({
      name: 'test-idp',
      issuer: idp.issuer,
      clientId: NATIVE_CLIENT.client_id,
      scopes: ['openid', 'email', 'profile', 'offline_access'],
      allowInsecureIssuer: true,
    });
  }, 30_000);

  afterAll(async () => {
    await idp?.stop();
  });

  /** Opens the browser's pages once the flow's result is known, so every page has arrived. */
  const visits: Promise<unknown>[] = [];
  const pagesSettled = () => Promise.allSettled(visits.splice(0));

  /** The browser: the provider's login, then the redirect it ends with. */
  const browser =
    (pages: Page[] = [], before?: (callback: URL) => Promise<void>): BrowserOpener =>
    (url) => {
      const visit = (async () => {
        url.searchParams.set('prompt', 'consent');
        const callback = await idp.login(url);
        await before?.(callback);
        pages.push(await getPage(callback));
      })();
      visits.push(visit);
      return visit;
    };

  it('signs in: PKCE S256, state and nonce, the user and tokens, a static success page, then the server closes', async () => {
    const pages: Page[] = [];
    let authorization: URL | undefined;
    const flow = nativeLogin({
      provider,
      openBrowser: (url) => {
        authorization = new URL(url);
        return browser(pages)(url);
      },
    });
    const result = await flow.result;
    await pagesSettled();

    expect(result).toMatchObject({
      success: true,
      flowId: flow.flowId,
      provider: 'test-idp',
      user: { subject: 'alice', email: 'alice@example.com', name: 'Alice Example' },
      userInfo: expect.objectContaining({ sub: 'alice', email: 'alice@example.com' }),
    });
    expect(result.tokens.accessToken).toEqual(expect.any(String));
    expect(result.tokens.refreshToken).toEqual(expect.any(String));
    const params = authorization!.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(params.get('nonce')).toMatch(/^[\w-]{20,}$/);
    const redirect = new URL(params.get('redirect_uri')!);
    expect(redirect.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(redirect.pathname).toBe('/callback');
    expect(flow.redirectUri).toBe(redirect.href);

    expect(pages).toHaveLength(1);
    expect(pages[0].status).toBe(200);
    expect(pages[0].body).toContain('Authentication complete');
    expectStaticPage(pages[0]);
    await waitFor(async () => !(await accepts('127.0.0.1', Number(redirect.port))), {
      timeoutMs: 2000,
      description: 'the callback server closed',
    });
  });

  it('listens on 127.0.0.1 only: not on ::1, not on the machine’s other addresses', async () => {
    let release!: () => void;
    const waiting = new Promise<void>((resolve) => (release = resolve));
    let flow!: NativeLoginFlow;
    const opened = new Promise<URL>((resolve) => {
      flow = nativeLogin({
        provider,
        openBrowser: async (url) => {
          resolve(url);
          await waiting;
        },
      });
    });
    const port = Number(new URL((await opened).searchParams.get('redirect_uri')!).port);

    expect(await accepts('127.0.0.1', port)).toBe(true);
    expect(await accepts('::1', port)).toBe(false);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal)
      .map((address) => address!.address);
    for (const address of others) {
      expect(await accepts(address, port)).toBe(false);
    }
    // The kernel's own table: one listening socket on the port, bound to 127.0.0.1.
    const hex = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = [
      ...readFileSync('/proc/net/tcp', 'utf8').split('\n'),
      ...readFileSync('/proc/net/tcp6', 'utf8').split('\n'),
    ]
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(`:${hex}`) && fields[3] === '0A')
      .map((fields) => fields[1]);
    expect(listening).toEqual([`0100007F:${hex}`]);

    flow.cancel();
    release();
    await expect(flow.result).rejects.toThrow(AuthFlowCancelled);
  });

  it('times out with AuthFlowTimeout naming the flow, provider and timeout, and closes its server', async () => {
    let port = 0;
    const flow = nativeLogin({
      provider,
      timeoutSeconds: 1,
      openBrowser: (url) => {
        port = Number(new URL(url.searchParams.get('redirect_uri')!).port);
      },
    });
    const failure = await flow.result.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthFlowTimeout);
    expect(failure).toMatchObject({
      code: 'auth_timeout',
      flowId: flow.flowId,
      provider: 'test-idp',
      timeout: 1,
    });
    expect(await accepts('127.0.0.1', port)).toBe(false);
  });

  it('ends with AuthFlowCancelled on cancel(), naming the flow, and closes its server', async () => {
    let flow!: NativeLoginFlow;
    const opened = new Promise<URL>((resolve) => {
      flow = nativeLogin({ provider, openBrowser: (url) => resolve(url) });
    });
    const port = Number(new URL((await opened).searchParams.get('redirect_uri')!).port);
    flow.cancel();
    const failure = await flow.result.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthFlowCancelled);
    expect(failure).toMatchObject({ flowId: flow.flowId, provider: 'test-idp' });
    await waitFor(async () => !(await accepts('127.0.0.1', port)), {
      description: 'the callback server closed',
    });
  });

  it('answers forged callbacks (wrong, missing or repeated state) with 400 and still completes with the real one', async () => {
    const pages: Page[] = [];
    const forged: Page[] = [];
    const flow = nativeLogin({
      provider,
      openBrowser: browser(pages, async (callback) => {
        const state = callback.searchParams.get('state')!;
        for (const query of [
          `code=forged-code&state=${encodeURIComponent(state.slice(1) + 'x')}`,
          'code=forged-code',
          `code=forged-code&state=${encodeURIComponent(state)}x`,
          'error=access_denied&state=wrong',
          `code=forged-code&state=${encodeURIComponent(`<script>${state}`)}`,
        ]) {
          forged.push(await getPage(`${callback.origin}${callback.pathname}?${query}`));
        }
      }),
    });
    const result = await flow.result;
    await pagesSettled();
    expect(result.user.subject).toBe('alice');
    for (const page of forged) {
      expect(page.status).toBe(400);
      expect(page.body).toContain('Not this sign-in');
      expect(page.body).not.toContain('forged-code');
      expect(page.body).not.toContain('<script>');
      expectStaticPage(page);
    }
    expect(pages[0].status).toBe(200);
  });

  it('answers another Host with 400 (DNS rebinding) and still completes with the real redirect', async () => {
    const pages: Page[] = [];
    const wrongHosts: Page[] = [];
    const flow = nativeLogin({
      provider,
      openBrowser: browser(pages, async (callback) => {
        for (const host of [
          'evil.example',
          `evil.example:${callback.port}`,
          `localhost:${callback.port}`,
          `127.0.0.1`,
          `[::1]:${callback.port}`,
          `127.0.0.1:${callback.port}.evil.example`,
          `127.0.0.1:${Number(callback.port) + 1}`,
        ]) {
          // The real code and state: only the Host is wrong.
          wrongHosts.push(await getPage(callback, host));
        }
      }),
    });
    const result = await flow.result;
    await pagesSettled();
    expect(result.user.subject).toBe('alice');
    for (const page of wrongHosts) {
      expect(page.status).toBe(400);
      expect(page.body).toContain('Wrong address');
      expectStaticPage(page);
    }
    expect(pages[0].status).toBe(200);
  });

  it('refuses other paths and methods without ending the flow', async () => {
    let flow!: NativeLoginFlow;
    const opened = new Promise<URL>((resolve) => {
      flow = nativeLogin({ provider, openBrowser: (url) => resolve(url) });
    });
    const redirect = new URL((await opened).searchParams.get('redirect_uri')!);
    expect((await getPage(`${redirect.origin}/`)).status).toBe(404);
    expect((await getPage(`${redirect.origin}/callback/x`)).status).toBe(404);
    const posted = await fetch(redirect, { method: 'POST' });
    expect(posted.status).toBe(405);
    flow.cancel();
    await expect(flow.result).rejects.toThrow(AuthFlowCancelled);
  });

  it('ends with AuthenticationError when the provider answers with an error, and creates no tokens', async () => {
    const pages: Page[] = [];
    const flow = nativeLogin({
      provider,
      openBrowser: (url) => {
        const redirect = new URL(url.searchParams.get('redirect_uri')!);
        const state = url.searchParams.get('state')!;
        const visit = getPage(
          `${redirect.href}?error=access_denied&error_description=<b>no</b>&state=${state}`,
        ).then((page) => pages.push(page));
        visits.push(visit);
      },
    });
    const failure = await flow.result.catch((error: unknown) => error);
    await pagesSettled();
    expect(failure).toBeInstanceOf(AuthenticationError);
    expect(failure).toMatchObject({ flowId: flow.flowId, provider: 'test-idp' });
    expect((failure as Error).message).toBe(
      'The test-idp sign-in was refused: the provider answered access_denied',
    );
    expect(pages[0].status).toBe(400);
    expect(pages[0].body).toContain('Sign-in failed');
    expect(pages[0].body).not.toContain('<b>');
    expectStaticPage(pages[0]);
    const port = Number(new URL(flow.redirectUri!).port);
    await waitFor(async () => !(await accepts('127.0.0.1', port)), {
      description: 'the callback server closed after the failure',
    });
  });

  it('ends with AuthenticationError when the browser cannot be opened', async () => {
    const flow = nativeLogin({
      provider,
      openBrowser: () => {
        throw new AuthenticationError('no browser here');
      },
    });
    await expect(flow.result).rejects.toMatchObject({
      message: 'no browser here',
      flowId: flow.flowId,
      provider: 'test-idp',
    });
  });

  describe('NativeAuth', () => {
    it('keeps the tokens, renews them in the background before expiry, and getAccessToken answers the fresh one', async () => {
      const store = new MemoryTokenStore();
      // Access tokens live 4 s here; the refresh runs 3 s before expiry.
      const auth = new NativeAuth({
        provider,
        tokenStore: store,
        refreshBufferSeconds: 3,
        openBrowser: browser(),
      });
      try {
        const result = await auth.login();
        expect(auth.isAuthenticated).toBe(true);
        expect(auth.user?.subject).toBe('alice');
        expect((await store.load(auth.tokenKey))?.accessToken).toBe(result.tokens.accessToken);
        await waitFor(
          async () => (await store.load(auth.tokenKey))?.accessToken !== result.tokens.accessToken,
          { timeoutMs: 5000, intervalMs: 50, description: 'a background refresh' },
        );
        const renewed = await store.load(auth.tokenKey);
        expect(renewed!.expiresAt!).toBeGreaterThan(result.tokens.expiresAt!);
        expect(await auth.getAccessToken()).toBe(renewed!.accessToken);
      } finally {
        auth.close();
      }
    });

    it('renews a token that lives less than the buffer halfway through its life, not in a loop', async () => {
      // 4 s tokens, the default 60 s buffer.
      const auth = new NativeAuth({ provider, openBrowser: browser() });
      const refresh = jest.spyOn(provider, 'refresh');
      try {
        await auth.login();
        await sleep(3500);
        expect(refresh.mock.calls.length).toBeGreaterThanOrEqual(1);
        expect(refresh.mock.calls.length).toBeLessThanOrEqual(2);
        expect(auth.isAuthenticated).toBe(true);
      } finally {
        refresh.mockRestore();
        auth.close();
      }
    });

    it('stops on invalid_grant after the refresh token was revoked: tokens deleted, onReauthRequired called', async () => {
      const store = new MemoryTokenStore();
      const reauth = jest.fn();
      const auth = new NativeAuth({
        provider,
        tokenStore: store,
        refreshBufferSeconds: 3,
        onReauthRequired: reauth,
        openBrowser: browser(),
      });
      try {
        const { tokens } = await auth.login();
        await provider.revoke(tokens.refreshToken!, 'refresh_token');
        await waitFor(() => reauth.mock.calls.length > 0, {
          timeoutMs: 5000,
          intervalMs: 50,
          description: 'onReauthRequired',
        });
        expect(auth.isAuthenticated).toBe(false);
        expect(await store.load(auth.tokenKey)).toBeNull();
        await expect(auth.getAccessToken()).rejects.toThrow(/sign in/);
      } finally {
        auth.close();
      }
    });

    it('restores a kept login, and logout revokes at the provider and clears the store', async () => {
      const store = new MemoryTokenStore();
      const first = new NativeAuth({ provider, tokenStore: store, openBrowser: browser() });
      const { tokens } = await first.login();
      first.close();

      const second = new NativeAuth({ provider, tokenStore: store });
      try {
        expect(second.isAuthenticated).toBe(false);
        expect(await second.restore()).toBe(true);
        expect(second.isAuthenticated).toBe(true);
        await second.logout();
        expect(second.isAuthenticated).toBe(false);
        expect(await store.load(second.tokenKey)).toBeNull();
        expect(await second.restore()).toBe(false);
        await expect(provider.refresh(tokens.refreshToken!)).rejects.toThrow(TokenRefreshError);
      } finally {
        second.close();
      }
    });

    it('never keeps a process alive on its own: a CLI that signed in and returned exits', async () => {
      const started = Date.now();
      const { stdout } = await run(
        process.execPath,
        tsScriptArgs('test/support/native-idle.main.ts'),
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            ...TS_SCRIPT_ENV,
            ISSUER_URL: idp.issuer,
            CLIENT_ID: NATIVE_CLIENT.client_id,
          },
          timeout: 20_000,
        },
      );
      expect(JSON.parse(stdout)).toEqual({ signedIn: true, refreshable: true });
      // Its access token lives 4 s: a refresh timer that held the process would keep it past that.
      expect(Date.now() - started).toBeLessThan(15_000);
    }, 30_000);

    it('is injectable: NativeAuthModule configured by LIVEGATE_OAUTH2__, its refresh stopped when the app closes', async () => {
      const saved = { ...process.env };
      Object.assign(process.env, {
        LIVEGATE_OAUTH2__PROVIDER: 'oidc',
        LIVEGATE_OAUTH2__CLIENT_ID: NATIVE_CLIENT.client_id,
        LIVEGATE_OAUTH2__ISSUER_URL: idp.issuer,
        LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
        LIVEGATE_OAUTH2__SCOPES: 'openid email profile offline_access',
        LIVEGATE_OAUTH2__REFRESH_BUFFER_SECONDS: '3',
        LIVEGATE_OAUTH2__AUTH_TIMEOUT_SECONDS: '30',
      });
      const moduleRef = await Test.createTestingModule({
        imports: [NativeAuthModule.forRoot({ openBrowser: browser() })],
      }).compile();
      const app = await moduleRef.init();
      try {
        const auth = app.get(NativeAuth);
        const { tokens } = await auth.login();
        expect(auth.user?.subject).toBe('alice');
        expect(await auth.getAccessToken()).toBe(tokens.accessToken);
        await app.close();
        // The refresh would have run 1 s after the login: after close() it does not.
        await sleep(1800);
        expect((await auth.tokenStore.load(auth.tokenKey))?.accessToken).toBe(tokens.accessToken);
      } finally {
        await app.close();
        process.env = saved;
      }
    });

    it('runs one login at a time, and cancel() ends it', async () => {
      const auth = new NativeAuth({ provider, openBrowser: () => undefined });
      const first = auth.login();
      const second = auth.login();
      expect(auth.currentFlow).toBeDefined();
      auth.cancel();
      await expect(first).rejects.toThrow(AuthFlowCancelled);
      await expect(second).rejects.toThrow(AuthFlowCancelled);
      expect(auth.isAuthenticated).toBe(false);
      auth.close();
    });
  });
});
