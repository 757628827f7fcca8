import type { IDToken } from 'openid-client';
import { AuthenticationError } from '../oauth.errors';
import { OidcProvider, type OidcProviderOptions } from './oidc.provider';

/** Microsoft Entra ID's authority. */
export const MICROSOFT_AUTHORITY = 'https://login.microsoftonline.com';
/** The tenant of personal Microsoft accounts. */
export const MICROSOFT_CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MicrosoftProviderOptions extends Omit<OidcProviderOptions, 'issuer' | 'name'> {
  name?: string;
  /** A tenant id (GUID or domain), or `common`, `organizations`, `consumers`. Default `common`. */
  tenantId?: string;
}

/**
 * What is wrong with verified Entra ID claims for a tenant setting, or `undefined`: a token's
 * issuer must be its own tenant's (`https://login.microsoftonline.com/{tid}/v2.0`), whatever
 * tenant the login went through; `organizations` takes no personal account, `consumers` only
 * personal accounts, and a named tenant only its own users.
 */
export function entraTenantProblem(
  tenant: string,
  claims: { iss?: unknown; tid?: unknown },
): string | undefined {
  const tid = claims.tid;
  if (typeof tid !== 'string' || !GUID.test(tid)) {
    return 'it names no tenant (tid)';
  }
  if (claims.iss !== `${MICROSOFT_AUTHORITY}/${tid}/v2.0`) {
    return "its issuer is not its own tenant's";
  }
  const consumer = tid.toLowerCase() === MICROSOFT_CONSUMER_TENANT;
  if (tenant === 'organizations' && consumer) {
    return 'a personal account, where only work or school accounts are accepted';
  }
  if (tenant === 'consumers' && !consumer) {
    return 'a work or school account, where only personal accounts are accepted';
  }
  if (GUID.test(tenant) && tid.toLowerCase() !== tenant.toLowerCase()) {
    return 'a user of another tenant';
  }
  return undefined;
}

/**
 * Sign in with Microsoft (Entra ID, and personal accounts through `common` or `consumers`). The
 * multi-tenant endpoints publish an issuer template; every token is held to its own tenant's
 * issuer. Entra ID has no RFC 7009 revocation: `revoke` answers `false`.
 */
export class MicrosoftProvider extends OidcProvider {
  readonly tenantId: string;

  constructor(options: MicrosoftProviderOptions) {
    const tenantId = options.tenantId ?? 'common';
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/.test(tenantId)) {
      throw new AuthenticationError('The microsoft tenant id is not a tenant id', {
        provider: options.name ?? 'microsoft',
      });
    }
    super({
      ...options,
      name: options.name ?? 'microsoft',
      issuer: `${MICROSOFT_AUTHORITY}/${tenantId}/v2.0`,
      scopes: options.scopes ?? ['openid', 'email', 'profile', 'offline_access'],
    });
    this.tenantId = tenantId;
  }

  protected override acceptsDiscoveredIssuer(discovered: string): boolean {
    return MULTI_TENANT.has(this.tenantId)
      ? discovered === `${MICROSOFT_AUTHORITY}/{tenantid}/v2.0`
      : discovered === this.issuer ||
          (GUID.test(this.tenantId) &&
            discovered === `${MICROSOFT_AUTHORITY}/${this.tenantId}/v2.0`);
  }

  protected override claimsProblem(claims: IDToken): string | undefined {
    return entraTenantProblem(this.tenantId, claims);
  }

  /** Entra ID offers front-channel logout only. */
  override async verifyLogoutToken(): Promise<never> {
    throw new AuthenticationError(`The ${this.name} provider has no back-channel logout`, {
      provider: this.name,
    });
  }

  override async revoke(): Promise<boolean> {
    return false;
  }
}
