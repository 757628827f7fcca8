import { AuthenticationError } from '../oauth.errors';
import type { ProviderUserInfo } from './oauth-provider';
import { OAuth2Provider, subjectOf, type OAuth2ProviderOptions } from './oauth2.provider';

export interface CustomProviderOptions extends Omit<OAuth2ProviderOptions, 'name'> {
  /** Default `custom`. */
  name?: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Who signed in: GET with the access token, answering JSON. */
  userinfoUrl: string;
  /** RFC 7009 revocation, where the provider has it. */
  revocationUrl?: string;
  /** The identity the user's id is scoped to. Default: the authorize URL's origin. */
  issuer?: string;
  /** The userinfo field holding the user's stable id. Default `sub`, then `id`. */
  subjectField?: string;
  /** Whether the provider verifies the `email` it returns. Default `false`: never trusted for admin. */
  emailVerified?: boolean;
}

/** Any OAuth2 provider, by its authorize, token and userinfo URLs. */
export class CustomProvider extends OAuth2Provider {
  constructor(private readonly custom: CustomProviderOptions) {
    super(
      { ...custom, name: custom.name ?? 'custom' },
      {
        issuer: custom.issuer ?? originOf(custom.authorizeUrl, custom.name ?? 'custom'),
        authorizeUrl: custom.authorizeUrl,
        tokenUrl: custom.tokenUrl,
        ...(custom.revocationUrl ? { revocationUrl: custom.revocationUrl } : {}),
      },
    );
    if (!custom.userinfoUrl) {
      throw new AuthenticationError(
        `The ${this.name} provider needs a userinfo URL: without it no login can say who signed in`,
        { provider: this.name },
      );
    }
    this.checkUrl('userinfoUrl', custom.userinfoUrl);
  }

  protected async fetchUser(accessToken: string): Promise<ProviderUserInfo> {
    const info = (await this.getJson(this.custom.userinfoUrl, accessToken)) as Record<
      string,
      unknown
    >;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) {
      throw new AuthenticationError(`The ${this.name} userinfo is not an object`, {
        provider: this.name,
      });
    }
    const field = this.custom.subjectField;
    const subject = subjectOf(this.name, field ? info[field] : (info.sub ?? info.id));
    return {
      issuer: this.endpoints.issuer,
      subject,
      ...(typeof info.email === 'string' ? { email: info.email } : {}),
      emailVerified: this.custom.emailVerified === true && typeof info.email === 'string',
      ...(typeof info.name === 'string' ? { name: info.name } : {}),
      raw: Object.freeze({ ...info }),
    };
  }
}

function originOf(url: string, provider: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new AuthenticationError(`The ${provider} authorizeUrl is not a URL`, { provider });
  }
}
