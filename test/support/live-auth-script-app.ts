import { Controller, Get, Module, Res, type DynamicModule } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer, type OnGatewayConnection } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { ClaimsPrincipal, PolicyEngine, setReplyHeader } from '@livegate/auth';
import {
  AuthRegions,
  LIVE_AUTH_NAMESPACE,
  LIVE_AUTH_SCRIPT_PATH,
  LiveAuthAssetsController,
  html,
  type LiveHandshake,
} from '@livegate/live-auth';

/** The strict policy of every page here: nothing inline, nothing from elsewhere. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'";

/** The principal the demo page is first rendered for: a viewer whose name is markup. */
export const FIRST_VIEWER = new ClaimsPrincipal({
  isAuthenticated: true,
  userId: 'carol',
  name: '<img src=x id=injected>',
  claims: [{ type: 'role', value: 'viewer' }],
});

/** The regions of the demo page: one gated by a policy, one for anyone signed in. */
export function demoRegions(): AuthRegions {
  return new AuthRegions(
    new PolicyEngine().addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] }),
  )
    .define('admin-panel', {
      policy: 'AdminOnly',
      allowed: '<p class="admin">Admin-only panel.</p>',
      denied: '<p class="ask">Request access from an admin.</p>',
    })
    .define('greeting', {
      allowed: (principal) => html`<p class="hello">Hello, ${principal.name}</p>`,
      denied: '<p>Hello, guest</p>',
    });
}

/**
 * A stand-in for the live gateway, on the live-auth namespace: it records every handshake `auth`
 * and every event a client emits, and lets the test push messages and cut connections.
 */
@WebSocketGateway({ namespace: LIVE_AUTH_NAMESPACE })
export class ProbeLiveGateway implements OnGatewayConnection {
  @WebSocketServer() namespace!: Namespace;
  readonly handshakes: LiveHandshake[] = [];
  readonly clientEvents: string[] = [];

  handleConnection(client: Socket): void {
    this.handshakes.push(client.handshake.auth as LiveHandshake);
    client.onAny((event: string) => this.clientEvents.push(event));
  }

  sockets(): Socket[] {
    return [...this.namespace.sockets.values()];
  }
}

function pageHeaders(reply: unknown): void {
  setReplyHeader(reply, 'Content-Security-Policy', STRICT_CSP);
  setReplyHeader(reply, 'Content-Type', 'text/html; charset=utf-8');
  setReplyHeader(reply, 'Cache-Control', 'no-store');
}

const document = (title: string, body: string): string =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body>${body}</body></html>\n`;

@Controller()
class PagesController {
  private readonly regions = demoRegions();

  /** The live page: two regions, socket.io's client, then the live-auth script. */
  @Get('demo')
  async demo(@Res({ passthrough: true }) reply: unknown): Promise<string> {
    pageHeaders(reply);
    const rendered = await this.regions.renderAll(['admin-panel', 'greeting'], FIRST_VIEWER);
    return document(
      'Demo',
      '<h1>Demo</h1>' +
        this.regions.element('admin-panel', rendered['admin-panel']) +
        this.regions.element('greeting', rendered.greeting) +
        '<script src="/socket.io/socket.io.js"></script>' +
        `<script src="${LIVE_AUTH_SCRIPT_PATH}" data-page="demo" data-version="3"></script>`,
    );
  }

  @Get('login')
  login(@Res({ passthrough: true }) reply: unknown): string {
    pageHeaders(reply);
    return document('Sign in', '<h1 id="login">Sign in</h1>');
  }

  /** A page breaking the policy on purpose, proving that violations are seen. */
  @Get('csp-probe')
  probe(@Res({ passthrough: true }) reply: unknown): string {
    pageHeaders(reply);
    return document('Probe', '<script>document.title = "inline ran";</script>');
  }
}

export function liveAuthScriptModule(): DynamicModule {
  @Module({
    controllers: [LiveAuthAssetsController, PagesController],
    providers: [ProbeLiveGateway],
  })
  class LiveAuthScriptModule {}
  return { module: LiveAuthScriptModule };
}
