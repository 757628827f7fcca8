import { ClaimsPrincipal } from '@livegate/auth';
import { EventBus, StateValidationError } from '@livegate/state';
import { AuthChannel } from '../channel/auth-channel';
import { sessionKeyOf, type AuthEvent } from '../channel/auth-event';
import { authChannelOf } from '../channel/event-bus-auth.channel';

/**
 * Two views of one channel, as two workers have them (on memory, two channels on one bus), the
 * bus under the subscriber (to send raw messages), and how to dispose of them.
 */
export interface AuthChannelSubject {
  publisher: AuthChannel;
  subscriber: AuthChannel;
  bus: EventBus;
  teardown(): Promise<void>;
}

export type AuthChannelFactory = () => Promise<AuthChannelSubject>;

const DELIVERY_TIMEOUT_MS = 2000;
/** How long to watch for a delivery that should not happen. */
const QUIET_PERIOD_MS = 150;

const waitForNothing = () => new Promise((resolve) => setTimeout(resolve, QUIET_PERIOD_MS));

/** The behaviour every `AuthChannel` shows, on every state backend it runs on. */
export function describeAuthChannelContract(name: string, factory: AuthChannelFactory): void {
  describe(`AuthChannel contract (${name})`, () => {
    let subject: AuthChannelSubject;
    let received: AuthEvent[];
    let others: AuthEvent[];

    beforeEach(async () => {
      subject = await factory();
      received = [];
      others = [];
      await subject.subscriber.subscribe('alice', (event) => void received.push(event));
      await subject.subscriber.subscribe('bob', (event) => void others.push(event));
    });

    afterEach(async () => {
      await subject.teardown();
    });

    const delivered = async (count: number) => {
      const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
      while (received.length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(received).toHaveLength(count);
    };

    it('delivers claims with their version to the user subscribers only', async () => {
      await subject.publisher.updatePrincipal('alice', {
        claims: [
          { type: 'role', value: 'admin' },
          { type: 'tier', value: 'beta' },
        ],
        claimsVersion: 7,
      });
      await delivered(1);
      expect(received[0]).toEqual({
        kind: 'update',
        userId: 'alice',
        claimsVersion: 7,
        claims: [
          { type: 'role', value: 'admin' },
          { type: 'tier', value: 'beta' },
        ],
      });
      await waitForNothing();
      expect(others).toEqual([]);
    });

    it('delivers a whole principal', async () => {
      const principal = new ClaimsPrincipal({
        isAuthenticated: true,
        userId: 'alice',
        name: 'Alice',
        claims: [{ type: 'role', value: 'editor' }],
        raw: { secret: 'never sent' },
      });
      await subject.publisher.updatePrincipal('alice', { principal, claimsVersion: 3 });
      await delivered(1);
      expect(received[0]).toEqual({
        kind: 'update',
        userId: 'alice',
        claimsVersion: 3,
        principal: { userId: 'alice', name: 'Alice', claims: [{ type: 'role', value: 'editor' }] },
      });
    });

    it('names revoked sessions by their digest, never by their id', async () => {
      const sessionId = 'a'.repeat(43);
      const raw: string[] = [];
      await subject.bus.subscribe(authChannelOf('alice'), (event) => {
        raw.push(JSON.stringify(event));
      });
      await subject.publisher.revoke('alice', { sessionIds: [sessionId], claimsVersion: 2 });
      await delivered(1);
      expect(received[0]).toEqual({
        kind: 'revoke',
        userId: 'alice',
        claimsVersion: 2,
        sessionKeys: [sessionKeyOf(sessionId)],
      });
      expect(raw.join('')).not.toContain(sessionId);
    });

    it('revokes every session of the user when none is named', async () => {
      await subject.publisher.revoke('alice');
      await delivered(1);
      expect(received[0]).toEqual({ kind: 'revoke', userId: 'alice', claimsVersion: 0 });
    });

    it('stops delivering after unsubscribe', async () => {
      const late: AuthEvent[] = [];
      const unsubscribe = await subject.subscriber.subscribe('carol', (event) => {
        late.push(event);
      });
      await unsubscribe();
      await subject.publisher.revoke('carol');
      await waitForNothing();
      expect(late).toEqual([]);
    });

    it('drops messages on the channel that it did not send', async () => {
      const channel = authChannelOf('alice');
      for (const data of [
        { kind: 'revoke', userId: 'bob', claimsVersion: 1 },
        { kind: 'update', userId: 'alice' },
        { kind: 'update', userId: 'alice', claimsVersion: 1, claims: 'admin' },
        { kind: 'update', userId: 'alice', claimsVersion: 1, principal: { userId: 'bob' } },
        { kind: 'grant', userId: 'alice', claimsVersion: 1 },
        { kind: 'revoke', userId: 'alice', claimsVersion: 1, sessionKeys: [1] },
        null,
        'revoke',
      ]) {
        await subject.bus.publish(channel, { eventType: 'livegate.auth', data });
      }
      await subject.bus.publish(channel, {
        eventType: 'something-else',
        data: { kind: 'revoke', userId: 'alice', claimsVersion: 1 },
      });
      await waitForNothing();
      expect(received).toEqual([]);
    });

    it('refuses bad input and sends nothing', async () => {
      const principal = new ClaimsPrincipal({ isAuthenticated: true, userId: 'bob' });
      const attempts: (() => Promise<unknown>)[] = [
        () => subject.publisher.updatePrincipal('', { claims: [], claimsVersion: 1 }),
        () => subject.publisher.updatePrincipal('al\u0000ice', { claims: [], claimsVersion: 1 }),
        () => subject.publisher.updatePrincipal('alice', { claims: [], claimsVersion: -1 }),
        () => subject.publisher.updatePrincipal('alice', { claims: [], claimsVersion: 1.5 }),
        () => subject.publisher.updatePrincipal('alice', { principal, claimsVersion: 1 }),
        () => subject.publisher.updatePrincipal('alice', { claimsVersion: 1 } as never),
        () => subject.publisher.revoke('alice', { sessionIds: 'abc' as never }),
        () => subject.publisher.revoke('alice', { sessionIds: [''] }),
        () =>
          subject.publisher.revoke('alice', {
            sessionIds: Array.from({ length: 1001 }, (_, index) => `session-${index}`),
          }),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).rejects.toBeInstanceOf(StateValidationError);
      }
      await waitForNothing();
      expect(received).toEqual([]);
    });
  });
}
