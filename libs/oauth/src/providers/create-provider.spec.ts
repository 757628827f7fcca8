import { resolveOAuthSettings, type OAuthSettings } from '../oauth.config';
import { AuthenticationError } from '../oauth.errors';
import { createProviderFromSettings } from './create-provider';
import { CustomProvider } from './custom.provider';
import { GitHubProvider } from './github.provider';
import { GOOGLE_ISSUER, GoogleProvider } from './google.provider';
import {
  entraTenantProblem,
  MICROSOFT_CONSUMER_TENANT,
  MicrosoftProvider,
} from './microsoft.provider';
import { OidcProvider } from './oidc.provider';

const settings = (env: Record<string, string>): OAuthSettings => resolveOAuthSettings({}, env);

describe('createProviderFromSettings', () => {
  it.each([
    ['google', GoogleProvider],
    ['github', GitHubProvider],
    ['microsoft', MicrosoftProvider],
  ] as const)('builds the %s provider from LIVEGATE_OAUTH2__*', (type, kind) => {
    const provider = createProviderFromSettings(
      settings({ PROVIDER: type, CLIENT_ID: 'c', CLIENT_SECRET: 's' }),
    );
    expect(provider).toBeInstanceOf(kind);
    expect(provider.name).toBe(type);
  });

  it('builds an oidc provider on its issuer and a custom one on its URLs', () => {
    const oidc = createProviderFromSettings(
      settings({ PROVIDER: 'oidc', CLIENT_ID: 'c', ISSUER_URL: 'https://id.example.com' }),
    );
    expect(oidc).toBeInstanceOf(OidcProvider);
    expect((oidc as OidcProvider).issuer).toBe('https://id.example.com');
    const custom = createProviderFromSettings(
      settings({
        PROVIDER: 'custom',
        CLIENT_ID: 'c',
        AUTHORIZE_URL: 'https://acme.example/authorize',
        TOKEN_URL: 'https://acme.example/token',
        USERINFO_URL: 'https://acme.example/me',
      }),
    );
    expect(custom).toBeInstanceOf(CustomProvider);
    expect(custom.kind).toBe('oauth2');
  });

  it('stops with AuthenticationError for an unknown type or a missing URL', () => {
    const base = {
      usePkce: true,
      tokenStoreBackend: 'memory',
      authTimeoutSeconds: 120,
      refreshBufferSeconds: 60,
      tenantId: 'common',
      stateMaxAgeSeconds: 600,
      allowInsecureIssuer: false,
    } as const;
    expect(() =>
      createProviderFromSettings({ ...base, provider: 'facebook' as never, clientId: 'c' }),
    ).toThrow(/Unknown OAuth provider type "facebook"/);
    expect(() => createProviderFromSettings({ ...base })).toThrow(AuthenticationError);
    expect(() => createProviderFromSettings({ ...base, provider: 'oidc', clientId: 'c' })).toThrow(
      /needs LIVEGATE_OAUTH2__ISSUER_URL/,
    );
    expect(() =>
      createProviderFromSettings({
        ...base,
        provider: 'custom',
        clientId: 'c',
        authorizeUrl: 'https://a.example/authorize',
        tokenUrl: 'https://a.example/token',
      }),
    ).toThrow(/needs LIVEGATE_OAUTH2__USERINFO_URL/);
  });

  it('gives each provider its issuer', () => {
    expect(new GoogleProvider({ clientId: 'c' }).issuer).toBe(GOOGLE_ISSUER);
    expect(new MicrosoftProvider({ clientId: 'c' }).issuer).toBe(
      'https://login.microsoftonline.com/common/v2.0',
    );
    expect(
      new MicrosoftProvider({ clientId: 'c', tenantId: 'contoso.onmicrosoft.com' }).issuer,
    ).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0');
    expect(() => new MicrosoftProvider({ clientId: 'c', tenantId: '../evil' })).toThrow(
      /not a tenant id/,
    );
  });
});

describe('Entra ID tenant rules', () => {
  const work = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const issuerOf = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;

  it.each([
    ['common', work],
    ['common', MICROSOFT_CONSUMER_TENANT],
    ['organizations', work],
    ['consumers', MICROSOFT_CONSUMER_TENANT],
    [work, work],
    ['contoso.onmicrosoft.com', work],
  ])('with tenant %s accepts a token of tenant %s issued by its own tenant', (tenant, tid) => {
    expect(entraTenantProblem(tenant, { tid, iss: issuerOf(tid) })).toBeUndefined();
  });

  it.each([
    [
      'common',
      { tid: work, iss: issuerOf(MICROSOFT_CONSUMER_TENANT) },
      /issuer is not its own tenant/,
    ],
    ['common', { tid: work, iss: 'https://login.microsoftonline.com/{tenantid}/v2.0' }, /issuer/],
    ['common', { iss: issuerOf(work) }, /names no tenant/],
    ['common', { tid: 'not-a-guid', iss: issuerOf('not-a-guid') }, /names no tenant/],
    [
      'organizations',
      { tid: MICROSOFT_CONSUMER_TENANT, iss: issuerOf(MICROSOFT_CONSUMER_TENANT) },
      /personal account/,
    ],
    ['consumers', { tid: work, iss: issuerOf(work) }, /work or school/],
    [
      MICROSOFT_CONSUMER_TENANT.replace(/^9/, '8'),
      { tid: work, iss: issuerOf(work) },
      /another tenant/,
    ],
  ])('with tenant %s refuses %j', (tenant, claims, problem) => {
    expect(entraTenantProblem(tenant, claims)).toMatch(problem);
  });
});
