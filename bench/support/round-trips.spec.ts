import { roundTripsFrom } from './round-trips';

const info = (lines: string[]) =>
  `# Commandstats\r\n${lines.map((line) => `${line},usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=0`).join('\r\n')}\r\n`;

describe('roundTripsFrom', () => {
  it('counts commands per request, leaving out the counting itself and liveness pings', () => {
    const count = roundTripsFrom(
      info([
        'cmdstat_get:calls=100',
        'cmdstat_expire:calls=100',
        'cmdstat_ping:calls=7',
        'cmdstat_info:calls=1',
        'cmdstat_config|resetstat:calls=1',
        'cmdstat_quit:calls=1',
      ]),
      100,
    );
    expect(count).toEqual({ perRequest: 2, commands: { get: 1, expire: 1 }, exact: true });
  });

  it('reports nothing when no command reached Redis', () => {
    expect(roundTripsFrom(info(['cmdstat_ping:calls=3']), 50)).toEqual({
      perRequest: 0,
      commands: {},
      exact: true,
    });
  });

  it('says when scripts or transactions make commands and round trips differ', () => {
    const count = roundTripsFrom(info(['cmdstat_evalsha:calls=10', 'cmdstat_hget:calls=20']), 10);
    expect(count.perRequest).toBe(3);
    expect(count.exact).toBe(false);
  });
});
