// npm run demo:native-login [-- --logout]
//
// Signs in the way a desktop or CLI app does (@livegate/oauth's NativeAuth): a callback server on
// 127.0.0.1, the provider's page in the browser, the tokens in the configured token store. With
// LIVEGATE_OAUTH2__TOKEN_STORE_BACKEND=keyring the next run finds the user still signed in.
// Prints the user's name and when the access token expires, never a token.
//
// Without LIVEGATE_OAUTH2__PROVIDER it starts the test OpenID provider of the test suites on
// 127.0.0.1 and signs in there as alice, following its pages over HTTP (no browser needed).
// NATIVE_LOGIN_HEADLESS=true does the same against a configured test provider.
import { decodeJwt } from 'jose';
import { createNativeAuth, OAuthError, type BrowserOpener } from '@livegate/oauth';
import { OidcTestProvider, followLogin } from '../../../test/support/oidc-test-provider';

const print = (line: string) => process.stdout.write(`${line}\n`);

/** A browser that follows the test provider's pages over HTTP, then opens the redirect. */
const headless =
  (issuer: string): BrowserOpener =>
  async (url) => {
    url.searchParams.set('prompt', 'consent');
    const callback = await followLogin(url, { issuer });
    await (await fetch(callback, { signal: AbortSignal.timeout(10_000) })).arrayBuffer();
  };

const expiryOf = (expiresAt: number | undefined) =>
  expiresAt === undefined ? 'an unknown time' : new Date(expiresAt).toISOString();

async function main(): Promise<number> {
  let idp: OidcTestProvider | undefined;
  const environment = process.env;
  if (!environment.LIVEGATE_OAUTH2__PROVIDER) {
    idp = await OidcTestProvider.start([
      {
        client_id: 'livegate-native-demo',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
      },
    ]);
    Object.assign(environment, {
      LIVEGATE_OAUTH2__PROVIDER: 'oidc',
      LIVEGATE_OAUTH2__CLIENT_ID: 'livegate-native-demo',
      LIVEGATE_OAUTH2__ISSUER_URL: idp.issuer,
      LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
      LIVEGATE_OAUTH2__SCOPES: 'openid email profile offline_access',
      NATIVE_LOGIN_HEADLESS: 'true',
    });
    print(
      `No LIVEGATE_OAUTH2__PROVIDER: signing in as alice at the test OpenID provider ${idp.issuer}`,
    );
  }
  const auth = createNativeAuth({
    ...(environment.NATIVE_LOGIN_HEADLESS === 'true'
      ? { openBrowser: headless(environment.LIVEGATE_OAUTH2__ISSUER_URL!) }
      : {}),
    onReauthRequired: () => print('The provider refused the refresh token: sign in again.'),
  });
  try {
    if (process.argv.includes('--logout')) {
      await auth.restore();
      await auth.logout();
      print(
        'Signed out: tokens revoked where the provider supports it, and removed from the store.',
      );
      return 0;
    }
    if (await auth.restore()) {
      await auth.getAccessToken();
      const tokens = await auth.tokenStore.load(auth.tokenKey);
      // The ID token kept from the login names the user (its own claims were checked then).
      const claims = tokens?.idToken ? decodeJwt(tokens.idToken) : {};
      const who = [claims.name, claims.email, claims.sub].find(
        (value) => typeof value === 'string',
      );
      print(
        `Still signed in${who ? ` as ${who}` : ''} (tokens kept by the ${auth.tokenStore.name} token store).`,
      );
      print(`The access token expires at ${expiryOf(tokens?.expiresAt)}.`);
      return 0;
    }
    print(`Opening the ${auth.provider.name} sign-in page...`);
    const result = await auth.login();
    print(
      `Signed in as ${result.user.name ?? result.user.email ?? result.user.subject} (${auth.provider.name}).`,
    );
    print(`The access token expires at ${expiryOf(result.tokens.expiresAt)}.`);
    return 0;
  } catch (error) {
    print(error instanceof OAuthError ? `${error.name}: ${error.message}` : String(error));
    return 1;
  } finally {
    auth.close();
    await idp?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    print(
      `The native login demo failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
