/**
 * The browser tabs of the live-auth bench, in a process of their own: `live-clients.main.ts`.
 * Each tab is a socket.io client connected as the browser script connects (namespace
 * `/live-auth`, websocket transport, the session cookie with the page's Origin, `auth: { page,
 * version }`), one connection per tab. Every `auth:update`, `auth:navigate`, `bench:ping` and
 * disconnect is stamped on receipt with the bench clock; the `collect...` requests wait (bounded)
 * until every tab of a user or group has the one asked for and answer the stamps. Waiters are
 * woken by receipts, never by polling, so this process is idle while the workers work.
 *
 * Requests: `open` (tabs, answering once each got its first update), `collectUpdate`,
 * `collectPing`, `collectRevoke`, `close` (a group), `status`, `clock`.
 */
import { io, type Socket } from 'socket.io-client';
import { serveBenchRequests } from '../support/bench-process';
import {
  BENCH_PING_EVENT,
  LIVE_BENCH_PAGE,
  LIVE_BENCH_REGION,
  clockOffset,
  now,
  type Receipts,
  type RevokeReceipts,
  type TabSpec,
} from './live-protocol';

/** Longest a tab may take to connect and get its first update. */
const OPEN_LIMIT_MS = 10_000;

interface UpdateMessage {
  version: number;
  regions?: Record<string, { state: string }>;
}

interface Tab {
  spec: TabSpec;
  socket: Socket;
  /** The newest version received, when, and the region's state in it. */
  version: number;
  updatedAt: number;
  regionState: string | undefined;
  pingSeq: number;
  pingAt: number;
  navigatedAt: number | undefined;
  disconnectedAt: number | undefined;
}

const tabs = new Set<Tab>();
const byUser = new Map<string, Tab[]>();
const byGroup = new Map<string, Tab[]>();
/** Measured tabs that lost their connection: a failure. */
let dropped = 0;

/** Woken on every receipt; each waiter checks its own condition. */
const waiters = new Set<() => void>();
function wake(): void {
  for (const waiter of [...waiters]) {
    waiter();
  }
}

/** Resolves when `done()` holds, checked on every receipt, or after `timeoutMs` regardless. */
function until(done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (done()) {
        finish();
      }
    };
    const finish = () => {
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    waiters.add(check);
    check();
  });
}

function openTab(spec: TabSpec): Promise<Tab> {
  const socket = io(`${spec.base}/live-auth`, {
    transports: ['websocket'],
    extraHeaders: { cookie: spec.cookie, origin: spec.base },
    auth: { page: LIVE_BENCH_PAGE, version: 0 },
    forceNew: true,
    reconnection: false,
    timeout: OPEN_LIMIT_MS,
  });
  const tab: Tab = {
    spec,
    socket,
    version: -1,
    updatedAt: 0,
    regionState: undefined,
    pingSeq: 0,
    pingAt: 0,
    navigatedAt: undefined,
    disconnectedAt: undefined,
  };
  socket.on('auth:update', (message: UpdateMessage) => {
    const at = now();
    if (message.version > tab.version) {
      tab.version = message.version;
      tab.updatedAt = at;
      tab.regionState = message.regions?.[LIVE_BENCH_REGION]?.state;
      wake();
    }
  });
  socket.on(BENCH_PING_EVENT, (message: { seq: number }) => {
    const at = now();
    if (message.seq > tab.pingSeq) {
      tab.pingSeq = message.seq;
      tab.pingAt = at;
      wake();
    }
  });
  socket.on('auth:navigate', () => {
    tab.navigatedAt ??= now();
    wake();
  });
  socket.on('disconnect', () => {
    tab.disconnectedAt ??= now();
    if (spec.group === 'main') {
      dropped += 1;
    }
    wake();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`a tab of ${spec.user} got no first update within ${OPEN_LIMIT_MS} ms`));
    }, OPEN_LIMIT_MS);
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.once('auth:update', () => {
      clearTimeout(timer);
      resolve(tab);
    });
  });
}

function remember(tab: Tab): void {
  tabs.add(tab);
  byUser.set(tab.spec.user, [...(byUser.get(tab.spec.user) ?? []), tab]);
  byGroup.set(tab.spec.group, [...(byGroup.get(tab.spec.group) ?? []), tab]);
}

function closeGroup(group: string): void {
  for (const tab of byGroup.get(group) ?? []) {
    tab.socket.close();
    tabs.delete(tab);
    byUser.set(
      tab.spec.user,
      (byUser.get(tab.spec.user) ?? []).filter((other) => other !== tab),
    );
  }
  byGroup.delete(group);
}

/** The measured tabs of a user. */
const mainTabsOf = (user: string) =>
  (byUser.get(user) ?? []).filter((tab) => tab.spec.group === 'main');

serveBenchRequests(
  {},
  {
    /** Opens tabs, `concurrency` at a time; answers how many opened and the errors of the rest. */
    open: async (message) => {
      const specs = message.tabs as TabSpec[];
      const concurrency = Number(message.concurrency ?? 50);
      const errors: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
          while (next < specs.length) {
            const spec = specs[next++];
            try {
              remember(await openTab(spec));
            } catch (error) {
              errors.push(error instanceof Error ? error.message : String(error));
            }
          }
        }),
      );
      return { opened: specs.length - errors.length, errors: errors.slice(0, 5) };
    },
    /** Waits until every measured tab of the user has `version`, or `timeoutMs`. */
    collectUpdate: async (message): Promise<Receipts> => {
      const user = String(message.user);
      const version = Number(message.version);
      const state = String(message.state);
      const own = mainTabsOf(user);
      await until(() => own.every((tab) => tab.version >= version), Number(message.timeoutMs));
      const got = own.filter((tab) => tab.version >= version);
      return {
        times: got.map((tab) => tab.updatedAt),
        missing: own.length - got.length,
        wrong: got.filter((tab) => tab.regionState !== state).length,
      };
    },
    /** Waits until every measured tab of the user has ping `seq`, or `timeoutMs`. */
    collectPing: async (message): Promise<Receipts> => {
      const user = String(message.user);
      const seq = Number(message.seq);
      const own = mainTabsOf(user);
      await until(() => own.every((tab) => tab.pingSeq >= seq), Number(message.timeoutMs));
      const got = own.filter((tab) => tab.pingSeq >= seq);
      return { times: got.map((tab) => tab.pingAt), missing: own.length - got.length, wrong: 0 };
    },
    /** Waits until every tab of the group is disconnected, or `timeoutMs`; then closes them. */
    collectRevoke: async (message): Promise<RevokeReceipts> => {
      const group = String(message.group);
      const own = byGroup.get(group) ?? [];
      await until(
        () => own.every((tab) => tab.disconnectedAt !== undefined),
        Number(message.timeoutMs),
      );
      const gone = own.filter((tab) => tab.disconnectedAt !== undefined);
      const result = {
        navigated: gone.flatMap((tab) => (tab.navigatedAt === undefined ? [] : [tab.navigatedAt])),
        disconnected: gone.map((tab) => tab.disconnectedAt!),
        missing: own.length - gone.length,
        missingNavigate: gone.filter(
          (tab) => tab.navigatedAt === undefined || tab.navigatedAt > tab.disconnectedAt!,
        ).length,
      };
      closeGroup(group);
      return result;
    },
    close: (message) => {
      closeGroup(String(message.group));
      return true;
    },
    status: () => ({
      tabs: tabs.size,
      connected: [...tabs].filter((tab) => tab.socket.connected).length,
      dropped,
    }),
    clock: () => clockOffset(),
  },
  async () => {
    for (const tab of tabs) {
      tab.socket.close();
    }
  },
);
