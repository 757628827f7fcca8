import type { INestApplication } from '@nestjs/common';
import {
  io,
  type Socket as ClientSocket,
  type ManagerOptions,
  type SocketOptions,
} from 'socket.io-client';
import { AuthService } from '@livegate/auth';
import { SessionStore, type UserSession } from '@livegate/state';
import { connectedSockets, socketTestModule } from './support/socket-app';
import { PLATFORMS, startApp } from './support/platform';

const SECRET = 'socket-secret-0123456789-abcdefghijklmn';
const ALLOWED_ORIGIN = 'https://app.example';

describe.each(PLATFORMS)('socket.io authentication on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let admin: UserSession;
  let viewer: UserSession;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    ({ app, base } = await startApp(
      [
        socketTestModule({
          enabled: true,
          tokenSecret: SECRET,
          secureCookies: false,
          allowedOrigins: [ALLOWED_ORIGIN],
        }),
      ],
      platform,
    ));
    const sessions = app.get(SessionStore);
    admin = await sessions.createSession({ userId: 'admin-user', roles: ['admin'] });
    viewer = await sessions.createSession({ userId: 'viewer-user', roles: ['viewer'] });
  });

  afterEach(() => {
    clients.splice(0).forEach((client) => client.disconnect());
  });

  afterAll(async () => {
    await app?.close();
  });

  function connect(options: Partial<ManagerOptions & SocketOptions>): Promise<ClientSocket> {
    const client = io(base, {
      transports: ['websocket'],
      reconnection: false,
      timeout: 3000,
      ...options,
    });
    clients.push(client);
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('connect_error', (error) => reject(error));
    });
  }

  async function rejection(options: Partial<ManagerOptions & SocketOptions>) {
    const before = connectedSockets.length;
    const error = await connect(options).then(
      () => undefined,
      (failure: Error & { data?: unknown }) => failure,
    );
    expect(error).toBeDefined();
    expect(connectedSockets.length).toBe(before);
    return error!;
  }

  it('authenticates with the session cookie, auth.token or ?session=', async () => {
    for (const options of [
      {
        extraHeaders: { cookie: `livegate_session=${viewer.sessionId}`, origin: ALLOWED_ORIGIN },
      },
      { auth: { token: viewer.sessionId } },
      { query: { session: viewer.sessionId } },
    ]) {
      const client = await connect(options);
      expect(await client.timeout(3000).emitWithAck('whoami', {})).toEqual({
        userId: 'viewer-user',
      });
    }
  });

  it('puts the socket only in rooms derived from the server-side principal', async () => {
    const client = await connect({ auth: { token: viewer.sessionId } });
    const entry = connectedSockets.find((socket) => socket.id === client.id);
    expect(entry?.rooms.sort()).toEqual([client.id, 'user:viewer-user'].sort());
  });

  it('rejects anonymous, unknown, conflicting and malformed handshakes with unauthorized', async () => {
    for (const options of [
      {},
      { auth: { token: 'no-such-session' } },
      { auth: { token: 42 } },
      { auth: { token: viewer.sessionId }, query: { session: admin.sessionId } },
      {
        auth: { token: viewer.sessionId },
        extraHeaders: { cookie: `livegate_session=${admin.sessionId}`, origin: ALLOWED_ORIGIN },
      },
    ]) {
      const error = await rejection(options as Partial<ManagerOptions & SocketOptions>);
      expect(error.message).toBe('unauthorized');
      expect((error as { data?: unknown }).data).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('checks the Origin against the allow-list', async () => {
    const allowed = await connect({
      auth: { token: viewer.sessionId },
      extraHeaders: { origin: ALLOWED_ORIGIN },
    });
    expect(allowed.connected).toBe(true);
    const error = await rejection({
      auth: { token: viewer.sessionId },
      extraHeaders: { origin: 'https://evil.example' },
    });
    expect(error.message).toBe('unauthorized');
  });

  it('requires the widget token of exactly that widget for a widget connection', async () => {
    const tokens = app.get(AuthService);
    const client = await connect({
      auth: {
        token: viewer.sessionId,
        widgetId: 'chart-1',
        widgetToken: tokens.generateWidgetToken('chart-1'),
      },
    });
    expect(await client.timeout(3000).emitWithAck('whoami', {})).toEqual({
      userId: 'viewer-user',
      widgetId: 'chart-1',
    });
    for (const widgetToken of [tokens.generateWidgetToken('chart-2'), undefined, 'forged']) {
      const error = await rejection({
        auth: { token: viewer.sessionId, widgetId: 'chart-1', widgetToken },
      });
      expect(error.message).toBe('unauthorized');
    }
    // A session token is not a widget token.
    const error = await rejection({
      auth: {
        token: viewer.sessionId,
        widgetId: 'chart-1',
        widgetToken: tokens.generateSessionToken('viewer-user'),
      },
    });
    expect(error.message).toBe('unauthorized');
  });

  it('runs the AccessGuard on @SubscribeMessage handlers', async () => {
    const adminClient = await connect({ auth: { token: admin.sessionId } });
    expect(await adminClient.timeout(3000).emitWithAck('admin-only', {})).toEqual({ ok: true });

    const viewerClient = await connect({ auth: { token: viewer.sessionId } });
    const exception = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no exception event')), 3000);
      viewerClient.once('exception', (body: unknown) => {
        clearTimeout(timer);
        resolve(body);
      });
    });
    viewerClient.emit('admin-only', {});
    await expect(exception).resolves.toEqual({ error: 'forbidden', message: expect.any(String) });
  });
});
