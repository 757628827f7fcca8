import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { authStateOf, type Claim, type ClaimsPrincipal } from '@livegate/auth';
import {
  DEFAULT_SESSION_MAX_LIFETIME,
  SessionStore,
  StateNotFoundError,
  StateValidationError,
  assertId,
  normalizeSessionClaims,
  type UserSession,
} from '@livegate/state';
import { AuthChannel } from '../channel/auth-channel';
import { normalizeClaims } from '../users/claims';
import type { UserRecord } from '../users/user-record';
import { UserStore } from '../users/user-store';
import { PendingWrites } from './pending-writes';

/** Snapshot writes of one change while its row keeps moving; the last change writes its own. */
const MAX_SNAPSHOT_WRITES = 5;

/** What an `AuthActions` call did. */
export interface AuthChange {
  /** The user row as written (the truth). */
  user: UserRecord;
  /** The row's `claimsVersion` after the change (what the event carries). */
  claimsVersion: number;
  /** Sessions whose snapshot was updated or ended. */
  sessions: number;
  /**
   * `true` when the state backend was away: the row holds the change, and the session writes and
   * the event follow as soon as the backend is back (the live gateways reconcile meanwhile).
   */
  pending: boolean;
}

/** Options of `AuthActions` (`LiveAuthModule.forRoot({ live })`). */
export const AUTH_ACTIONS_OPTIONS = Symbol('livegate:auth-actions-options');

export interface AuthActionsOptions {
  /** How long failed session writes are retried, in ms. Default: the longest a session lives. */
  retryForMs?: number;
}

/**
 * Changes a user's claims or sessions live (the seeds' AuthActions). Each call writes, in order,
 * the user row (a new `claimsVersion`), every affected session snapshot, then the channel event,
 * so that a change survives logout and login, reaches the next request at once, and updates
 * every open tab of the user on every worker. Claims belong to the user: a change made for the
 * current principal reaches every session of that user too; `revokeSession` ends only the
 * current one.
 *
 * The `...User` methods name the user for admin use. A failure before the row is written changes
 * nothing; once it is written the row is the truth, and snapshots and sockets that missed the
 * change (the state backend away) are repaired by retries here and by the gateways'
 * reconciliation.
 */
