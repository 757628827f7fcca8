// A real OpenID provider (oidc-provider) for the OAuth suites, on 127.0.0.1 only. Run as a child
// process: `node idp.mjs '<json config>'`; it prints `READY <issuer>` once it listens.
//
// Config: { port?: number, clients: [...oidc-provider client metadata], ttl?: {...},
// tls?: { cert, key } }: with `tls` it serves HTTPS and its issuer is https://127.0.0.1:<port>.
// Login is headless: GET /interaction/:uid signs in the account named by the authorization
// request's `login_hint` (default `alice`) and grants what was asked, in one step.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import process from 'node:process';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');

const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Example' },
  bob: { email: 'bob@example.com', email_verified: false, name: 'Bob Example' },
};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const server = await new Promise((resolve) => {
  // Listen first to learn the port: the issuer must name it.
  const probe = config.tls ? createTlsServer(config.tls) : createServer();
  probe.listen(config.port ?? 0, '127.0.0.1', () => resolve(probe));
});
const { port } = server.address();
const issuer = `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: config.clients ?? [],
  jwks: { keys: [jwk] },
  cookies: { keys: ['livegate-test-idp-cookie-key'] },
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    backchannelLogout: { enabled: true },
  },
  ttl: {
    AccessToken: 60,
    IdToken: 60,
    RefreshToken: 3600,
    Session: 3600,
    Interaction: 600,
    Grant: 3600,
    ...config.ttl,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const claims = ACCOUNTS[id] ?? { email: `${id}@example.com`, email_verified: true, name: id };
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  // Back-channel logout posts to the RP on loopback: the provider's own fetch refuses special-use
  // addresses, which is right for a real provider and wrong for this test one.
  fetch: (url, options) => {
    delete options.dispatcher;
    return globalThis.fetch(url, options);
  },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (ctx.method !== 'GET' || !match) {
    return next();
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = details.params.login_hint || 'alice';
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  if (details.prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
  }
  const grantId = await grant.save();
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
});

server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
