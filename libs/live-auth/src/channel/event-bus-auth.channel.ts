import { Injectable } from '@nestjs/common';
import { EventBus, StateValidationError, assertId, type Unsubscribe } from '@livegate/state';
import { AuthChannel, type PrincipalUpdate } from './auth-channel';
import { sessionKeyOf, type AuthEvent, type AuthEventHandler } from './auth-event';

/** The event type of auth events on the bus. */
const AUTH_EVENT_TYPE = 'livegate.auth';
/** Most sessions one `revoke` event names. */
const MAX_REVOKED_SESSIONS = 1000;

/** The bus channel of a user's auth events. */
export function authChannelOf(userId: string): string {
  return `live-auth:${userId}`;
}

function assertVersion(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StateValidationError('claimsVersion', 'must be a whole number, 0 or more');
  }
}

/** Whether a received event is one this channel sent, in shape; anything else is dropped. */
function isAuthEvent(value: unknown, userId: string): value is AuthEvent {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const event = value as Partial<AuthEvent> & Record<string, unknown>;
  if (event.userId !== userId || typeof event.claimsVersion !== 'number') {
    return false;
  }
  if (event.kind === 'revoke') {
    return (
      event.sessionKeys === undefined ||
      (Array.isArray(event.sessionKeys) &&
        event.sessionKeys.every((key) => typeof key === 'string'))
    );
  }
  if (event.kind !== 'update') {
    return false;
  }
  const claimsOk = (claims: unknown) =>
    Array.isArray(claims) &&
    claims.every(
      (claim) =>
        typeof claim === 'object' &&
        claim !== null &&
        typeof (claim as { type?: unknown }).type === 'string' &&
        typeof (claim as { value?: unknown }).value === 'string',
    );
  if (event.claims !== undefined) {
    return claimsOk(event.claims);
  }
  const principal = event.principal as Record<string, unknown> | undefined;
  return (
    typeof principal === 'object' &&
    principal !== null &&
    principal.userId === userId &&
    claimsOk(principal.claims)
  );
}

/**
 * `AuthChannel` on state's `EventBus`: one bus channel per user (`live-auth:<userId>`), so on
 * Redis a worker receives only the events of users it holds connections of.
 */
@Injectable()
export class EventBusAuthChannel extends AuthChannel {
  constructor(private readonly bus: EventBus) {
    super();
  }

  async subscribe(userId: string, handler: AuthEventHandler): Promise<Unsubscribe> {
    assertId('userId', userId);
    if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function');
    }
    return this.bus.subscribe<AuthEvent>(authChannelOf(userId), async (event) => {
      if (event.eventType === AUTH_EVENT_TYPE && isAuthEvent(event.data, userId)) {
        await handler(event.data);
      }
    });
  }

  async updatePrincipal(userId: string, update: PrincipalUpdate): Promise<void> {
    assertId('userId', userId);
    assertVersion(update?.claimsVersion);
    let event: AuthEvent;
    if ('principal' in update && update.principal) {
      const { principal } = update;
      if (principal.userId !== userId) {
        throw new StateValidationError('principal', 'must be the principal of this user');
      }
      event = {
        kind: 'update',
        userId,
        claimsVersion: update.claimsVersion,
        principal: {
          userId,
          name: principal.name,
          claims: principal.claims.map(({ type, value }) => ({ type, value })),
        },
      };
    } else if ('claims' in update && Array.isArray(update.claims)) {
      event = {
        kind: 'update',
        userId,
        claimsVersion: update.claimsVersion,
        claims: update.claims.map(({ type, value }) => ({ type, value })),
      };
    } else {
      throw new StateValidationError('update', 'needs a principal or claims');
    }
    await this.send(event);
  }

  async revoke(
    userId: string,
    options: { sessionIds?: readonly string[]; claimsVersion?: number } = {},
  ): Promise<void> {
    assertId('userId', userId);
    const claimsVersion = options.claimsVersion ?? 0;
    assertVersion(claimsVersion);
    const { sessionIds } = options;
    if (sessionIds !== undefined) {
      if (!Array.isArray(sessionIds) || sessionIds.length > MAX_REVOKED_SESSIONS) {
        throw new StateValidationError(
          'sessionIds',
          `must be a list of at most ${MAX_REVOKED_SESSIONS} session ids`,
        );
      }
      sessionIds.forEach((id) => assertId('sessionIds', id));
    }
    await this.send({
      kind: 'revoke',
      userId,
      claimsVersion,
      ...(sessionIds ? { sessionKeys: sessionIds.map(sessionKeyOf) } : {}),
    });
  }

  private async send(event: AuthEvent): Promise<void> {
    await this.bus.publish(authChannelOf(event.userId), {
      eventType: AUTH_EVENT_TYPE,
      data: event,
    });
  }
}
