import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { UserSession } from '../../sessions/session.models';
import { freezeSession } from '../../sessions/session.validation';

/** How often the cache PINGs Redis on the subscriber connection. */
export const SESSION_CACHE_PING_INTERVAL_MS = 250;
/**
 * Longest time since the latest answered PING was sent during which the cache still serves: a
 * Redis that hangs or a network that drops packets without closing the connection turns the cache
 * off within about this long.
 */
export const SESSION_CACHE_PONG_DEADLINE_MS = 1000;

/** Most session keys one invalidation message names: the session scripts split longer lists. */
export const SESSION_CACHE_MESSAGE_KEYS = 64;
/**
 * Longest message the session scripts publish on the invalidation channel, in bytes: their
 * longest is `update` and `SESSION_CACHE_MESSAGE_KEYS` pairs of a key (64 hex digits) and a
 * version, about 5.3 KB. A longer message is no message of theirs: it is dropped unread and
 * counted (`SessionCacheStats.oversized`).
 */
export const MAX_SESSION_CACHE_MESSAGE_BYTES = 8 * 1024;

/** Whether a received message is over `MAX_SESSION_CACHE_MESSAGE_BYTES`, measured only when it may be. */
function isOversized(message: string): boolean {
  // A UTF-16 code unit takes one to three bytes of UTF-8.
  if (message.length > MAX_SESSION_CACHE_MESSAGE_BYTES) {
    return true;
  }
  return (
    message.length * 3 > MAX_SESSION_CACHE_MESSAGE_BYTES &&
    Buffer.byteLength(message, 'utf8') > MAX_SESSION_CACHE_MESSAGE_BYTES
  );
}

/** Subscriber events after which a message may have been missed. */
const CONNECTION_LOST_EVENTS = ['close', 'end', 'reconnecting', 'error'] as const;

export interface RedisSessionCacheOptions {
  /** The invalidation channel (`RedisKeys.sessionInvalidations`). */
  channel: string;
  /** Most entries kept; the least recently used one goes first. At least 1. */
  maxEntries: number;
  /** Seconds an entry is served at most after it was fetched. */
  maxAgeSeconds: number;
  /** Default `SESSION_CACHE_PING_INTERVAL_MS`. */
  pingIntervalMs?: number;
  /** Default `SESSION_CACHE_PONG_DEADLINE_MS`. */
  pongDeadlineMs?: number;
}

/** Counters of a session cache, read-only snapshots for tests and benchmarks. */
export interface SessionCacheStats {
  /** Whether the cache exists at all (`sessionCacheSize` > 0). */
  readonly enabled: boolean;
  /** Whether it serves and stores sessions right now (its invalidation channel is up). */
  readonly live: boolean;
  /** Entries held. */
  readonly size: number;
  /** Reads served from the cache. */
  readonly hits: number;
  /** Reads that went to Redis. */
  readonly misses: number;
  /** Invalidation messages received (deletes, refreshes, updates, unreadable messages). */
  readonly invalidations: number;
  /** Messages over `MAX_SESSION_CACHE_MESSAGE_BYTES`: dropped unread, never applied. */
  readonly oversized: number;
}

/** `<key> <version>` pairs, at least one, each version a positive whole number. */
function isVersionList(words: readonly string[]): boolean {
  if (words.length === 0 || words.length % 2 !== 0) {
    return false;
  }
  for (let index = 1; index < words.length; index += 2) {
    const version = Number(words[index]);
    if (!(Number.isSafeInteger(version) && version >= 1)) {
      return false;
    }
  }
  return true;
}

/** What a fetch started with; `null` when the cache was not live, so the result is not kept. */
export type SessionCacheTicket = number | null;

interface Entry {
  /** The hashed session key: what invalidation messages name. */
  key: string;
  /** Frozen: shared by every read. `null` once a message said it was deleted. */
  session: UserSession | null;
  /** Served while `Date.now()` is below this. */
  validUntil: number;
  /** When the entry was fetched plus the maximum age: `validUntil` never passes it. */
  maxUntil: number;
}

