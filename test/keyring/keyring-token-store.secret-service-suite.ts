// Run by keyring-secret-service.e2e-spec.ts in a Jest process of its own, whose environment
// points at a private Secret Service (a D-Bus session bus and gnome-keyring) that the spec started.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createOsKeyring } from '@livegate/state';
import { KeyringTokenStore, TokenCipher, TokenError } from '@livegate/oauth';
import { describeTokenStoreContract } from '@livegate/oauth/testing';
import { OidcTestProvider } from '../support/oidc-test-provider';
import { SecretServiceTestBus } from '../support/secret-service';
import { TS_SCRIPT_ENV, tsScriptArgs } from '../support/worker-process';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const SECRET = 'secret-service-token-store-secret-of-32-chars';
const cipher = new TokenCipher([SECRET]);

if (!process.env.DBUS_SESSION_BUS_ADDRESS?.includes('livegate-secret-service-')) {
  throw new Error('This suite runs only on the private Secret Service its spec starts');
}

const newService = () => `livegate-oauth-test-${randomBytes(6).toString('hex')}`;

/** Runs test/support/keyring-tokens.main.ts in a fresh Node process on the same Secret Service. */
async function inAnotherProcess(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    tsScriptArgs('test/support/keyring-tokens.main.ts', ...args),
    {
      cwd: ROOT,
      env: { ...process.env, ...TS_SCRIPT_ENV, TOKEN_SECRET: SECRET },
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

it('is a persisting keyring: the Secret Service, not the kernel keyring fallback', () => {
  expect(createOsKeyring(newService()).persists()).toBe(true);
});

describeTokenStoreContract('keyring on the Secret Service', async () => {
  const keyring = createOsKeyring(newService());
  const store = new KeyringTokenStore(keyring, cipher);
  return {
    store,
    raw: async (key) => keyring.get(`oauth:tokens:${key}`),
    overwrite: async (key, value) => keyring.set(`oauth:tokens:${key}`, value),
    // Each test has a service of its own, in a keyring that is removed with the bus's folder.
    teardown: async () => undefined,
  };
});

describe('KeyringTokenStore across processes', () => {
  it('keeps tokens saved by one process for the next one (a desktop app restarting)', async () => {
    const service = newService();
    expect(await inAnotherProcess('save', service, 'user-1', 'access-one')).toEqual({
      saved: 'user-1',
    });
    expect(await inAnotherProcess('load', service, 'user-1')).toEqual({
      tokens: expect.objectContaining({ accessToken: 'access-one', refreshToken: 'r-access-one' }),
    });
    // And this process, a third one, reads them too; another service does not.
    const here = new KeyringTokenStore(createOsKeyring(service), cipher);
    expect((await here.load('user-1'))?.accessToken).toBe('access-one');
    expect(await new KeyringTokenStore(createOsKeyring(newService()), cipher).load('user-1')).toBe(
      null,
    );
    await here.delete('user-1');
    expect(await inAnotherProcess('load', service, 'user-1')).toEqual({ tokens: null });
  });

  it('answers the same after hundreds of calls in one process (no D-Bus connection per call)', async () => {
    // The private bus keeps D-Bus's default limit of 256 connections per user.
    const store = new KeyringTokenStore(createOsKeyring(newService()), cipher);
    await store.save('user-5', { accessToken: 'access-five', tokenType: 'Bearer' });
    for (let call = 0; call < 400; call += 1) {
      expect((await store.load('user-5'))?.accessToken).toBe('access-five');
    }
    expect(await store.listKeys()).toEqual(['user-5']);
  });

  it('cannot read them under another token secret', async () => {
    const service = newService();
    const store = new KeyringTokenStore(createOsKeyring(service), cipher);
    await store.save('user-2', { accessToken: 'access-two', tokenType: 'Bearer' });
    const other = new KeyringTokenStore(
      createOsKeyring(service),
      new TokenCipher(['another-secret-of-at-least-32-characters']),
    );
    await expect(other.load('user-2')).rejects.toThrow(TokenError);
    await store.delete('user-2');
  });
});

describe('native login with the keyring token store', () => {
  let idp: OidcTestProvider;

  beforeAll(async () => {
    idp = await OidcTestProvider.start([
      {
        client_id: 'native-keyring',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
      },
    ]);
  }, 30_000);

  afterAll(async () => {
    await idp?.stop();
  });

  /** `npm run demo:native-login` in a process of its own, on this Secret Service. */
  async function demo(...args: string[]): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      tsScriptArgs('apps/demo/scripts/native-login.ts', ...args),
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...TS_SCRIPT_ENV,
          LIVEGATE_DEPLOY__TOKEN_SECRET: SECRET,
          LIVEGATE_OAUTH2__PROVIDER: 'oidc',
          LIVEGATE_OAUTH2__CLIENT_ID: 'native-keyring',
          LIVEGATE_OAUTH2__ISSUER_URL: idp.issuer,
          LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
          LIVEGATE_OAUTH2__SCOPES: 'openid email profile offline_access',
          LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND: 'keyring',
          NATIVE_LOGIN_HEADLESS: 'true',
        },
        timeout: 60_000,
      },
    );
    // Never a token: no long opaque or JWT-shaped string in what it prints.
    expect(stdout).not.toMatch(/[\w-]{32,}/);
    return stdout;
  }

  it('signs in in one process and is still signed in in the next; logout clears it for the one after', async () => {
    const first = await demo();
    expect(first).toMatch(/Signed in as Alice Example \(oidc\)\./);
    expect(first).toMatch(/The access token expires at \d{4}-\d\d-\d\dT/);

    const second = await demo();
    expect(second).toMatch(/Still signed in as alice \(tokens kept by the keyring token store\)\./);

    expect(await demo('--logout')).toMatch(/Signed out/);
    const keyring = createOsKeyring('livegate-oauth');
    expect(keyring.get('oauth:tokens:native:oidc')).toBeNull();
    // Signed out: the next run signs in afresh.
    expect(await demo()).toMatch(/Signed in as Alice Example/);
    await demo('--logout');
  }, 120_000);
});

// Last: only a prompt unlocks the keyring again.
describe('KeyringTokenStore on a locked keyring', () => {
  it('fails every call, in this process and a new one, instead of answering "logged out"', async () => {
    const service = newService();
    const store = new KeyringTokenStore(createOsKeyring(service), cipher);
    await store.save('user-3', { accessToken: 'access-three', tokenType: 'Bearer' });
    expect((await store.load('user-3'))?.accessToken).toBe('access-three');

    await SecretServiceTestBus.lockSessionKeyring();

    // Pinned to the Secret Service, a read is refused rather than answered "no entry".
    expect(() => createOsKeyring(service).get('oauth:tokens:user-3')).toThrow(
      /unlock prompt was dismissed/,
    );
    for (const call of [
      () => store.load('user-3'),
      () => store.exists('user-3'),
      () => store.delete('user-3'),
      () => store.listKeys(),
      () => store.load('never-saved'),
      () => store.save('user-4', { accessToken: 'access-four', tokenType: 'Bearer' }),
    ]) {
      await expect(call()).rejects.toThrow(TokenError);
    }
    expect(await inAnotherProcess('load', service, 'user-3')).toEqual({
      name: 'TokenError',
      error: expect.stringMatching(
        /OS keyring \(service livegate-oauth-test-\w+\) (failed|is not available)/,
      ),
    });
  });
});
