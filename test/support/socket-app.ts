import { Module, UseGuards, type DynamicModule } from '@nestjs/common';
import {
  ConnectedSocket,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import {
  AccessGuard,
  AuthModule,
  authStateOf,
  CurrentUser,
  Roles,
  SocketAuthenticator,
  type AuthModuleOptions,
  type ClaimsPrincipal,
} from '@livegate/auth';
import { StateModule, type StateModuleOptions } from '@livegate/state';

/** Sockets whose connection handler ran, with the rooms the server put them in. */
export const connectedSockets: { id: string; rooms: string[] }[] = [];

// Nest applies global guards to HTTP routes only; gateways name the guard.
@UseGuards(AccessGuard)
@WebSocketGateway()
class ProbeGateway implements OnGatewayInit, OnGatewayConnection {
  constructor(private readonly authenticator: SocketAuthenticator) {}

  afterInit(server: Server): void {
    server.use(this.authenticator.middleware());
  }

  handleConnection(client: Socket): void {
    // Room membership comes only from the server-side principal.
    const userId = authStateOf(client)?.principal.userId;
    if (userId) {
      void client.join(`user:${userId}`);
    }
    connectedSockets.push({ id: client.id, rooms: [...client.rooms] });
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentUser() user: ClaimsPrincipal, @ConnectedSocket() client: Socket) {
    return { userId: user.userId, widgetId: (client.data as { widgetId?: string }).widgetId };
  }

  @Roles('admin')
  @SubscribeMessage('admin-only')
  adminOnly() {
    return { ok: true };
  }
}

export function socketTestModule(
  auth: AuthModuleOptions,
  state: StateModuleOptions = { backend: 'memory' },
): DynamicModule {
  @Module({
    imports: [StateModule.forRoot(state), AuthModule.forRoot(auth)],
    providers: [ProbeGateway],
  })
  class SocketTestModule {}
  return { module: SocketTestModule };
}

/** What a raw handshake got: connected, or `connect_error` with its data. */
export type HandshakeOutcome =
  { connected: true } | { connected: false; message: string; data: unknown };

const PACKET_SEPARATOR = '\x1e';

/**
 * A socket.io handshake spoken by hand over engine.io's polling transport, so that a test
 * controls every byte a client library would normalize: a repeated `?session=`, any JSON value
 * as `auth.token`, and exactly the headers given (no Origin unless named). Every request is
 * bounded by a timeout.
 */
export async function rawHandshake(
  base: string,
  {
    query = '',
    headers = {},
    auth,
  }: { query?: string; headers?: Record<string, string>; auth?: unknown },
): Promise<HandshakeOutcome> {
  const timeout = () => AbortSignal.timeout(3000);
  const open = await fetch(
    `${base}/socket.io/?EIO=4&transport=polling${query ? `&${query}` : ''}`,
    {
      headers,
      signal: timeout(),
    },
  );
  const opening = await open.text();
  if (!opening.startsWith('0')) {
    throw new Error(`engine.io did not open (${open.status}): ${opening}`);
  }
  const { sid } = JSON.parse(opening.slice(1)) as { sid: string };
  const session = `${base}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
  const post = (body: string) =>
    fetch(session, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain; charset=UTF-8' },
      signal: timeout(),
    }).then((response) => response.text());
  await post(`40${auth === undefined ? '' : JSON.stringify(auth)}`);
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const packets = (await (await fetch(session, { signal: timeout() })).text()).split(
        PACKET_SEPARATOR,
      );
      for (const packet of packets) {
        if (packet.startsWith('40')) {
          return { connected: true };
        }
        if (packet.startsWith('44')) {
          const error = JSON.parse(packet.slice(2)) as { message: string; data?: unknown };
          return { connected: false, message: error.message, data: error.data };
        }
      }
    }
    throw new Error('No answer to the socket.io CONNECT packet');
  } finally {
    await post('1').catch(() => undefined);
  }
}
