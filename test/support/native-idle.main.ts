// A CLI that signs in with NativeAuth and then has nothing left to do: it returns from main
// without closing anything. The background refresh must not keep it alive. Prints one JSON line.
import { MemoryTokenStore, NativeAuth, OidcProvider } from '@livegate/oauth';
import { followLogin } from './oidc-test-provider';

async function main(): Promise<void> {
  const issuer = process.env.ISSUER_URL!;
  const auth = new NativeAuth({
    provider: new OidcProvider({
      issuer,
      clientId: process.env.CLIENT_ID!,
      scopes: ['openid', 'offline_access'],
      allowInsecureIssuer: true,
    }),
    tokenStore: new MemoryTokenStore(),
    openBrowser: async (url) => {
      url.searchParams.set('prompt', 'consent');
      await (await fetch(await followLogin(url, { issuer }))).arrayBuffer();
    },
  });
  const { tokens } = await auth.login();
  process.stdout.write(
    `${JSON.stringify({ signedIn: auth.isAuthenticated, refreshable: tokens.refreshToken !== undefined })}\n`,
  );
}

void main();
