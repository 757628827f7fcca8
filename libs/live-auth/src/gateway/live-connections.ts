import type { ClaimsPrincipal } from '@livegate/auth';
import type { UserSession } from '@livegate/state';
import type { Socket } from 'socket.io';

/** One session with open sockets on this worker: its snapshot, principal and known version. */
export interface LiveSession {
  readonly key: string;
  readonly sessionId: string;
  readonly userId: string;
  snapshot: UserSession;
  principal: ClaimsPrincipal;
  /** The user row's `claimsVersion` this worker last applied (0: no row). */
  version: number;
  readonly sockets: Set<LiveSocket>;
  expiryTimer?: NodeJS.Timeout;
  /** The first read of the stores for this session: later sockets wait for it. */
  ready?: Promise<void>;
  ended: boolean;
}

/** One open socket: the live page it shows and the rooms it is in. */
export interface LiveSocket {
  readonly socket: Socket;
  readonly session: LiveSession;
  readonly page: string | undefined;
  rooms: Set<string>;
}

/**
 * The live connections of this worker, by user and by session: what an auth event or a
 * reconciliation pass needs to find, without asking socket.io (or Redis) for room members.
 */
export class LiveConnections {
  private readonly byUser = new Map<string, Set<LiveSession>>();
  private readonly byKey = new Map<string, LiveSession>();
  private readonly bySocket = new Map<string, LiveSocket>();

  /** The entry of a session, made on its first socket. */
  sessionFor(
    key: string,
    snapshot: UserSession,
    principal: ClaimsPrincipal,
  ): { entry: LiveSession; created: boolean } {
    const existing = this.byKey.get(key);
    if (existing && !existing.ended) {
      return { entry: existing, created: false };
    }
    const entry: LiveSession = {
      key,
      sessionId: snapshot.sessionId,
      userId: snapshot.userId,
      snapshot,
      principal,
      version: 0,
      sockets: new Set(),
      ended: false,
    };
    this.byKey.set(key, entry);
    let sessions = this.byUser.get(entry.userId);
    if (!sessions) {
      sessions = new Set();
      this.byUser.set(entry.userId, sessions);
    }
    sessions.add(entry);
    return { entry, created: true };
  }

  addSocket(live: LiveSocket): void {
    live.session.sockets.add(live);
    this.bySocket.set(live.socket.id, live);
  }

  /**
   * Forgets a socket; returns its session when that was the session's last socket here (the
   * session is then forgotten too) and whether the user has no session left on this worker.
   */
  removeSocket(socketId: string): { session?: LiveSession; lastOfUser: boolean } {
    const live = this.bySocket.get(socketId);
    if (!live) {
      return { lastOfUser: false };
    }
    this.bySocket.delete(socketId);
    live.session.sockets.delete(live);
    if (live.session.sockets.size > 0) {
      return { lastOfUser: false };
    }
    return { session: live.session, lastOfUser: this.removeSession(live.session) };
  }

  /** Forgets a session; `true` when it was the user's last one here. */
  removeSession(entry: LiveSession): boolean {
    if (this.byKey.get(entry.key) === entry) {
      this.byKey.delete(entry.key);
    }
    clearTimeout(entry.expiryTimer);
    const sessions = this.byUser.get(entry.userId);
    sessions?.delete(entry);
    if (sessions && sessions.size === 0) {
      this.byUser.delete(entry.userId);
      return true;
    }
    return false;
  }

  sessionsOf(userId: string): LiveSession[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  allSessions(): LiveSession[] {
    return [...this.byKey.values()];
  }

  get socketCount(): number {
    return this.bySocket.size;
  }
}
