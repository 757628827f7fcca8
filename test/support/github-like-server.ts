import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A GitHub user as the user API answers it. */
export interface GitHubLikeUser {
  id?: unknown;
  login?: string;
  name?: string;
  email?: string | null;
}

export interface GitHubLikeEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * A loopback server with GitHub's OAuth and REST response shapes: an authorize step that
 * redirects at once, a token endpoint that reports errors with status 200, `/api/user` with a
 * numeric id, `/api/user/emails`, and token revocation through the applications API with basic
 * auth. Only what the OAuth suites use; no network beyond 127.0.0.1.
 */
export class GitHubLikeServer {
  url = '';
  user: GitHubLikeUser = {
    id: 583231,
    login: 'octocat',
    name: 'The Octocat',
    email: 'public@example.com',
  };
  emails: GitHubLikeEmail[] = [
    { email: 'octocat@example.com', primary: true, verified: true },
    { email: 'other@example.com', primary: false, verified: true },
  ];
  /** Answer the next token request with this OAuth error (status 200, GitHub style). */
  nextTokenError?: string;
  readonly revoked: string[] = [];
  private readonly codes = new Map<string, { challenge: string; redirectUri: string }>();
  private readonly tokens = new Set<string>();
  private server?: Server;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  static async start(clientId: string, clientSecret: string): Promise<GitHubLikeServer> {
    const server = new GitHubLikeServer(clientId, clientSecret);
    server.server = createServer((request, response) => void server.handle(request, response));
    await new Promise<void>((resolve) => server.server!.listen(0, '127.0.0.1', resolve));
    server.url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    return server;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) {
      body += String(chunk);
    }
    const url = new URL(request.url ?? '/', this.url);
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];

    if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const code = randomBytes(10).toString('hex');
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      this.codes.set(code, {
        challenge: url.searchParams.get('code_challenge') ?? '',
        redirectUri,
      });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      target.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: target.href });
      response.end();
      return;
    }
    if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(body);
      const error = this.tokenError(form);
      if (error) {
        // GitHub answers token errors with 200.
        json(200, { error, error_description: 'The code passed is incorrect or expired.' });
        return;
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      this.tokens.add(token);
      json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      return;
    }
    if (url.pathname.startsWith('/api/') && request.method === 'GET') {
      if (!bearer || !this.tokens.has(bearer)) {
        json(401, { message: 'Bad credentials' });
        return;
      }
      if (url.pathname === '/api/user') {
        json(200, this.user);
        return;
      }
      if (url.pathname === '/api/user/emails') {
        json(200, this.emails);
        return;
      }
    }
    if (
      request.method === 'DELETE' &&
      url.pathname === `/api/applications/${this.clientId}/token`
    ) {
      const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
      if (request.headers.authorization !== `Basic ${basic}`) {
        json(401, { message: 'Requires authentication' });
        return;
      }
      const token = (JSON.parse(body || '{}') as { access_token?: string }).access_token ?? '';
      if (!this.tokens.delete(token)) {
        json(404, { message: 'Not Found' });
        return;
      }
      this.revoked.push(token);
      response.writeHead(204);
      response.end();
      return;
    }
    json(404, { message: 'Not Found' });
  }

  private tokenError(form: URLSearchParams): string | undefined {
    if (this.nextTokenError) {
      const error = this.nextTokenError;
      this.nextTokenError = undefined;
      return error;
    }
    if (
      form.get('client_id') !== this.clientId ||
      form.get('client_secret') !== this.clientSecret
    ) {
      return 'incorrect_client_credentials';
    }
    const code = this.codes.get(form.get('code') ?? '');
    this.codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!code || code.challenge !== challenge || code.redirectUri !== form.get('redirect_uri')) {
      return 'bad_verification_code';
    }
    return undefined;
  }
}
