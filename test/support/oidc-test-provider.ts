import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { stopChildProcess } from '@livegate/state/testing';

/** oidc-provider client metadata, as the test provider registers it. */
export interface TestClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: string;
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** `native` allows loopback redirect URIs on any port (RFC 8252 §7.3). */
  application_type?: 'web' | 'native';
}

/**
 * A real OpenID provider (`test/support/oidc/idp.mjs`, oidc-provider) in a child process on
 * 127.0.0.1, with a headless login: `login(url)` plays the browser from the authorization URL to
 * the redirect back to the client.
 */
export class OidcTestProvider {
  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
    private readonly ca: string | undefined,
  ) {}

  /**
   * Starts a provider with these clients; waits (at most 15 s) until it listens. With `tls` (a
   * certificate and key, and the CA that `login` trusts for it) it serves HTTPS.
   */
  static async start(
    clients: TestClient[],
    ttl: Record<string, number> = {},
    tls?: { cert: string; key: string; ca: string },
  ): Promise<OidcTestProvider> {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'oidc', 'idp.mjs'),
        JSON.stringify({
          clients: clients.map(withDefaults),
          ttl,
          ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const issuer = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`The test OpenID provider did not start within 15 s: ${stderr}`));
      }, 15_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const ready = /READY (\S+)/.exec(stdout);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The test OpenID provider exited with ${code}: ${stderr}`));
      });
    });
    return new OidcTestProvider(child, issuer, tls?.ca);
  }

  async stop(): Promise<void> {
    await stopChildProcess(this.child);
  }

  /**
   * Follows the provider's redirects from an authorization URL, keeping its cookies, until the
   * browser would leave the provider; returns that URL (the client's callback with `code` and
   * `state`, or with `error`). At most 10 redirects, each bounded by 5 s.
   */
  login(authorizationUrl: URL | string, jar: Map<string, string> = new Map()): Promise<URL> {
    return followLogin(authorizationUrl, { issuer: this.issuer, jar, ca: this.ca });
  }

  /**
   * RP-initiated logout as a browser does it: the end-session page, then its confirmation form.
   * The provider sends its back-channel logout requests before it answers the confirmation.
   */
  async logout(idTokenHint: string, jar: Map<string, string>): Promise<void> {
    const cookie = () => ({
      cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
    });
    const page = await fetch(
      `${this.issuer}/session/end?id_token_hint=${encodeURIComponent(idTokenHint)}`,
      { headers: cookie(), redirect: 'manual', signal: AbortSignal.timeout(5000) },
    );
    const html = await page.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (!xsrf) {
      throw new Error(`The provider showed no logout form (${page.status})`);
    }
    const confirmed = await fetch(`${this.issuer}/session/end/confirm`, {
      method: 'POST',
      headers: { ...cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(10000),
    });
    await confirmed.arrayBuffer();
  }
}

function withDefaults(client: TestClient): TestClient {
  return {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...client,
  };
}

/**
 * A headless browser's login at the test provider of `issuer` (`OidcTestProvider.login`, usable
 * from any process): follows its redirects from an authorization URL, keeping its cookies, until
 * the browser would leave the provider, and returns that URL. At most 10 redirects, each bounded
 * by 5 s; over HTTPS it trusts `ca`.
 */
export async function followLogin(
  authorizationUrl: URL | string,
  { issuer, jar = new Map(), ca }: { issuer: string; jar?: Map<string, string>; ca?: string },
): Promise<URL> {
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 10; hop += 1) {
    if (url.origin !== new URL(issuer).origin) {
      return url;
    }
    const response = await get(
      url,
      jar.size ? { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') } : {},
      ca,
    );
    for (const cookie of response.setCookies) {
      const [pair] = cookie.split(';');
      const separator = pair.indexOf('=');
      jar.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    if (!response.location) {
      throw new Error(`The provider stopped the login at ${url.pathname} with ${response.status}`);
    }
    url = new URL(response.location, url);
  }
  throw new Error('The login took more than 10 redirects');
}

/** One GET without following redirects, bounded by 5 s; over HTTPS it trusts `ca`. */
async function get(
  url: URL,
  headers: Record<string, string>,
  ca: string | undefined,
): Promise<{ status: number; location: string | null; setCookies: string[] }> {
  if (url.protocol === 'http:') {
    const response = await fetch(url, {
      redirect: 'manual',
      headers,
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return {
      status: response.status,
      location: response.headers.get('location'),
      setCookies: response.headers.getSetCookie(),
    };
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(url, { headers, ca, timeout: 5000 }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          location: response.headers.location ?? null,
          setCookies: response.headers['set-cookie'] ?? [],
        }),
      );
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`No answer from ${url.origin}`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}
