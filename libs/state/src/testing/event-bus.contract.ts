import type { EventHandler, StateEvent } from '../events/event.models';
import { EventBus } from '../events/event-bus';
import {
  DEFAULT_CONTRACT_TTLS,
  expectTimeWithin,
  expectValidationError,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';
import { sleep, waitFor } from './wait';

/** Longest wait for a delivery that should happen. */
const DELIVERY_TIMEOUT_MS = 2000;
/** How long to watch for a delivery that should not happen. */
const QUIET_PERIOD_MS = 100;

/** A handler that records what it receives. */
function recorder(): { events: StateEvent[]; handler: EventHandler } {
  const events: StateEvent[] = [];
  return { events, handler: (event) => void events.push(event) };
}

function waitForCount(events: readonly unknown[], count: number, description: string) {
  return waitFor(() => events.length >= count, {
    timeoutMs: DELIVERY_TIMEOUT_MS,
    description: `${description} (${count} event(s))`,
  });
}

/** The behaviour every `EventBus` backend must show. */
export function describeEventBusContract(
  backendName: string,
  factory: ContractFactory<EventBus>,
): void {
  describe(`EventBus contract (${backendName})`, () => {
    const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);

    it('is an EventBus', () => {
      expect(subject()).toBeInstanceOf(EventBus);
    });

    it('delivers a published event to a subscriber, with every field filled in', async () => {
      const bus = subject();
      const subscriber = recorder();
      await bus.subscribe('channel-1', subscriber.handler);

      const data = { value: 1, list: [1, 'two', null], nested: { ok: true } };
      const before = Date.now();
      const sent = await bus.publish('channel-1', {
        eventType: 'update',
        widgetId: 'w1',
        data,
        targetWorkerId: 'worker-b',
      });
      const after = Date.now();

      expect(sent.eventType).toBe('update');
      expect(sent.widgetId).toBe('w1');
      expect(sent.data).toEqual({ value: 1, list: [1, 'two', null], nested: { ok: true } });
      expect(sent.targetWorkerId).toBe('worker-b');
      expect(typeof sent.sourceWorkerId).toBe('string');
      expect(sent.sourceWorkerId.length).toBeGreaterThan(0);
      expect(typeof sent.messageId).toBe('string');
      expect(sent.messageId.length).toBeGreaterThan(0);
      expectTimeWithin(sent.timestamp, before, after);

      await waitForCount(subscriber.events, 1, 'delivery');
      expect(subscriber.events[0]).toEqual(sent);

      // Delivered once, not once per something.
      await sleep(QUIET_PERIOD_MS);
      expect(subscriber.events).toHaveLength(1);
    });

    it('sets widgetId and targetWorkerId to null when omitted, and a new messageId per publish', async () => {
      const bus = subject();
      const subscriber = recorder();
      await bus.subscribe('channel-1', subscriber.handler);

      const first = await bus.publish('channel-1', { eventType: 'ping', data: { n: 1 } });
      const second = await bus.publish('channel-1', { eventType: 'ping', data: { n: 2 } });

      for (const event of [first, second]) {
        expect(event.widgetId).toBeNull();
        expect(event.targetWorkerId).toBeNull();
        expect(typeof event.messageId).toBe('string');
      }
      expect(first.messageId).not.toBe(second.messageId);
      expect(first.sourceWorkerId).toBe(second.sourceWorkerId);

      await waitForCount(subscriber.events, 2, 'delivery');
      const delivered = [...subscriber.events].sort((x, y) =>
        x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : 0,
      );
      const published = [first, second].sort((x, y) =>
        x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : 0,
      );
      expect(delivered).toEqual(published);
      for (const event of subscriber.events) {
        expect(event.widgetId).toBeNull();
        expect(event.targetWorkerId).toBeNull();
      }
    });

    it('delivers nothing to handlers of other channels', async () => {
      const bus = subject();
      const target = recorder();
      const other = recorder();
      const prefix = recorder();
      await bus.subscribe('channel-a', target.handler);
      await bus.subscribe('channel-b', other.handler);
      await bus.subscribe('channel', prefix.handler);

      await bus.publish('channel-a', { eventType: 'only-a' });
      await waitForCount(target.events, 1, 'delivery on channel-a');
      await sleep(QUIET_PERIOD_MS);

      expect(target.events.map((event) => event.eventType)).toEqual(['only-a']);
      expect(other.events).toEqual([]);
      expect(prefix.events).toEqual([]);
    });

    it('delivers the event to every handler of the channel', async () => {
      const bus = subject();
      const first = recorder();
      const second = recorder();
      await bus.subscribe('channel-1', first.handler);
      await bus.subscribe('channel-1', second.handler);

      const sent = await bus.publish('channel-1', { eventType: 'fan-out', data: [1, 2, 3] });
      await waitForCount(first.events, 1, 'delivery to the first handler');
      await waitForCount(second.events, 1, 'delivery to the second handler');

      expect(first.events).toEqual([sent]);
      expect(second.events).toEqual([sent]);
    });

    it('unsubscribe stops delivery to that handler only', async () => {
      const bus = subject();
      const removed = recorder();
      const kept = recorder();
      const unsubscribe = await bus.subscribe('channel-1', removed.handler);
      await bus.subscribe('channel-1', kept.handler);

      await unsubscribe();
      await bus.publish('channel-1', { eventType: 'after-unsubscribe' });
      await waitForCount(kept.events, 1, 'delivery to the remaining handler');
      await sleep(QUIET_PERIOD_MS);

      expect(removed.events).toEqual([]);
      expect(kept.events.map((event) => event.eventType)).toEqual(['after-unsubscribe']);

      // Unsubscribing twice is harmless.
      await expect(unsubscribe()).resolves.toBeUndefined();
    });

    it('a throwing or rejecting handler affects neither other handlers nor the publisher', async () => {
      const bus = subject();
      let throwingCalls = 0;
      let rejectingCalls = 0;
      const healthy = recorder();
      await bus.subscribe('channel-1', () => {
        throwingCalls += 1;
        throw new Error('handler failure (expected by the contract test)');
      });
      await bus.subscribe('channel-1', async () => {
        rejectingCalls += 1;
        await sleep(1);
        throw new Error('async handler failure (expected by the contract test)');
      });
      await bus.subscribe('channel-1', healthy.handler);

      const first = await bus.publish('channel-1', { eventType: 'first' });
      await waitForCount(healthy.events, 1, 'first delivery to the healthy handler');
      const second = await bus.publish('channel-1', { eventType: 'second' });
      await waitForCount(healthy.events, 2, 'second delivery to the healthy handler');
      await waitFor(() => throwingCalls === 2 && rejectingCalls === 2, {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        description: 'both failing handlers to be called twice',
      });

      expect(healthy.events).toEqual([first, second]);
      expect(throwingCalls).toBe(2);
      expect(rejectingCalls).toBe(2);
    });

    it('delivers data as a JSON copy of what was published', async () => {
      const bus = subject();
      const subscriber = recorder();
      await bus.subscribe('channel-1', subscriber.handler);

      const data = {
        count: 1,
        nested: { list: [1, 2] as number[] },
        when: new Date(0),
        dropped: undefined,
      };
      const expected = { count: 1, nested: { list: [1, 2] }, when: '1970-01-01T00:00:00.000Z' };
      await bus.publish('channel-1', { eventType: 'copy', data });
      data.count = 2;
      data.nested.list.push(3);

      await waitForCount(subscriber.events, 1, 'delivery');
      expect(subscriber.events[0].data).toEqual(expected);
      expect(Object.keys(subscriber.events[0].data as object).sort()).toEqual([
        'count',
        'nested',
        'when',
      ]);
    });

    it('rejects bad channels, event types and data with a StateValidationError and sends nothing', async () => {
      const bus = subject();
      const subscriber = recorder();
      await bus.subscribe('channel-1', subscriber.handler);
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;

      await expectValidationError(() => bus.publish('', { eventType: 'x' }));
      await expectValidationError(() => bus.publish('bad\nchannel', { eventType: 'x' }));
      await expectValidationError(() => bus.publish('bad\u0000channel', { eventType: 'x' }));
      await expectValidationError(() => bus.publish('c'.repeat(257), { eventType: 'x' }));
      await expectValidationError(() => bus.publish('channel-1', { eventType: '' }));
      await expectValidationError(() =>
        bus.publish('channel-1', { eventType: 'bigint', data: { n: BigInt(1) } }),
      );
      await expectValidationError(() =>
        bus.publish('channel-1', { eventType: 'circular', data: circular }),
      );
      await expectValidationError(() => bus.subscribe('', () => undefined));

      // A valid event published afterwards is the only one delivered.
      await bus.publish('channel-1', { eventType: 'ok' });
      await waitForCount(subscriber.events, 1, 'delivery of the valid event');
      await sleep(QUIET_PERIOD_MS);
      expect(subscriber.events.map((event) => event.eventType)).toEqual(['ok']);
    });
  });
}
