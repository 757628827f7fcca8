import { OidcProvider, type OidcProviderOptions } from './oidc.provider';

/** Google's issuer. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface GoogleProviderOptions extends Omit<OidcProviderOptions, 'issuer' | 'name'> {
  name?: string;
  /** Ask for a refresh token (`access_type=offline`, which Google grants with `prompt=consent`). */
  offline?: boolean;
}

/** Sign in with Google: OpenID Connect at `https://accounts.google.com`. */
export class GoogleProvider extends OidcProvider {
  constructor(private readonly google: GoogleProviderOptions) {
    super({ ...google, name: google.name ?? 'google', issuer: GOOGLE_ISSUER });
  }

  protected override extraAuthorizationParameters(): Record<string, string> {
    return this.google.offline ? { access_type: 'offline', prompt: 'consent' } : {};
  }
}
