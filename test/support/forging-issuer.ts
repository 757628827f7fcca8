import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

/** What the token endpoint answers, built per test. */
export type TokenAnswer = (request: { nonce?: string }) => Promise<Record<string, unknown>>;

/**
 * An OpenID issuer on 127.0.0.1 whose every answer a test controls: discovery, its JWKS, a token
 * endpoint that returns whatever ID token the test forged, and a userinfo endpoint. The
 * authorization step is skipped: a test builds the callback URL itself.
 */
export class ForgingIssuer {
  issuer = '';
  /** The key the JWKS publishes (kid `good`). */
  signingKey!: CryptoKey;
  publicJwk!: JWK;
  /** Set by each test: the token endpoint's answer. */
  tokenAnswer: TokenAnswer = async () => ({});
  /** Set by each test: the userinfo endpoint's answer. */
  userinfo: Record<string, unknown> = {};
  private server?: Server;

  static async start(): Promise<ForgingIssuer> {
    const issuer = new ForgingIssuer();
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    issuer.signingKey = privateKey;
    issuer.publicJwk = { ...(await exportJWK(publicKey)), kid: 'good', alg: 'RS256', use: 'sig' };
    await issuer.listen();
    return issuer;
  }

  private async listen(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.answer(request.method ?? 'GET', request.url ?? '/', request).then(
        (body) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'server_error', error_description: String(error) }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  private async answer(method: string, path: string, request: NodeJS.ReadableStream) {
    let body = '';
    for await (const chunk of request) {
      body += String(chunk);
    }
    switch (path.split('?')[0]) {
      case '/.well-known/openid-configuration':
        return {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          jwks_uri: `${this.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        };
      case '/jwks':
        return { keys: [this.publicJwk] };
      case '/token':
        return method === 'POST'
          ? this.tokenAnswer({ nonce: new URLSearchParams(body).get('nonce') ?? undefined })
          : {};
      case '/userinfo':
        return this.userinfo;
      default:
        return {};
    }
  }

  /** An ID token signed with the published key, with these claims over good defaults. */
  async idToken(
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
    key: CryptoKey | Uint8Array = this.signingKey,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = Object.fromEntries(
      Object.entries({ iat: now, exp: now + 300, ...claims }).filter(
        ([, value]) => value !== undefined,
      ),
    );
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: 'good', ...header } as never)
      .sign(key);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