/**
 * An in-process LRU of sessions (frozen snapshots) keyed by session id, with the hashed session
 * key of each for the invalidation messages, kept correct across processes by the channel that
 * the session scripts publish their changes on: a `delete` marks the cached session deleted (it is
 * then answered `null` without a round trip), a `refresh` moves its expiry, an `update` drops an
 * entry older than the version it names (the next read fetches the new snapshot), a `create`
 * drops a deletion mark. A rotation is published as the delete of the old key.
 *
 * The cache serves and stores entries only while it is live: the subscriber connection is ready,
 * the subscription to the channel was confirmed on that connection (after its latest reconnect),
 * and a PING on it sent within the last `pongDeadlineMs` has been answered. Anything else (close,
 * reconnect, error, a late answer) empties the cache, so a message that may have been lost can
 * never leave a stale entry behind; reads then go to Redis and fail closed as they would without
 * a cache.
 *
 * Every delete, refresh, update and loss of liveness bumps an epoch; a fetch keeps its result only
 * if the epoch did not move between its start and its reply, so a change published while the
 * fetch was in flight is never lost.
 *
 * An entry is served while `Date.now()` is below both the session's `expiresAt` and the time it
 * was fetched plus `maxAgeSeconds`. `expiresAt` is set by the Redis server clock, so this relies on
 * the workers' clocks agreeing with Redis's (the same host, or NTP-synchronized hosts); the age
 * limit bounds the damage of a skew, and of writes made outside Livegate's scripts, which publish
 * nothing.
 */
