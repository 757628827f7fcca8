import { ConnectionRouter } from '../connections/connection-router';
import {
  DEFAULT_CONTRACT_TTLS,
  SHORT_CONTRACT_TTLS,
  expectTimeWithin,
  expectValidationError,
  sleepUntilPast,
  unchecked,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';
import { sleep, waitFor } from './wait';

const sorted = (values: string[]): string[] => [...values].sort();

/** The behaviour every `ConnectionRouter` backend must show. */
export function describeConnectionRouterContract(
  backendName: string,
  factory: ContractFactory<ConnectionRouter>,
): void {
  describe(`ConnectionRouter contract (${backendName})`, () => {
    describe('with a long TTL', () => {
      const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);
      const ttlMs = DEFAULT_CONTRACT_TTLS.connectionTtl * 1000;

      it('is a ConnectionRouter', () => {
        expect(subject()).toBeInstanceOf(ConnectionRouter);
      });

      it('registerConnection returns the connection and the getters read it back', async () => {
        const router = subject();
        const before = Date.now();
        const info = await router.registerConnection('w1', 'worker-a', {
          userId: 'user-1',
          sessionId: 'session-1',
        });
        const after = Date.now();

        expect(info.widgetId).toBe('w1');
        expect(info.workerId).toBe('worker-a');
        expect(info.userId).toBe('user-1');
        expect(info.sessionId).toBe('session-1');
        expectTimeWithin(info.connectedAt, before, after);
        expectTimeWithin(info.lastHeartbeat, before, after);
        expectTimeWithin(info.expiresAt, before + ttlMs, after + ttlMs);

        expect(await router.getConnectionInfo('w1')).toEqual(info);
        expect(await router.getOwner('w1')).toBe('worker-a');
        expect(await router.listWorkerConnections('worker-a')).toEqual(['w1']);
      });

      it('sets userId and sessionId to null when omitted, and reports unknown widgets as absent', async () => {
        const router = subject();
        const info = await router.registerConnection('w1', 'worker-a');

        expect(info.userId).toBeNull();
        expect(info.sessionId).toBeNull();
        expect(await router.getConnectionInfo('w1')).toEqual(info);

        expect(await router.getConnectionInfo('unknown')).toBeNull();
        expect(await router.getOwner('unknown')).toBeNull();
        expect(await router.listWorkerConnections('worker-without-connections')).toEqual([]);
      });

      it('registering again on another worker moves the connection to it', async () => {
        const router = subject();
        await router.registerConnection('w1', 'worker-a', { userId: 'user-1' });
        await router.registerConnection('w2', 'worker-a');

        const moved = await router.registerConnection('w1', 'worker-b');

        expect(moved.workerId).toBe('worker-b');
        expect(moved.userId).toBeNull();
        expect(await router.getOwner('w1')).toBe('worker-b');
        expect(await router.getConnectionInfo('w1')).toEqual(moved);
        expect(await router.listWorkerConnections('worker-a')).toEqual(['w2']);
        expect(await router.listWorkerConnections('worker-b')).toEqual(['w1']);
      });

      it('refreshHeartbeat renews a live connection', async () => {
        const router = subject();
        const original = await router.registerConnection('w1', 'worker-a', { userId: 'user-1' });
        await sleep(20);

        const before = Date.now();
        expect(await router.refreshHeartbeat('w1')).toBe(true);
        const after = Date.now();

        const refreshed = (await router.getConnectionInfo('w1'))!;
        expect(refreshed.lastHeartbeat).toBeGreaterThan(original.lastHeartbeat);
        expect(refreshed.expiresAt).toBeGreaterThan(original.expiresAt);
        expectTimeWithin(refreshed.lastHeartbeat, before, after);
        expectTimeWithin(refreshed.expiresAt, before + ttlMs, after + ttlMs);
        expect(refreshed.connectedAt).toBe(original.connectedAt);
        expect(refreshed.workerId).toBe('worker-a');
        expect(refreshed.userId).toBe('user-1');
        expect(await router.getOwner('w1')).toBe('worker-a');
      });

      it('unregisterConnection returns true, then false, and a heartbeat does not bring it back', async () => {
        const router = subject();
        await router.registerConnection('w1', 'worker-a');
        await router.registerConnection('w2', 'worker-a');

        expect(await router.unregisterConnection('w1')).toBe(true);
        expect(await router.getConnectionInfo('w1')).toBeNull();
        expect(await router.getOwner('w1')).toBeNull();
        expect(await router.listWorkerConnections('worker-a')).toEqual(['w2']);
        expect(await router.unregisterConnection('w1')).toBe(false);

        expect(await router.refreshHeartbeat('w1')).toBe(false);
        expect(await router.getOwner('w1')).toBeNull();
        expect(await router.getConnectionInfo('w1')).toBeNull();
        expect(await router.listWorkerConnections('worker-a')).toEqual(['w2']);

        expect(await router.unregisterConnection('never-registered')).toBe(false);
        expect(await router.refreshHeartbeat('never-registered')).toBe(false);
        expect(await router.getOwner('never-registered')).toBeNull();
      });

      it("listWorkerConnections lists each worker's own connections", async () => {
        const router = subject();
        await router.registerConnection('w1', 'worker-a');
        await router.registerConnection('w2', 'worker-b');
        await router.registerConnection('w3', 'worker-a');
        await router.registerConnection('w4', 'worker-a');

        expect(sorted(await router.listWorkerConnections('worker-a'))).toEqual(['w1', 'w3', 'w4']);
        expect(await router.listWorkerConnections('worker-b')).toEqual(['w2']);
        expect(await router.listWorkerConnections('worker-c')).toEqual([]);

        await router.unregisterConnection('w3');
        expect(sorted(await router.listWorkerConnections('worker-a'))).toEqual(['w1', 'w4']);
      });

      it('accepts ids of exactly 256 characters and unicode ids', async () => {
        const router = subject();
        const longWidget = 'w'.repeat(256);
        const longWorker = 'k'.repeat(256);

        await router.registerConnection(longWidget, longWorker, { userId: 'u'.repeat(256) });
        await router.registerConnection('wïdget-✓', 'wörker-✓', { userId: 'üser-✓' });

        expect(await router.getOwner(longWidget)).toBe(longWorker);
        expect(await router.listWorkerConnections(longWorker)).toEqual([longWidget]);
        expect(await router.getOwner('wïdget-✓')).toBe('wörker-✓');
        expect((await router.getConnectionInfo('wïdget-✓'))!.userId).toBe('üser-✓');
        expect(await router.listWorkerConnections('wörker-✓')).toEqual(['wïdget-✓']);
      });

      it('rejects invalid ids with a StateValidationError and changes nothing', async () => {
        const router = subject();
        await router.registerConnection('keep', 'worker-a');
        const badIds = [
          '',
          'x'.repeat(257),
          'line\nbreak',
          'nul\u0000byte',
          ' leading',
          'trailing ',
        ];

        for (const badId of badIds) {
          await expectValidationError(() => router.registerConnection(badId, 'worker-a'));
          await expectValidationError(() => router.registerConnection('w-new', badId));
          await expectValidationError(() => router.getConnectionInfo(badId));
          await expectValidationError(() => router.getOwner(badId));
          await expectValidationError(() => router.refreshHeartbeat(badId));
          await expectValidationError(() => router.unregisterConnection(badId));
          await expectValidationError(() => router.listWorkerConnections(badId));
        }
        for (const badId of ['x'.repeat(257), 'line\nbreak', 'nul\u0000byte', ' leading']) {
          await expectValidationError(() =>
            router.registerConnection('w-new', 'worker-a', { userId: badId }),
          );
          await expectValidationError(() =>
            router.registerConnection('w-new', 'worker-a', { sessionId: badId }),
          );
        }
        await expectValidationError(() =>
          router.registerConnection('w-new', 'worker-a', { userId: unchecked<string>(42) }),
        );
        await expectValidationError(() =>
          router.registerConnection(unchecked<string>(42), 'worker-a'),
        );

        expect(await router.getOwner('w-new')).toBeNull();
        expect(await router.getConnectionInfo('w-new')).toBeNull();
        expect(await router.listWorkerConnections('worker-a')).toEqual(['keep']);
        expect(await router.getOwner('keep')).toBe('worker-a');
      });
    });

    describe('with a short TTL', () => {
      const subject = useContractSubject(factory, SHORT_CONTRACT_TTLS);
      const ttlMs = SHORT_CONTRACT_TTLS.connectionTtl * 1000;

      it('hides expired connections, a heartbeat keeps one alive, and nothing resurrects', async () => {
        const router = subject();
        const before = Date.now();
        const a = await router.registerConnection('w-a', 'worker-a');
        const b = await router.registerConnection('w-b', 'worker-a');
        const c = await router.registerConnection('w-c', 'worker-b');
        const after = Date.now();
        expectTimeWithin(a.expiresAt, before + ttlMs, after + ttlMs);

        // Halfway through the TTL, a heartbeat renews w-b only.
        await sleep(ttlMs / 2);
        expect(await router.refreshHeartbeat('w-b')).toBe(true);
        const renewed = (await router.getConnectionInfo('w-b'))!;
        expect(renewed.expiresAt).toBeGreaterThan(b.expiresAt);

        await waitFor(
          async () =>
            (await router.getOwner('w-a')) === null && (await router.getOwner('w-c')) === null,
          { timeoutMs: ttlMs + 2000, description: 'w-a and w-c to expire' },
        );
        await sleepUntilPast(Math.max(b.expiresAt, c.expiresAt));

        // w-b outlives its original expiry thanks to the heartbeat.
        expect(await router.getOwner('w-b')).toBe('worker-a');
        expect(await router.getConnectionInfo('w-b')).not.toBeNull();

        expect(await router.getConnectionInfo('w-a')).toBeNull();
        expect(await router.getConnectionInfo('w-c')).toBeNull();
        expect(await router.listWorkerConnections('worker-a')).toEqual(['w-b']);
        expect(await router.listWorkerConnections('worker-b')).toEqual([]);

        // A heartbeat after expiry fails and brings nothing back.
        expect(await router.refreshHeartbeat('w-a')).toBe(false);
        expect(await router.refreshHeartbeat('w-c')).toBe(false);
        expect(await router.getOwner('w-a')).toBeNull();
        expect(await router.getConnectionInfo('w-c')).toBeNull();
        expect(await router.listWorkerConnections('worker-a')).toEqual(['w-b']);
        expect(await router.listWorkerConnections('worker-b')).toEqual([]);
        expect(await router.unregisterConnection('w-a')).toBe(false);
      });
    });
  });
}
