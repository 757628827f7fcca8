import * as client from 'openid-client';
import { AuthenticationError, TokenError } from '../oauth.errors';
import type { ProviderUserInfo } from './oauth-provider';
import { OAuth2Provider, subjectOf, type OAuth2ProviderOptions } from './oauth2.provider';

export interface GitHubProviderOptions extends Omit<OAuth2ProviderOptions, 'name'> {
  name?: string;
  /** GitHub's site. Default `https://github.com` (GitHub Enterprise: its own). */
  webUrl?: string;
  /** GitHub's REST API. Default `https://api.github.com`. */
  apiUrl?: string;
}

interface GitHubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * GitHub's OAuth apps (and GitHub Apps' user tokens): no OpenID Connect. The identity is the
 * user's numeric id (a login name can be renamed and taken by someone else), the email the
 * verified primary one from the emails API, and revocation goes through the applications API
 * with basic auth. GitHub reports token errors with status 200: they are errors here.
 */
export class GitHubProvider extends OAuth2Provider {
  private readonly apiUrl: string;

  constructor(options: GitHubProviderOptions) {
    const webUrl = (options.webUrl ?? 'https://github.com').replace(/\/+$/, '');
    super(
      { ...options, name: options.name ?? 'github' },
      {
        issuer: webUrl,
        authorizeUrl: `${webUrl}/login/oauth/authorize`,
        tokenUrl: `${webUrl}/login/oauth/access_token`,
      },
    );
    this.apiUrl = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.checkUrl('apiUrl', this.apiUrl);
    // A 200 answer holding `error` is an OAuth error response: give it the status it means.
    this.config[client.customFetch] = async (url, init) => {
      const response = await fetch(url, init as RequestInit);
      if (response.status !== 200 || !url.startsWith(`${webUrl}/login/oauth/access_token`)) {
        return response;
      }
      const text = await response.text();
      let error: unknown;
      try {
        error = (JSON.parse(text) as { error?: unknown }).error;
      } catch {
        error = undefined;
      }
      return new Response(text, {
        status: typeof error === 'string' ? 400 : 200,
        headers: response.headers,
      });
    };
  }

  protected override readonly loginHintParameter = 'login';

  protected override defaultScopes(): readonly string[] {
    return ['read:user', 'user:email'];
  }

  private apiHeaders(): Record<string, string> {
    return {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'livegate-oauth',
    };
  }

  protected async fetchUser(accessToken: string): Promise<ProviderUserInfo> {
    const user = (await this.getJson(
      `${this.apiUrl}/user`,
      accessToken,
      this.apiHeaders(),
    )) as Record<string, unknown>;
    if (user === null || typeof user !== 'object') {
      throw new AuthenticationError(`The ${this.name} user API answered no user`, {
        provider: this.name,
      });
    }
    if (typeof user.id !== 'number') {
      throw new AuthenticationError(`The ${this.name} user has no numeric id`, {
        provider: this.name,
      });
    }
    const emails = (await this.getJson(
      `${this.apiUrl}/user/emails`,
      accessToken,
      this.apiHeaders(),
    )) as unknown;
    const verifiedPrimary = Array.isArray(emails)
      ? (emails as GitHubEmail[]).find(
          (entry) =>
            entry?.primary === true && entry.verified === true && typeof entry.email === 'string',
        )
      : undefined;
    const publicEmail = typeof user.email === 'string' ? user.email : undefined;
    return {
      issuer: this.endpoints.issuer,
      subject: subjectOf(this.name, user.id),
      ...(verifiedPrimary
        ? { email: verifiedPrimary.email as string, emailVerified: true }
        : { ...(publicEmail ? { email: publicEmail } : {}), emailVerified: false }),
      ...(typeof user.name === 'string'
        ? { name: user.name }
        : typeof user.login === 'string'
          ? { name: user.login }
          : {}),
      raw: Object.freeze({ ...user }),
    };
  }

  /** `DELETE /applications/{client_id}/token` with basic auth (the client secret is needed). */
  override async revoke(token: string): Promise<boolean> {
    const { clientId, clientSecret } = this.options;
    if (!clientSecret) {
      return false;
    }
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}/applications/${encodeURIComponent(clientId)}/token`, {
        method: 'DELETE',
        headers: {
          ...this.apiHeaders(),
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ access_token: token }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
    } catch (error) {
      throw new TokenError(`Revoking the ${this.name} token failed: the API could not be reached`, {
        provider: this.name,
        cause: error,
      });
    }
    if (response.status === 204 || response.status === 404) {
      // 404: the token was already gone.
      return response.status === 204;
    }
    throw new TokenError(
      `Revoking the ${this.name} token failed: the API answered ${response.status}`,
      {
        provider: this.name,
      },
    );
  }
}
