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
  CurrentUser,
  getRequestAuth,
  Roles,
  SocketAuthenticator,
  type AuthModuleOptions,
  type ClaimsPrincipal,
} from '@livegate/auth';
import { StateModule } from '@livegate/state';

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
    const userId = getRequestAuth(client.data)?.principal.userId;
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

export function socketTestModule(auth: AuthModuleOptions): DynamicModule {
  @Module({
    imports: [StateModule.forRoot({ backend: 'memory' }), AuthModule.forRoot(auth)],
    providers: [ProbeGateway],
  })
  class SocketTestModule {}
  return { module: SocketTestModule };
}
