import {
  Inject,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { ClaimsPrincipal, SocketAuthenticator, authStateOf } from '@livegate/auth';
import {
  SessionStore,
  StateRedisConnection,
  type Unsubscribe,
  type UserSession,
} from '@livegate/state';
import type { Namespace, Socket } from 'socket.io';
import { AuthChannel } from '../channel/auth-channel';
import { sessionKeyOf, type AuthEvent } from '../channel/auth-event';
import { AuthRegions } from '../regions/auth-regions';
import { LIVE_NAME_PATTERN } from '../regions/live-names';
import { LivePages } from '../regions/live-pages';
import type { UserRecord } from '../users/user-record';
import { UserStore } from '../users/user-store';
import { LiveConnections, type LiveSession, type LiveSocket } from './live-connections';
import {
  AUTH_NAVIGATE_EVENT,
  AUTH_UPDATE_EVENT,
  LIVE_AUTH_NAMESPACE,
  type AuthNavigateMessage,
  type AuthUpdateMessage,
  type LivePrincipal,
  type RenderedRegion,
} from '../live-auth.protocol';
import { LIVE_AUTH_LIVE_OPTIONS, type ResolvedLiveAuthOptions } from './live-auth.options';
import { installRedisAdapter } from './redis-adapter';
import { Reconciler } from './reconciler';
import { claimsOfSnapshot, principalWithClaims, sameClaims } from './principals';

/** Repairs of one snapshot in one pass while its row keeps moving; the next pass goes on. */
const MAX_REPAIRS = 3;
/** The longest delay `setTimeout` takes; later expiries are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The principal as the browser gets it. */
export function livePrincipalOf(principal: ClaimsPrincipal): LivePrincipal {
  return {
    isAuthenticated: principal.isAuthenticated,
    userId: principal.userId,
    name: principal.name,
    claims: principal.claims.map(({ type, value }) => ({ type, value })),
    roles: [...principal.roles],
  };
}

/** The rooms a principal's socket belongs in: derived only from the server-side principal. */
export function roomsOf(session: LiveSession): Set<string> {
  return new Set([
    `user:${session.userId}`,
    `session:${session.key}`,
    ...session.principal.roles.map((role) => `role:${role}`),
  ]);
}

/**
 * The live-auth socket.io gateway (namespace `/live-auth`). A socket authenticates at the
 * handshake (`SocketAuthenticator`: cookie, bearer, Origin check); it joins the rooms
 * `user:<id>`, `session:<key>` and `role:<role>` of its server-side principal, re-synced on every
 * change. When the user's claims change (`AuthActions`, through `AuthChannel`, on every worker)
 * each of the user's sockets gets `auth:update` with the new principal, its `claimsVersion` and
 * its page's regions re-rendered; when the session ends, expires, or the page's guard no longer
 * passes, `auth:navigate` to the login redirect, then a disconnect. The gateway listens to no
 * client event: a client cannot update its principal or choose a room.
 *
 * Delivery over pub/sub is at most once, so the gateway also reconciles its sockets against the
 * stores: on a timer, after Redis comes back, and when a tab connects with an older version.
 */
@WebSocketGateway({ namespace: LIVE_AUTH_NAMESPACE })
export class LiveAuthGateway
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    OnApplicationBootstrap,
    OnApplicationShutdown
{
  private readonly logger = new Logger(LiveAuthGateway.name);
  private readonly connections = new LiveConnections();
  private readonly subscriptions = new Map<string, Promise<Unsubscribe | undefined>>();
  private readonly reconciler: Reconciler;
  private closed = false;
  private server: Namespace | undefined;

  constructor(
    private readonly authenticator: SocketAuthenticator,
    private readonly channel: AuthChannel,
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly regions: AuthRegions,
    private readonly pages: LivePages,
    @Inject(LIVE_AUTH_LIVE_OPTIONS) private readonly options: ResolvedLiveAuthOptions,
    @Optional() @Inject(StateRedisConnection) private readonly redis?: StateRedisConnection,
  ) {
    this.reconciler = new Reconciler({
      sessions: () => this.connections.allSessions(),
      check: (entry, rows) => this.refresh(entry, true, rows),
      batchSize: options.reconcileBatchSize,
      intervalMs: options.reconcileIntervalMs,
      heartbeatMs: options.heartbeatMs,
      redis: this.redis,
    });
  }

  afterInit(namespace: Namespace): void {
    this.server = namespace;
    namespace.use(this.authenticator.middleware());
    if (this.redis && this.options.redisAdapter) {
      const subscriber = installRedisAdapter(namespace.server, this.redis);
      // A subscriber that connects again means Redis was away: events may have been lost.
      subscriber.on('ready', () => this.reconciler.trigger('the Redis subscriber reconnected'));
    }
  }

  onApplicationBootstrap(): void {
    this.reconciler.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.reconciler.stop();
    for (const entry of this.connections.allSessions()) {
      clearTimeout(entry.expiryTimer);
    }
    const subscriptions = [...this.subscriptions.values()];
    this.subscriptions.clear();
    await Promise.all(
      subscriptions.map(async (pending) => {
        const unsubscribe = await pending.catch(() => undefined);
        await unsubscribe?.().catch(() => undefined);
      }),
    );
  }

  /**
   * The `/live-auth` namespace, for the app's own broadcasts to the rooms this gateway keeps
   * (`role:admin`, `user:<id>`, `session:<key>`): across workers with the Redis adapter.
   */
  get namespace(): Namespace {
    if (!this.server) {
      throw new Error('The live-auth gateway has not started');
    }
    return this.server;
  }

  /** Sockets connected to this worker, for metrics and tests. */
  get socketCount(): number {
    return this.connections.socketCount;
  }

  /** Runs a reconciliation pass now and waits for it (tests, admin tools). */
  reconcile(): Promise<void> {
    return this.reconciler.run('asked');
  }

  async handleConnection(socket: Socket): Promise<void> {
    try {
      await this.connect(socket);
    } catch (error) {
      // Fail closed: a socket whose principal cannot be established does not stay.
      this.logger.warn(`Live connection refused: ${String(error)}`);
      socket.disconnect(true);
    }
  }

  handleDisconnect(socket: Socket): void {
    const { session, lastOfUser } = this.connections.removeSocket(socket.id);
    if (session && lastOfUser) {
      this.unsubscribe(session.userId);
    }
  }

  private async connect(socket: Socket): Promise<void> {
    const auth = authStateOf(socket);
    const handshake = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const page =
      typeof handshake.page === 'string' && LIVE_NAME_PATTERN.test(handshake.page)
        ? handshake.page
        : undefined;
    if (!auth?.session) {
      // Auth disabled (the local admin) or a widget connection: nothing live to follow.
      const principal = auth?.principal;
      if (principal) {
        socket.emit(AUTH_UPDATE_EVENT, await this.updateMessage(principal, 0, page));
      }
      return;
    }
    const snapshot = auth.session;
    // Subscribed before the stores are read, so that no change falls between the two.
    await this.subscribe(snapshot.userId);
    const key = sessionKeyOf(snapshot.sessionId);
    const { entry, created } = this.connections.sessionFor(
      key,
      snapshot,
      ClaimsPrincipal.fromSession(snapshot),
    );
    const live: LiveSocket = { socket, session: entry, page, rooms: new Set() };
    this.connections.addSocket(live);
    if (!socket.connected) {
      this.handleDisconnect(socket);
      return;
    }
    const seen = Number.isSafeInteger(handshake.version) ? (handshake.version as number) : 0;
    if (created || seen > entry.version) {
      // A new session here, or a tab that has seen a newer version than this worker: the worker
      // missed an event, so it reads the stores again.
      entry.ready = this.refresh(entry, !created);
    }
    await entry.ready;
    if (entry.ended || !socket.connected) {
      return;
    }
    await this.push(live);
  }

  /**
   * Reads the session and the user row again, repairs a snapshot that missed a change of the row
   * (the row is the truth), ends the session's sockets when it is gone, expired or its user is
   * disabled, and, when asked, pushes what changed to its sockets.
   */
  private async refresh(
    entry: LiveSession,
    pushChanges: boolean,
    rows?: Map<string, Promise<UserRecord | null>>,
  ): Promise<void> {
    let read = rows?.get(entry.userId);
    if (!read) {
      read = this.users.findById(entry.userId);
      rows?.set(entry.userId, read);
    }
    const [first, current] = await Promise.all([read, this.sessions.getSession(entry.sessionId)]);
    let row = first;
    if (entry.ended) {
      return;
    }
    if (!current) {
      this.end(entry, 'revoked');
      return;
    }
    if (row?.disabled) {
      await this.sessions.deleteSession(entry.sessionId);
      this.end(entry, 'revoked');
      return;
    }
    let snapshot = current;
    // A change may land between the reads and the repair: the row is read again after each
    // repair, and the repair made again while it moved, so a repair never leaves a snapshot
    // older than the row (AuthActions writes the row before the snapshots).
    for (let attempt = 0; row && attempt < MAX_REPAIRS; attempt += 1) {
      if (sameClaims(claimsOfSnapshot(snapshot), row.claims)) {
        break;
      }
      const repaired: UserSession | null = await this.sessions.updateSession(entry.sessionId, {
        claims: row.claims.map(({ type, value }) => ({ type, value })),
      });
      if (!repaired) {
        this.end(entry, 'revoked');
        return;
      }
      snapshot = repaired;
      const latest = await this.users.findById(entry.userId);
      if (latest?.claimsVersion === row.claimsVersion) {
        break;
      }
      row = latest;
    }
    const version = row?.claimsVersion ?? 0;
    if (entry.ended || version < entry.version) {
      // An event brought a newer principal while the stores were read: it stays.
      this.armExpiry(entry);
      return;
    }
    const principal = ClaimsPrincipal.fromSession(snapshot);
    const changed =
      version > entry.version || !sameClaims(principal.claims, entry.principal.claims);
    entry.snapshot = snapshot;
    entry.principal = principal;
    entry.version = version;
    this.armExpiry(entry);
    if (pushChanges && changed) {
      await this.pushSession(entry);
    }
  }

  /** Applies one channel event to this worker's sockets of the user. */
  private async onEvent(event: AuthEvent): Promise<void> {
    const entries = this.connections.sessionsOf(event.userId);
    if (event.kind === 'revoke') {
      const keys = event.sessionKeys ? new Set(event.sessionKeys) : undefined;
      for (const entry of entries) {
        if (!keys || keys.has(entry.key)) {
          this.end(entry, 'revoked');
        }
      }
      return;
    }
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.ended || event.claimsVersion <= entry.version) {
          return;
        }
        entry.version = event.claimsVersion;
        if (event.principal) {
          entry.principal = new ClaimsPrincipal({
            isAuthenticated: true,
            userId: entry.userId,
            name: event.principal.name,
            claims: event.principal.claims,
            raw: entry.principal.raw,
          });
        } else if (event.claims) {
          const next = principalWithClaims(entry.snapshot, event.claims);
          entry.snapshot = next.snapshot;
          entry.principal = next.principal;
        }
        await this.pushSession(entry);
      }),
    );
  }

  /** Pushes a session's change to its sockets: each page's guard and regions evaluated once. */
  private async pushSession(entry: LiveSession): Promise<void> {
    const byPage = new Map<string | undefined, LiveSocket[]>();
    for (const live of entry.sockets) {
      byPage.set(live.page, [...(byPage.get(live.page) ?? []), live]);
    }
    await Promise.all([...byPage.values()].map((sockets) => this.push(sockets)));
  }

  /**
   * Sends sockets of one session showing one page their principal and regions, or sends them to
   * login when the page denies the principal.
   */
  private async push(sockets: LiveSocket | LiveSocket[]): Promise<void> {
    const group = Array.isArray(sockets) ? sockets : [sockets];
    const { session, page } = group[0];
    const principal = session.principal;
    const version = session.version;
    if (page !== undefined && !(await this.pages.guard(page, principal))) {
      group.forEach((live) => this.navigate(live, 'denied'));
      return;
    }
    group.forEach((live) => this.syncRooms(live));
    // A newer change may have been applied meanwhile: it sends its own update.
    const current = (live: LiveSocket) =>
      session.version === version && !session.ended && live.socket.connected;
    const emit = (message: AuthUpdateMessage) =>
      group.forEach((live) => current(live) && live.socket.emit(AUTH_UPDATE_EVENT, message));
    const message = await this.updateMessage(principal, version, page, (name, rendered) =>
      // A region that answered "authorizing" sends its outcome when its policy settles.
      emit({ version, principal: livePrincipalOf(principal), regions: { [name]: rendered } }),
    );
    emit(message);
  }

  private async updateMessage(
    principal: ClaimsPrincipal,
    version: number,
    page: string | undefined,
    onSettled?: (name: string, rendered: RenderedRegion) => void,
  ): Promise<AuthUpdateMessage> {
    const names = page !== undefined ? (this.pages.get(page)?.regions ?? []) : [];
    return {
      version,
      principal: livePrincipalOf(principal),
      regions: await this.regions.renderAll(names, principal, {
        timeoutMs: this.options.regionTimeoutMs,
        ...(onSettled ? { onSettled } : {}),
      }),
    };
  }

  private syncRooms(live: LiveSocket): void {
    const wanted = roomsOf(live.session);
    for (const room of live.rooms) {
      if (!wanted.has(room)) {
        void live.socket.leave(room);
      }
    }
    const joining = [...wanted].filter((room) => !live.rooms.has(room));
    if (joining.length > 0) {
      void live.socket.join(joining);
    }
    live.rooms = wanted;
  }

  /** Sends every socket of the session to login, disconnects them and forgets the session. */
  private end(entry: LiveSession, reason: AuthNavigateMessage['reason']): void {
    if (entry.ended) {
      return;
    }
    entry.ended = true;
    for (const live of [...entry.sockets]) {
      this.navigate(live, reason);
    }
    if (this.connections.removeSession(entry)) {
      this.unsubscribe(entry.userId);
    }
  }

  private navigate(live: LiveSocket, reason: AuthNavigateMessage['reason']): void {
    const to =
      live.page !== undefined ? this.pages.redirectOf(live.page) : this.options.loginRedirect;
    const message: AuthNavigateMessage = { to, reason };
    live.socket.emit(AUTH_NAVIGATE_EVENT, message);
    live.socket.disconnect(true);
  }

  /** A timer at the session's expiry: then the session is read again (a refresh may extend it). */
  private armExpiry(entry: LiveSession): void {
    clearTimeout(entry.expiryTimer);
    if (this.closed || entry.ended) {
      return;
    }
    const delay = Math.min(Math.max(entry.snapshot.expiresAt - Date.now(), 0) + 50, MAX_TIMER_MS);
    entry.expiryTimer = setTimeout(() => {
      this.sessions.getSession(entry.sessionId).then(
        (session) => {
          if (!session) {
            this.end(entry, 'expired');
          } else {
            entry.snapshot = session;
            this.armExpiry(entry);
          }
        },
        // The store is away: the reconciliation after it comes back decides.
        () => this.reconciler.trigger('a session expiry could not be checked'),
      );
    }, delay);
    entry.expiryTimer.unref();
  }

  private async subscribe(userId: string): Promise<void> {
    let pending = this.subscriptions.get(userId);
    if (!pending) {
      pending = this.channel.subscribe(userId, (event) => this.onEvent(event));
      this.subscriptions.set(userId, pending);
      pending.catch(() => {
        if (this.subscriptions.get(userId) === pending) {
          this.subscriptions.delete(userId);
        }
      });
    }
    await pending;
  }

  private unsubscribe(userId: string): void {
    const pending = this.subscriptions.get(userId);
    if (!pending || this.connections.hasUser(userId)) {
      return;
    }
    this.subscriptions.delete(userId);
    void pending
      .then((unsubscribe) => unsubscribe?.())
      .catch((error: unknown) =>
        this.logger.warn(`Could not unsubscribe from ${userId}'s auth events: ${String(error)}`),
      );
  }
}
