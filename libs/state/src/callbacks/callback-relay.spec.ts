import { Logger } from '@nestjs/common';
import { MemoryEventBus } from '../backends/memory/memory-event.bus';
import type { StateEvent } from '../events/event.models';
import { workerChannel } from '../events/worker-channels';
import { StateValidationError } from '../state.errors';
import { waitFor } from '../testing/wait';
import { CALLBACK_REQUEST_EVENT, CallbackRelay } from './callback-relay';
import { CallbackRegistry } from './callback-registry';

/** One worker: its registry and relay, fed by its own channel as `StateService` feeds them. */
interface Worker {
  registry: CallbackRegistry;
  relay: CallbackRelay;
  others: StateEvent[];
}

describe('CallbackRelay', () => {
  let bus: MemoryEventBus;
  let stops: (() => Promise<void>)[];

  async function worker(workerId: string, callbackTimeout = 2): Promise<Worker> {
    const registry = new CallbackRegistry();
    const relay = new CallbackRelay(bus, registry, { workerId, callbackTimeout });
    const others: StateEvent[] = [];
    stops.push(
      await bus.subscribe(workerChannel(workerId), (event) => {
        if (relay.isProtocolEvent(event)) {
          return relay.receive(event);
        }
        others.push(event);
      }),
    );
    return { registry, relay, others };
  }

  beforeEach(() => {
    bus = new MemoryEventBus('bus');
    stops = [];
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(stops.map((stop) => stop()));
  });

  it('runs the callback on the owning worker and brings its outcome back', async () => {
    const a = await worker('worker-a');
    const b = await worker('worker-b');
    b.registry.register('grid', 'double', (data: unknown) => (data as { n: number }).n * 2);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    b.registry.register('grid', 'boom', () => {
      throw new Error('exploded');
    });

    await expect(a.relay.invoke('worker-b', 'grid', 'double', { n: 21 })).resolves.toEqual({
      handled: true,
      result: 42,
    });
    await expect(a.relay.invoke('worker-b', 'grid', 'boom', null)).resolves.toEqual({
      handled: false,
      reason: 'callback_error',
      error: 'exploded',
    });
    await expect(a.relay.invoke('worker-b', 'grid', 'missing', null)).resolves.toEqual({
      handled: false,
      reason: 'no_callback',
    });
    // Concurrent calls are told apart by their correlation ids.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) => a.relay.invoke('worker-b', 'grid', 'double', { n })),
    );
    expect(results).toEqual(
      Array.from({ length: 20 }, (_, n) => ({ handled: true, result: n * 2 })),
    );
    // Protocol events never reach the workers' other listeners.
    expect([...a.others, ...b.others]).toEqual([]);
  });

  it('answers not_delivered when the owner does not reply within the timeout', async () => {
    const a = await worker('worker-a', 0.2);
    const started = Date.now();
    const outcome = await a.relay.invoke('worker-gone', 'grid', 'double', {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(outcome).toEqual({
      handled: false,
      reason: 'not_delivered',
      error: 'Worker worker-gone did not answer within 200 ms',
    });
  });

  it('settles waiting calls with not_delivered on close', async () => {
    const a = await worker('worker-a', 30);
    const pending = a.relay.invoke('worker-gone', 'grid', 'double', {});
    a.relay.close();
    await expect(pending).resolves.toEqual({
      handled: false,
      reason: 'not_delivered',
      error: 'The worker is shutting down',
    });
  });

  it('rejects request data that cannot be sent, and reports results that cannot', async () => {
    const a = await worker('worker-a');
    const b = await worker('worker-b');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(a.relay.invoke('worker-b', 'grid', 'x', cycle)).rejects.toBeInstanceOf(
      StateValidationError,
    );
    b.registry.register('grid', 'cyclic', () => cycle);
    await expect(a.relay.invoke('worker-b', 'grid', 'cyclic', null)).resolves.toEqual({
      handled: false,
      reason: 'callback_error',
      error: 'The callback result cannot be sent as JSON',
    });
  });

  it('ignores malformed requests and stray replies', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const b = await worker('worker-b');
    let ran = 0;
    b.registry.register('grid', 'count', () => (ran += 1));
    await bus.publish(workerChannel('worker-b'), {
      eventType: CALLBACK_REQUEST_EVENT,
      widgetId: 'grid',
      data: { eventType: 'count' },
    });
    await waitFor(() => warn.mock.calls.length === 1);
    expect(String(warn.mock.calls[0][0])).toContain('malformed callback request');
    await b.relay.receive({
      eventType: 'livegate:callback:reply',
      widgetId: 'grid',
      data: { correlationId: 'unknown', outcome: { handled: true, result: 1 } },
      sourceWorkerId: 'x',
      targetWorkerId: 'worker-b',
      timestamp: Date.now(),
      messageId: 'm',
    });
    expect(ran).toBe(0);
  });
});
