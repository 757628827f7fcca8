import { createMemoryBackend } from './memory.backend';
import { MemoryConnectionRouter } from './memory-connection.router';
import { MemorySessionStore } from './memory-session.store';
import { MemoryWidgetStore } from './memory-widget.store';

describe('createMemoryBackend', () => {
  const options = {
    widgetTtl: 10,
    connectionTtl: 10,
    sessionTtl: 10,
    workerId: 'w',
    sweepInterval: 5,
  };

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('sweeps every expiring store periodically with an unref timer, until closed', async () => {
    jest.useFakeTimers();
    const swept = [
      jest.spyOn(MemoryWidgetStore.prototype, 'sweep'),
      jest.spyOn(MemoryConnectionRouter.prototype, 'sweep'),
      jest.spyOn(MemorySessionStore.prototype, 'sweep'),
    ];
    const setInterval = jest.spyOn(global, 'setInterval');
    const backend = await createMemoryBackend(options);
    const timer = setInterval.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);

    jest.advanceTimersByTime(5_000);
    for (const sweep of swept) {
      expect(sweep).toHaveBeenCalledTimes(1);
    }

    await backend.close();
    jest.advanceTimersByTime(20_000);
    for (const sweep of swept) {
      expect(sweep).toHaveBeenCalledTimes(1);
    }
  });

  it('frees expired items from memory through the timer', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const backend = await createMemoryBackend(options);
    const widgets = backend.widgets as MemoryWidgetStore;
    const sessions = backend.sessions as MemorySessionStore;
    await widgets.register('w1', 'x');
    await sessions.createSession({ sessionId: 's1', userId: 'u', ttl: 1 });
    await sessions.createSession({ sessionId: 's2', userId: 'u', ttl: 60 });

    jest.advanceTimersByTime(11_000);
    // The timer (every 5 s) has already freed both expired items: nothing is left to sweep.
    expect(widgets.sweep()).toBe(0);
    expect(sessions.sweep()).toBe(0);
    expect(await sessions.listUserSessions('u')).toEqual([
      expect.objectContaining({ sessionId: 's2' }),
    ]);
    await backend.close();
  });
});