export class RedisSessionCache {
  private readonly logger = new Logger('RedisSessionCache');
  /** By session id, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** Session id by hashed session key. */
  private readonly ids = new Map<string, string>();
  private readonly maxAgeMs: number;
  private readonly pongDeadlineMs: number;
  private readonly timer: NodeJS.Timeout;
  /** Bumped by every connection loss or error: replies from an older connection do not count. */
  private generation = 0;
  /** The generation on which the subscription was confirmed. */
  private subscribedGeneration = -1;
  /** The generation for which a SUBSCRIBE is in flight. */
  private subscribingGeneration = -1;
  private ping: { generation: number } | undefined;
  /** When the latest answered PING (or SUBSCRIBE) was sent. */
  private answeredAt = Number.NEGATIVE_INFINITY;
  private epoch = 0;
  private wasLive = false;
  private closed = false;
  private warnedSubscribe = false;
  private readonly counters = { hits: 0, misses: 0, invalidations: 0, oversized: 0 };

  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.options.channel) {
      this.receive(message);
    }
  };
  private readonly onConnectionLost = () => this.lose();
  private readonly onReady = () => this.maintain();

  constructor(
    private readonly subscriber: Redis,
    private readonly options: RedisSessionCacheOptions,
  ) {
    this.maxAgeMs = options.maxAgeSeconds * 1000;
    this.pongDeadlineMs = options.pongDeadlineMs ?? SESSION_CACHE_PONG_DEADLINE_MS;
    subscriber.on('message', this.onMessage);
    subscriber.on('ready', this.onReady);
    for (const event of CONNECTION_LOST_EVENTS) {
      subscriber.on(event, this.onConnectionLost);
    }
    this.timer = setInterval(
      () => this.maintain(),
      options.pingIntervalMs ?? SESSION_CACHE_PING_INTERVAL_MS,
    );
    this.timer.unref();
    this.maintain();
  }

  get stats(): SessionCacheStats {
    return { enabled: true, live: this.isLive(), size: this.entries.size, ...this.counters };
  }

  /**
   * The cached session; `null` for a cached session a message said was deleted; `undefined`
   * (counted as a miss) when the caller must fetch.
   */
  get(sessionId: string): UserSession | null | undefined {
    const entry = this.isLive() ? this.entries.get(sessionId) : undefined;
    if (entry && Date.now() < entry.validUntil) {
      // Re-inserting moves the entry to the most recently used end of the Map's order; the order
      // only decides evictions, so it is kept once the cache is at least half full.
      if (this.entries.size * 2 > this.options.maxEntries) {
        this.entries.delete(sessionId);
        this.entries.set(sessionId, entry);
      }
      this.counters.hits += 1;
      return entry.session;
    }
    if (entry) {
      this.remove(sessionId);
    }
    this.counters.misses += 1;
    return undefined;
  }

  /** Call before sending the fetch whose result may be given to `store`. */
  begin(): SessionCacheTicket {
    return this.isLive() ? this.epoch : null;
  }

  /**
   * Keeps a fetched session (frozen) under its id and hashed key if nothing was invalidated since
   * `ticket`; true when kept.
   */
  store(sessionId: string, key: string, session: UserSession, ticket: SessionCacheTicket): boolean {
    if (ticket === null || ticket !== this.epoch || !this.isLive()) {
      return false;
    }
    return this.insert(sessionId, key, session);
  }

  /**
   * After this process changed sessions: drops the entries of `dropped` (hashed keys), and keeps
   * each of `changed` (the snapshots the change returned) only if nothing was invalidated since
   * `ticket` (taken with `begin` before the change was sent). A message about a later change that
   * arrived first moved the epoch, so a snapshot older than what another worker wrote is never
   * kept; this process's own message arriving later names the same version and keeps it. Fetches
   * in flight are not kept either way.
   */
  settle(
    ticket: SessionCacheTicket,
    dropped: Iterable<string>,
    changed: readonly { sessionId: string; key: string; session: UserSession }[] = [],
  ): void {
    const keep = ticket !== null && ticket === this.epoch && this.isLive();
    this.invalidate([...dropped, ...changed.map((entry) => entry.key)]);
    if (keep) {
      for (const { sessionId, key, session } of changed) {
        this.insert(sessionId, key, session);
      }
    }
  }

  /** Drops the entries of these hashed keys, and any fetch in flight for them. */
  invalidate(keys: Iterable<string>): void {
    this.epoch += 1;
    for (const key of keys) {
      this.forget(key);
    }
  }

  /** Drops the entry of a hashed key (a deletion mark included), leaving fetches in flight be. */
  forget(key: string): void {
    const sessionId = this.ids.get(key);
    if (sessionId !== undefined) {
      this.remove(sessionId);
    }
  }

  /** Drops every entry of the user's sessions: for when the changed keys are unknown. */
  invalidateUser(userId: string): void {
    this.epoch += 1;
    for (const [sessionId, entry] of this.entries) {
      if (entry.session === null || entry.session.userId === userId) {
        this.remove(sessionId);
      }
    }
  }

  /** Stops the timer and the listeners; the cache then never serves again. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.timer);
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
    for (const event of CONNECTION_LOST_EVENTS) {
      this.subscriber.off(event, this.onConnectionLost);
    }
    this.drop();
  }

  private isLive(): boolean {
    const live =
      !this.closed &&
      this.subscribedGeneration === this.generation &&
      this.subscriber.status === 'ready' &&
      Date.now() - this.answeredAt <= this.pongDeadlineMs;
    if (live) {
      this.wasLive = true;
    } else if (this.wasLive) {
      this.wasLive = false;
      this.drop();
    }
    return live;
  }

  private insert(sessionId: string, key: string, session: UserSession): boolean {
    const now = Date.now();
    const maxUntil = now + this.maxAgeMs;
    const validUntil = Math.min(session.expiresAt, maxUntil);
    if (!(validUntil > now)) {
      return false;
    }
    this.remove(sessionId);
    this.entries.set(sessionId, { key, session, validUntil, maxUntil });
    this.ids.set(key, sessionId);
    while (this.entries.size > this.options.maxEntries) {
      this.remove(this.entries.keys().next().value as string);
    }
    return true;
  }

  private drop(): void {
    this.epoch += 1;
    this.entries.clear();
    this.ids.clear();
  }

  private remove(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (entry) {
      this.entries.delete(sessionId);
      this.ids.delete(entry.key);
    }
  }

  private lose(): void {
    this.generation += 1;
    this.wasLive = false;
    this.drop();
  }

  /**
   * Applies a message of the session scripts: `delete <key>...` marks cached sessions deleted (so
   * that every worker rejects them without a round trip), `refresh <key> <expiresAt>` moves their
   * expiry, `update <key> <version>...` drops entries older than the version, `create <key>`
   * forgets a deletion. A message longer than any the scripts publish is dropped and counted.
   * Anything else empties the cache: it is never left holding a session a message it could not
   * read was about.
   */
  private receive(message: string): void {
    if (isOversized(message)) {
      this.counters.oversized += 1;
      return;
    }
    const [kind, ...words] = message.split(' ').filter((word) => word !== '');
    if (kind === undefined) {
      return;
    }
    if (kind === 'create' && words.length === 1) {
      // A new session cannot make a fetch in flight stale: only a deletion mark goes.
      this.forget(words[0]);
      return;
    }
    this.counters.invalidations += 1;
    // A fetch in flight may have read the session before this change: it is not kept.
    this.epoch += 1;
    if (kind === 'delete' && words.length > 0) {
      for (const key of words) {
        this.update(key, () => null);
      }
    } else if (kind === 'update' && isVersionList(words)) {
      for (let index = 0; index < words.length; index += 2) {
        this.dropOlderThan(words[index], Number(words[index + 1]));
      }
    } else if (kind === 'refresh' && words.length === 2 && Number.isFinite(Number(words[1]))) {
      const expiresAt = Number(words[1]);
      this.update(words[0], (session) =>
        session === null ? null : freezeSession({ ...session, expiresAt }),
      );
    } else {
      this.drop();
    }
  }

  /** Drops the cached session of a hashed key if it is older than `version`; deletion marks stay. */
  private dropOlderThan(key: string, version: number): void {
    const sessionId = this.ids.get(key);
    const entry = sessionId === undefined ? undefined : this.entries.get(sessionId);
    if (entry?.session && entry.session.version < version) {
      this.remove(sessionId!);
    }
  }

  /** Replaces the cached session of a hashed key, if there is one. */
  private update(key: string, change: (session: UserSession | null) => UserSession | null): void {
    const sessionId = this.ids.get(key);
    const entry = sessionId === undefined ? undefined : this.entries.get(sessionId);
    if (!entry) {
      return;
    }
    entry.session = change(entry.session);
    if (entry.session !== null) {
      entry.validUntil = Math.min(entry.session.expiresAt, entry.maxUntil);
    }
  }

  /** Runs on every tick and on `ready`: notices a late answer, (re)subscribes, sends a PING. */
  private maintain(): void {
    if (this.closed) {
      return;
    }
    this.isLive();
    if (this.subscriber.status !== 'ready') {
      return;
    }
    const generation = this.generation;
    if (this.subscribedGeneration !== generation && this.subscribingGeneration !== generation) {
      this.subscribingGeneration = generation;
      const sentAt = Date.now();
      this.subscriber.subscribe(this.options.channel).then(
        () => {
          if (generation === this.generation) {
            this.subscribedGeneration = generation;
            this.answered(sentAt);
          }
        },
        (error: unknown) => {
          if (this.subscribingGeneration === generation) {
            this.subscribingGeneration = -1;
          }
          if (!this.warnedSubscribe && !this.closed) {
            this.warnedSubscribe = true;
            this.logger.warn(
              `Session cache off until ${this.options.channel} can be subscribed: ${String(error)}`,
            );
          }
        },
      );
    }
    if (this.ping?.generation === generation) {
      return;
    }
    const ping = { generation };
    this.ping = ping;
    const sentAt = Date.now();
    const settle = (answered: boolean) => {
      if (this.ping === ping) {
        this.ping = undefined;
      }
      if (answered && generation === this.generation) {
        this.answered(sentAt);
      }
    };
    this.subscriber.ping().then(
      () => settle(true),
      () => settle(false),
    );
  }

  private answered(sentAt: number): void {
    this.answeredAt = Math.max(this.answeredAt, sentAt);
  }
}
