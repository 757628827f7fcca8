import type { ResolvedStateOptions } from '../../state.options';
import type { StateBackend } from '../state-backend';
import { MemoryChatStore } from './memory-chat.store';
import { MemoryConnectionRouter } from './memory-connection.router';
import { MemoryEventBus } from './memory-event.bus';
import { MemorySessionStore } from './memory-session.store';
import { MemoryWidgetStore } from './memory-widget.store';

export type MemoryBackendOptions = Pick<
  ResolvedStateOptions,
  'widgetTtl' | 'connectionTtl' | 'sessionTtl' | 'workerId' | 'sweepInterval'
>;

/** Every store in process memory, with a periodic sweep that frees expired items. */
export async function createMemoryBackend(options: MemoryBackendOptions): Promise<StateBackend> {
  const widgets = new MemoryWidgetStore(options.widgetTtl);
  const connections = new MemoryConnectionRouter(options.connectionTtl);
  const sessions = new MemorySessionStore(options.sessionTtl);
  const events = new MemoryEventBus(options.workerId);
  const chats = new MemoryChatStore();

  // Reads already hide expired items; the sweep only gives their memory back.
  const sweeper = setInterval(() => {
    const now = Date.now();
    widgets.sweep(now);
    connections.sweep(now);
    sessions.sweep(now);
  }, options.sweepInterval * 1000);
  sweeper.unref();

  return {
    name: 'memory',
    widgets,
    events,
    connections,
    sessions,
    chats,
    async close() {
      clearInterval(sweeper);
      events.clear();
    },
  };
}
