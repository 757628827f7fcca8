import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveStateOptions, STATE_ENV_VARIABLES } from './state.config';
import { StateConfigurationError } from '../state.errors';

describe('resolveStateOptions', () => {
  it('uses the documented defaults when nothing is set', () => {
    const options = resolveStateOptions({}, {});
    expect(options).toMatchObject({
      backend: 'memory',
      redisUrl: 'redis://localhost:6379/0',
      redisPrefix: 'livegate',
      redisPoolSize: 1,
      sqlitePath: join(homedir(), '.config', 'livegate', 'livegate.db'),
      widgetTtl: 86400,
      connectionTtl: 300,
      sessionTtl: 86400,
      sessionCacheSize: 10000,
      sessionCacheTtl: 30,
      sweepInterval: 60,
    });
    expect(options.sqliteKey).toBeUndefined();
    expect(options.workerId).toMatch(/^[A-Za-z0-9_.-]+-\d+-[0-9a-f]{8}$/);
  });

  it('gives every process a different generated worker id', () => {
    expect(resolveStateOptions().workerId).not.toBe(resolveStateOptions().workerId);
  });

  it('reads every variable from the environment', () => {
    const options = resolveStateOptions(
      {},
      {
        STATE_BACKEND: 'Redis',
        REDIS_URL: 'redis://127.0.0.1:6390/2',
        REDIS_PREFIX: 'app-1',
        REDIS_POOL_SIZE: '4',
        SQLITE_PATH: '~/data/state.db',
        SQLITE_KEY: 'k3y',
        WIDGET_TTL: '60',
        CONNECTION_TTL: '30.5',
        SESSION_TTL: '3600',
        SESSION_CACHE_SIZE: '500',
        SESSION_CACHE_TTL: '2.5',
        WORKER_ID: 'worker-a',
      },
    );
    expect(options).toMatchObject({
      backend: 'redis',
      redisUrl: 'redis://127.0.0.1:6390/2',
      redisPrefix: 'app-1',
      redisPoolSize: 4,
      sqlitePath: join(homedir(), 'data', 'state.db'),
      sqliteKey: 'k3y',
      widgetTtl: 60,
      connectionTtl: 30.5,
      sessionTtl: 3600,
      sessionCacheSize: 500,
      sessionCacheTtl: 2.5,
      workerId: 'worker-a',
    });
  });

  it('lets explicit options win over the environment', () => {
    const options = resolveStateOptions(
      { backend: 'memory', sessionTtl: 10, workerId: 'explicit' },
      { STATE_BACKEND: 'redis', SESSION_TTL: '99', WORKER_ID: 'from-env', WIDGET_TTL: '7' },
    );
    expect(options.backend).toBe('memory');
    expect(options.sessionTtl).toBe(10);
    expect(options.workerId).toBe('explicit');
    expect(options.widgetTtl).toBe(7);
  });

  it('does not parse a variable that an explicit option replaces', () => {
    expect(resolveStateOptions({ sessionTtl: 5 }, { SESSION_TTL: 'nonsense' }).sessionTtl).toBe(5);
  });

  it.each([
    ['STATE_BACKEND', 'postgres'],
    ['REDIS_PREFIX', 'has space'],
    ['REDIS_POOL_SIZE', '0'],
    ['REDIS_POOL_SIZE', '101'],
    ['REDIS_POOL_SIZE', '2.5'],
    ['WIDGET_TTL', '0'],
    ['CONNECTION_TTL', '-1'],
    ['SESSION_TTL', 'abc'],
    ['SESSION_TTL', ''],
    ['WIDGET_TTL', 'Infinity'],
    ['WIDGET_TTL', '1e300'],
    ['SESSION_MAX_LIFETIME', '3153600001'],
    ['WORKER_ID', 'a b'],
    ['SQLITE_PATH', '  '],
    ['SESSION_CACHE_SIZE', '-1'],
    ['SESSION_CACHE_SIZE', '1000001'],
    ['SESSION_CACHE_SIZE', '10.5'],
    ['SESSION_CACHE_SIZE', ''],
    ['SESSION_CACHE_SIZE', 'many'],
    ['SESSION_CACHE_TTL', '0'],
    ['SESSION_CACHE_TTL', '-5'],
    ['SESSION_CACHE_TTL', 'soon'],
  ])('stops on %s=%j with a message naming the variable', (name, value) => {
    const attempt = () => resolveStateOptions({}, { [name]: value });
    expect(attempt).toThrow(StateConfigurationError);
    expect(attempt).toThrow(`LIVEGATE_DEPLOY__${name}=${JSON.stringify(value)}`);
  });

  it.each([
    ['REDIS_URL', 'http://user:pa55word@localhost'],
    ['REDIS_URL', 'redis//pa55word@localhost'],
    ['SQLITE_KEY', '   '],
  ])('stops on a bad %s naming it without echoing the secret value', (name, value) => {
    const attempt = () => resolveStateOptions({}, { [name]: value });
    expect(attempt).toThrow(StateConfigurationError);
    expect(attempt).toThrow(`LIVEGATE_DEPLOY__${name}=(hidden) must be`);
    expect(attempt).not.toThrow(value.trim() || value);
  });

  it('names every invalid variable at once', () => {
    const attempt = () => resolveStateOptions({}, { WIDGET_TTL: 'x', SESSION_TTL: '-3' });
    expect(attempt).toThrow(/LIVEGATE_DEPLOY__WIDGET_TTL=.*LIVEGATE_DEPLOY__SESSION_TTL=/);
  });

  it.each([
    [{ backend: 'mongo' }, 'option backend'],
    [{ widgetTtl: 0 }, 'option widgetTtl'],
    [{ sessionTtl: -10 }, 'option sessionTtl'],
    [{ connectionTtl: Number.NaN }, 'option connectionTtl'],
    [{ redisPoolSize: 1000 }, 'option redisPoolSize'],
    [{ sweepInterval: 0 }, 'option sweepInterval'],
    [{ workerId: '' }, 'option workerId'],
    [{ sessionCacheSize: -1 }, 'option sessionCacheSize'],
    [{ sessionCacheSize: 1.5 }, 'option sessionCacheSize'],
    [{ sessionCacheTtl: 0 }, 'option sessionCacheTtl'],
  ])('rejects the explicit option %j', (options, message) => {
    expect(() => resolveStateOptions(options as never, {})).toThrow(message);
  });

  it('keeps the SQLite database encrypted unless SQLITE_ENCRYPTED turns it off', () => {
    expect(resolveStateOptions({}, {}).sqliteEncrypted).toBe(true);
    expect(resolveStateOptions({}, { SQLITE_ENCRYPTED: 'false' }).sqliteEncrypted).toBe(false);
    expect(resolveStateOptions({}, { SQLITE_ENCRYPTED: ' 0 ' }).sqliteEncrypted).toBe(false);
    expect(resolveStateOptions({}, { SQLITE_ENCRYPTED: 'TRUE' }).sqliteEncrypted).toBe(true);
    expect(
      resolveStateOptions({ sqliteEncrypted: false }, { SQLITE_ENCRYPTED: 'true' }).sqliteEncrypted,
    ).toBe(false);
    expect(() => resolveStateOptions({}, { SQLITE_ENCRYPTED: '' })).toThrow(
      'LIVEGATE_DEPLOY__SQLITE_ENCRYPTED="" must be true or false',
    );
    expect(() => resolveStateOptions({}, { SQLITE_ENCRYPTED: 'maybe' })).toThrow(
      StateConfigurationError,
    );
    expect(() => resolveStateOptions({ sqliteEncrypted: 'no' as never }, {})).not.toThrow();
    expect(() => resolveStateOptions({ sqliteKey: true as never }, {})).toThrow(
      'option sqliteKey=(hidden) must be a non-empty string',
    );
  });

  it('turns the session cache off with SESSION_CACHE_SIZE=0 and takes the full range', () => {
    expect(resolveStateOptions({}, { SESSION_CACHE_SIZE: '0' }).sessionCacheSize).toBe(0);
    expect(resolveStateOptions({}, { SESSION_CACHE_SIZE: ' 1000000 ' }).sessionCacheSize).toBe(
      1_000_000,
    );
    expect(resolveStateOptions({ sessionCacheSize: 0 }, {}).sessionCacheSize).toBe(0);
    expect(
      resolveStateOptions({ sessionCacheTtl: 5 }, { SESSION_CACHE_TTL: 'nonsense' })
        .sessionCacheTtl,
    ).toBe(5);
  });

  it('documents a default for every variable', () => {
    for (const variable of STATE_ENV_VARIABLES) {
      expect(variable.defaultText).not.toBe('');
      expect(variable.description).not.toBe('');
    }
  });
});
