import { io, type Socket } from 'socket.io-client';
import { waitFor } from '@livegate/state/testing';

export const LIVE_PASSWORD = 'correct horse battery staple';

/** A JSON POST from the app's own origin, with a session cookie when given. */
export async function postJson(
  base: string,
  path: string,
  body: unknown,
  cookie?: string,
): Promise<{ status: number; body: Record<string, unknown>; cookie?: string }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: base,
      ...(cookie ? { cookie } : {}),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const setCookie = response.headers.getSetCookie()[0]?.split(';')[0];
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    ...(setCookie ? { cookie: setCookie } : {}),
  };
}

/** Registers a local user and returns its id. */
export async function registerUser(base: string, username: string): Promise<string> {
  const registered = await postJson(base, '/auth/local/register', {
    username,
    password: LIVE_PASSWORD,
  });
  if (registered.status !== 201) {
    throw new Error(
      `register ${username}: ${registered.status} ${JSON.stringify(registered.body)}`,
    );
  }
  return registered.body.user_id as string;
}

/** Signs a local user in; returns the session cookie (`name=value`). */
export async function signIn(base: string, username: string): Promise<string> {
  const login = await postJson(base, '/auth/local/login', { username, password: LIVE_PASSWORD });
  if (login.status !== 200 || !login.cookie) {
    throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.body)}`);
  }
  return login.cookie;
}

interface UpdateMessage {
  version: number;
  principal: { userId: string | null; roles: string[]; claims: { type: string; value: string }[] };
  regions: Record<string, { state: string; html: string }>;
}

interface NavigateMessage {
  to: string;
  reason: string;
}

/** One browser tab's live connection, as the browser script makes it, with what it received. */
export class LiveTab {
  readonly updates: UpdateMessage[] = [];
  readonly navigations: NavigateMessage[] = [];
  disconnectReason: string | undefined;

  private constructor(
    readonly name: string,
    readonly socket: Socket,
  ) {
    socket.on('auth:update', (message: UpdateMessage) => this.updates.push(message));
    socket.on('auth:navigate', (message: NavigateMessage) => this.navigations.push(message));
    socket.on('disconnect', (reason) => (this.disconnectReason = reason));
  }

  /** Opens a tab of `page` on `base` with the session cookie; resolves on its first update. */
  static async open(
    name: string,
    base: string,
    cookie: string,
    page = 'live',
    version = 0,
  ): Promise<LiveTab> {
    const socket = io(`${base}/live-auth`, {
      transports: ['websocket'],
      extraHeaders: { cookie, origin: base },
      auth: { page, version },
      reconnection: false,
      timeout: 5000,
    });
    const tab = new LiveTab(name, socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
    await tab.waitForUpdate(() => true, `${name}'s first update`);
    return tab;
  }

  get id(): string {
    return this.socket.id!;
  }

  get last(): UpdateMessage | undefined {
    return this.updates.at(-1);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Waits (at most 5 s) for an update that passes `test`; returns it. */
  async waitForUpdate(test: (message: UpdateMessage) => boolean, description?: string) {
    let found: UpdateMessage | undefined;
    await waitFor(() => (found = this.updates.find(test)) !== undefined, {
      timeoutMs: 5000,
      intervalMs: 10,
      description: description ?? `an update on ${this.name}`,
    });
    return found!;
  }

  /** Waits (at most `timeoutMs`) until the server sent this tab to `to` and disconnected it. */
  async waitForNavigation(timeoutMs = 5000): Promise<NavigateMessage> {
    await waitFor(() => this.navigations.length > 0 && !this.socket.connected, {
      timeoutMs,
      intervalMs: 10,
      description: `${this.name} navigated and disconnected`,
    });
    return this.navigations[0];
  }

  close(): void {
    this.socket.close();
  }
}
