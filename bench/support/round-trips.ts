import { commandCallsOf, type RedisTestServer } from '@livegate/state/testing';

/**
 * Commands that are not part of a request: the counting itself, and the subscriber's liveness
 * pings, which run on a timer whatever the request rate.
 */
const NOT_PER_REQUEST = /^(info|config\|.*|ping|quit)$/;

/** Commands that make a round trip of their own only together with others (or inside a script). */
const NOT_OWN_ROUND_TRIP = /^(multi|exec|eval|evalsha|evalsha_ro|eval_ro|fcall|fcall_ro)$/;

export interface RoundTripCount {
  /** Commands per request, each one a round trip when `exact`. */
  perRequest: number;
  /** Calls per request of each command. */
  commands: Record<string, number>;
  /** False when scripts or transactions ran: then commands and round trips differ. */
  exact: boolean;
}

/** Commands per request from an `INFO commandstats` reply taken over `requests` requests. */
export function roundTripsFrom(info: string, requests: number): RoundTripCount {
  const commands: Record<string, number> = {};
  let total = 0;
  let exact = true;
  for (const [command, count] of Object.entries(commandCallsOf(info))) {
    if (NOT_PER_REQUEST.test(command)) {
      continue;
    }
    exact &&= !NOT_OWN_ROUND_TRIP.test(command);
    commands[command] = count / requests;
    total += count;
  }
  return { perRequest: total / requests, commands, exact };
}

/**
 * Counts the Redis commands of `requests` requests from `INFO commandstats`, reset just before.
 * Nothing else may use this Redis meanwhile.
 */
export async function countRoundTrips(
  redis: RedisTestServer,
  requests: number,
  send: () => Promise<void>,
): Promise<RoundTripCount> {
  await redis.command('CONFIG', 'RESETSTAT');
  await send();
  return roundTripsFrom(await redis.command('INFO', 'commandstats'), requests);
}
