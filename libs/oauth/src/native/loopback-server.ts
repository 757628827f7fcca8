import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError } from '../oauth.errors';
import { pageHeaders, staticPage } from '../routes/response-headers';

/** The only address the callback server listens on (RFC 8252 §7.3, §8.3). */
export const LOOPBACK_ADDRESS = '127.0.0.1';

/** What the server answers a request with: a static page, and whether the flow ends with it. */
export interface CallbackAnswer {
  status: number;
  title: string;
  message: string;
  /** The flow is over: the server closes once this page is sent. */
  final?: boolean;
}

/** Decides the answer to a request for the callback path from this host. */
export type CallbackHandler = (callback: URL) => Promise<CallbackAnswer> | CallbackAnswer;

/** Seconds a browser has to send a request's headers and body. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The ephemeral HTTP server a native login's redirect lands on: `127.0.0.1` only, on a random
 * port by default. It answers only `GET <callbackPath>` sent to `127.0.0.1:<port>` (a `Host`
 * naming anything else, as a DNS-rebinding page would, gets 400); every answer is a static page
 * with a strict content security policy, `no-store` and no referrer.
 */
export class LoopbackCallbackServer {
  private handler: CallbackHandler | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly callbackPath: string,
  ) {
    server.on('request', (request, response) => void this.answer(request, response));
  }

  /** Listens on 127.0.0.1 (`port` 0: a free one the system picks). */
  static async listen(port = 0, callbackPath = '/callback'): Promise<LoopbackCallbackServer> {
    if (!/^\/[\w/-]*$/.test(callbackPath)) {
      throw new AuthenticationError(
        `The callback path ${JSON.stringify(callbackPath)} is not a plain path`,
      );
    }
    const server = createServer({
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: REQUEST_TIMEOUT_MS,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new AuthenticationError(
            `The sign-in callback server could not listen on ${LOOPBACK_ADDRESS}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
            { cause: error },
          ),
        ),
      );
      server.listen({ port, host: LOOPBACK_ADDRESS, exclusive: true }, () => resolve());
    });
    return new LoopbackCallbackServer(server, (server.address() as AddressInfo).port, callbackPath);
  }

  /** The redirect URI to send to the provider: `http://127.0.0.1:<port><callbackPath>`. */
  get redirectUri(): string {
    return `http://${this.host}${this.callbackPath}`;
  }

  private get host(): string {
    return `${LOOPBACK_ADDRESS}:${this.port}`;
  }

  onCallback(handler: CallbackHandler): void {
    this.handler = handler;
  }

  /** Stops listening and drops every open connection. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = await this.decide(request).catch((): CallbackAnswer => ({
      status: 500,
      title: 'Sign-in failed',
      message: 'Something went wrong. Return to the app and try again.',
      final: false,
    }));
    pageHeaders(response);
    response.setHeader('Connection', 'close');
    response.statusCode = reply.status;
    response.end(staticPage(reply.title, reply.message), () => {
      if (reply.final) {
        void this.close();
      }
    });
  }

  private async decide(request: IncomingMessage): Promise<CallbackAnswer> {
    if (this.closing) {
      return {
        status: 410,
        title: 'Sign-in finished',
        message: 'This sign-in is over. You can close this window.',
      };
    }
    if (request.headers.host !== this.host) {
      return {
        status: 400,
        title: 'Wrong address',
        message: 'This page only answers at its own address.',
      };
    }
    const url = new URL(request.url ?? '/', `http://${this.host}`);
    if (url.pathname !== this.callbackPath) {
      return { status: 404, title: 'Not found', message: 'There is nothing here.' };
    }
    if (request.method !== 'GET') {
      return {
        status: 405,
        title: 'Not allowed',
        message: 'The sign-in callback is a GET request.',
      };
    }
    if (!this.handler) {
      return {
        status: 503,
        title: 'Not ready',
        message: 'The app is not waiting for a sign-in yet.',
      };
    }
    return this.handler(url);
  }
}
