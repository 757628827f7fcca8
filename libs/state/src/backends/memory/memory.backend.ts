import cluster from 'node:cluster';
import { StateConfigurationError } from '../../state.errors';
import type { ResolvedStateOptions } from '../../state.options';
import type { StateBackend } from '../state-backend';
import { MemoryChatStore } from './memory-chat.store';
import { MemoryConnectionRouter } from './memory-connection.router';
import { MemoryEventBus } from './memory-event.bus';
import { MemorySessionStore } from './memory-session.store';
import { MemoryTransientStore } from './memory-transient.store';
import { MemoryWidgetStore } from './memory-widget.store';

/** `sessionMaxLifetime` may be left out: it then takes the module's default. */
export type MemoryBackendOptions = Pick<
  ResolvedStateOptions,
  'widgetTtl' | 'connectionTtl' | 'sessionTtl' | 'workerId' | 'sweepInterval'
> &
  Partial<Pick<ResolvedStateOptions, 'sessionMaxLifetime'>>;

/**
 * Every store in process memory, with a periodic sweep that frees expired items. Refuses to start
 * in a `node:cluster` worker: each worker would hold sessions, widgets and events of its own, so a
 * request served by another worker would not see them.
 */
export async function createMemoryBackend(options: MemoryBackendOptions): Promise<StateBackend> {
  if (cluster.isWorker) {
    throw new StateConfigurationError(
      `The memory state backend cannot run in a node:cluster worker (worker ${cluster.worker?.id}): ` +
        'every worker would keep sessions, widgets and events of its own. Use the Redis backend ' +
        '(LIVEGATE_DEPLOY__STATE_BACKEND=redis) to share all state between workers, or the SQLite ' +
        'backend (LIVEGATE_DEPLOY__STATE_BACKEND=sqlite) to share widgets, sessions and chats ' +
        'between the processes of one machine.',
    );
  }
  const widgets = new MemoryWidgetStore(options.widgetTtl);
  const connections = new MemoryConnectionRouter(options.connectionTtl);
  const sessions = new MemorySessionStore({
    sessionTtl: options.sessionTtl,
    sessionMaxLifetime: options.sessionMaxLifetime,
  });
  const events = new MemoryEventBus(options.workerId);
  const chats = new MemoryChatStore();
  const transient = new MemoryTransientStore();

  // Reads already hide expired items; the sweep only gives their memory back.
  const sweeper = setInterval(() => {
    const now = Date.now();
    widgets.sweep(now);
    connections.sweep(now);
    sessions.sweep(now);
    transient.sweep(now);
  }, options.sweepInterval * 1000);
  sweeper.unref();

  return {
    name: 'memory',
    widgets,
    events,
    connections,
    sessions,
    chats,
    transient,
    // Nothing outside this process can fail.
    health: async () => ({ status: 'up' }),
    async close() {
      clearInterval(sweeper);
      events.clear();
    },
  };
}