@Injectable()
export class AuthActions implements OnApplicationShutdown {
  private readonly pending = new PendingWrites();
  private readonly retryForMs: number;

  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly channel: AuthChannel,
    @Inject(AUTH_ACTIONS_OPTIONS) options: AuthActionsOptions = {},
  ) {
    this.retryForMs = options.retryForMs ?? DEFAULT_SESSION_MAX_LIFETIME * 1000;
  }

  /** Adds one claim to the current principal's user (`grant(user, req, 'role', 'admin')`). */
  grant(principal: ClaimsPrincipal, request: unknown, type: string, value: string) {
    return this.grantUser(this.userOf(principal, request), type, value);
  }

  /** Drops every claim of `type` (or only the one with `value`) from the current principal's user. */
  revokeClaim(principal: ClaimsPrincipal, request: unknown, type: string, value?: string) {
    return this.revokeUserClaim(this.userOf(principal, request), type, value);
  }

  /** Replaces the current principal's user's claims. */
  updateClaims(principal: ClaimsPrincipal, request: unknown, claims: readonly Claim[]) {
    return this.updateUserClaims(this.userOf(principal, request), claims);
  }

  /** Ends the current session: its tabs navigate to the login redirect, on every worker. */
  async revokeSession(principal: ClaimsPrincipal, request: unknown): Promise<AuthChange> {
    const userId = this.userOf(principal, request);
    const session = authStateOf(request)?.session;
    if (!session) {
      throw new StateValidationError('request', 'has no session to revoke');
    }
    return this.endSession(await this.requireUser(userId), session.sessionId);
  }

  grantUser(userId: string, type: string, value: string): Promise<AuthChange> {
    const [claim] = normalizeClaims([{ type, value }]);
    return this.changeClaims(userId, (claims) => [...claims, claim]);
  }

  revokeUserClaim(userId: string, type: string, value?: string): Promise<AuthChange> {
    if (value === undefined) {
      // Checked as a claim would be; the value stands in only for the check.
      normalizeClaims([{ type, value: 'x' }]);
    } else {
      normalizeClaims([{ type, value }]);
    }
    return this.changeClaims(userId, (claims) =>
      claims.filter(
        (claim) => claim.type !== type || (value !== undefined && claim.value !== value),
      ),
    );
  }

  updateUserClaims(userId: string, claims: readonly Claim[]): Promise<AuthChange> {
    const replacement = normalizeClaims(claims);
    return this.changeClaims(userId, () => replacement);
  }

  /** Ends one session of the user (admin use, or a bearer token's revocation). */
  async revokeUserSession(userId: string, sessionId: string): Promise<AuthChange> {
    assertId('sessionId', sessionId);
    const user = await this.requireUser(userId);
    // A session of another user is refused: its revoke event would reach the wrong user's tabs.
    const session = await this.sessions.getSession(sessionId);
    if (session && session.userId !== user.id) {
      throw new StateValidationError('sessionId', 'is not a session of this user');
    }
    return this.endSession(user, sessionId);
  }

  private async endSession(user: UserRecord, sessionId: string): Promise<AuthChange> {
    const userId = user.id;
    let ended = 0;
    const pending = !(await this.pending.attempt(
      `the revocation of a session of ${userId}`,
      async () => {
        ended = (await this.sessions.deleteSession(sessionId)) ? 1 : 0;
        await this.channel.revoke(userId, {
          sessionIds: [sessionId],
          claimsVersion: user.claimsVersion,
        });
      },
      this.retryForMs,
    ));
    return { user, claimsVersion: user.claimsVersion, sessions: ended, pending };
  }

  /** Ends every session of the user ("sign out everywhere"). */
  async revokeUserSessions(userId: string): Promise<AuthChange> {
    const user = await this.requireUser(userId);
    let ended = 0;
    const pending = !(await this.pending.attempt(
      `the revocation of every session of ${userId}`,
      async () => {
        ended = await this.sessions.deleteUserSessions(userId);
        await this.channel.revoke(userId, { claimsVersion: user.claimsVersion });
      },
      this.retryForMs,
    ));
    return { user, claimsVersion: user.claimsVersion, sessions: ended, pending };
  }

  onApplicationShutdown(): void {
    this.pending.close();
  }

  /** Writes waiting for the state backend, for health checks and tests. */
  get pendingWrites(): number {
    return this.pending.size;
  }

  private async changeClaims(
    userId: string,
    change: (claims: readonly Claim[]) => readonly Claim[],
  ): Promise<AuthChange> {
    assertId('userId', userId);
    const user = await this.users.updateClaims(userId, (claims) => {
      const next = normalizeClaims(change(claims));
      // Checked before the row is written: every session must be able to hold what the row does.
      normalizeSessionClaims('claims', next);
      return next;
    });
    let updated: UserSession[] = [];
    const pending = !(await this.pending.attempt(
      `the claims of ${userId} (version ${user.claimsVersion})`,
      async () => {
        const written = await this.writeSnapshots(user);
        updated = written.sessions;
        await this.channel.updatePrincipal(userId, {
          claims: written.row.claims,
          claimsVersion: written.row.claimsVersion,
        });
      },
      this.retryForMs,
    ));
    return { user, claimsVersion: user.claimsVersion, sessions: updated.length, pending };
  }

  /**
   * Writes the row's claims into every session of the user, then reads the row again: when
   * another change of the same user (on any worker) wrote the row meanwhile, its snapshots may
   * have been written before these, so they are written again with the newer row. Snapshots
   * thus never end older than the row, even without a live socket to reconcile them.
   */
  private async writeSnapshots(
    user: UserRecord,
  ): Promise<{ row: UserRecord; sessions: UserSession[] }> {
    let row = user;
    let sessions: UserSession[] = [];
    for (let attempt = 0; attempt < MAX_SNAPSHOT_WRITES; attempt += 1) {
      sessions = await this.sessions.updateUserSessions(row.id, {
        claims: row.claims.map(({ type, value }) => ({ type, value })),
      });
      const latest = await this.users.findById(row.id);
      if (!latest || latest.claimsVersion <= row.claimsVersion) {
        break;
      }
      row = latest;
    }
    return { row, sessions };
  }

  private async requireUser(userId: string): Promise<UserRecord> {
    assertId('userId', userId);
    const user = await this.users.findById(userId);
    if (!user) {
      throw new StateNotFoundError('No such user');
    }
    return user;
  }

  /** The user the current principal is, checked against the request's own session. */
  private userOf(principal: ClaimsPrincipal, request: unknown): string {
    if (!principal?.isAuthenticated || !principal.userId) {
      throw new StateValidationError('principal', 'must be an authenticated principal');
    }
    const session = authStateOf(request)?.session;
    if (session && session.userId !== principal.userId) {
      throw new StateValidationError('principal', "is not the request's user");
    }
    return principal.userId;
  }
}
