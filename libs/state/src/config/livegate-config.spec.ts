import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  booleanParser,
  integerParser,
  listParser,
  nameParser,
  oneOfParser,
  pathParser,
  secondsParser,
  textParser,
  urlParser,
} from './config-parsers';
import { defineConfig } from './livegate-config';

class ExampleConfigurationError extends Error {}

interface Example {
  enabled: boolean;
  ttl: number;
  max: number;
  names: string[];
  mode: 'fast' | 'safe';
  secret: string | undefined;
  internal: number;
}

const example = defineConfig<Example>({
  prefix: 'EXAMPLE__',
  title: 'example',
  error: (message) => new ExampleConfigurationError(message),
  variables: {
    enabled: {
      env: 'ENABLED',
      parse: booleanParser(),
      default: false,
      description: 'd',
      defaultText: 'false',
    },
    ttl: { env: 'TTL', parse: secondsParser(), default: 60, description: 'd', defaultText: '60' },
    max: {
      env: 'MAX',
      parse: integerParser(1, 10),
      default: () => 5,
      description: 'd',
      defaultText: '5',
    },
    names: {
      env: 'NAMES',
      parse: listParser(nameParser()),
      default: () => [],
      description: 'd',
      defaultText: '(none)',
    },
    mode: {
      env: 'MODE',
      parse: oneOfParser(['fast', 'safe'] as const),
      default: 'safe',
      description: 'd',
      defaultText: 'safe',
    },
    secret: {
      env: 'SECRET',
      parse: textParser(),
      description: 'd',
      defaultText: '(none)',
      secret: true,
    },
    internal: { parse: secondsParser(), default: 1, description: 'code only', defaultText: '1' },
  },
  checks: [({ ttl, max }) => (ttl < max ? [`EXAMPLE__TTL must be at least EXAMPLE__MAX`] : [])],
});

describe('LivegateConfig', () => {
  it('takes explicit options over the environment over the defaults', () => {
    expect(example.resolve({}, {})).toEqual({
      enabled: false,
      ttl: 60,
      max: 5,
      names: [],
      mode: 'safe',
      secret: undefined,
      internal: 1,
    });
    expect(example.resolve({ ttl: 90 }, { TTL: '30', ENABLED: 'yes', NAMES: 'a, b,,c' })).toEqual(
      expect.objectContaining({ ttl: 90, enabled: true, names: ['a', 'b', 'c'] }),
    );
  });

  it('does not parse a variable that an explicit option replaces', () => {
    expect(example.resolve({ ttl: 7 }, { TTL: 'nonsense' }).ttl).toBe(7);
  });

  it('checks explicit options with the same parsers as the variables', () => {
    expect(() => example.resolve({ ttl: -1 }, {})).toThrow('option ttl=-1 must be');
    expect(() => example.resolve({ mode: 'slow' }, {})).toThrow(
      'option mode="slow" must be one of fast, safe',
    );
    expect(() => example.resolve({ names: ['ok', 'not ok'] }, {})).toThrow('option names=');
    expect(() => example.resolve({ internal: 0 }, {})).toThrow('option internal=0');
    expect(example.resolve({ enabled: 'on', max: '3' }, {})).toEqual(
      expect.objectContaining({ enabled: true, max: 3 }),
    );
  });

  it('lists every bad variable and option in one error of the configuration', () => {
    let caught: unknown;
    try {
      example.resolve({ max: 11 }, { ENABLED: 'maybe', TTL: '0', MODE: 'x', NAMES: 'a b' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExampleConfigurationError);
    const message = (caught as Error).message;
    expect(message).toMatch(/^Invalid example configuration: /);
    for (const name of [
      'EXAMPLE__ENABLED="maybe"',
      'EXAMPLE__TTL="0"',
      'EXAMPLE__MODE="x"',
      'EXAMPLE__NAMES="a b"',
      'option max=11',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('never shows the value of a secret', () => {
    expect(() => example.resolve({}, { SECRET: '   ' })).toThrow(
      'EXAMPLE__SECRET=(hidden) must be',
    );
    expect(() => example.resolve({ secret: 42 as never }, {})).toThrow('option secret=(hidden)');
  });

  it('runs the checks across fields once every field parsed', () => {
    expect(() => example.resolve({}, { TTL: '2', MAX: '4' })).toThrow(
      'Invalid example configuration: EXAMPLE__TTL must be at least EXAMPLE__MAX',
    );
  });

  it('reads its variables from the process environment, by full name', () => {
    expect(example.read({ EXAMPLE__TTL: '3', OTHER: 'x', TTL: '9' })).toEqual(
      expect.objectContaining({ TTL: '3', ENABLED: undefined }),
    );
    expect(example.environmentNames).toContain('EXAMPLE__MODE');
    expect(example.environmentNames).not.toContain('EXAMPLE__INTERNAL');
    expect(example.nameOf('ttl')).toBe('EXAMPLE__TTL');
    expect(example.nameOf('internal')).toBe('option internal');
    expect(example.documentation().map((row) => row.variable)).toEqual([
      'EXAMPLE__ENABLED',
      'EXAMPLE__TTL',
      'EXAMPLE__MAX',
      'EXAMPLE__NAMES',
      'EXAMPLE__MODE',
      'EXAMPLE__SECRET',
    ]);
  });

  it('reads through @nestjs/config, after ConfigModule.forRoot loaded the environment', async () => {
    const namespace = example.namespace('example.test');
    process.env.EXAMPLE__TTL = '12';
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({ ignoreEnvFile: true }),
          ConfigModule.forFeature(namespace),
        ],
      }).compile();
      expect(moduleRef.get(ConfigService).get('example.test.TTL')).toBe('12');
      expect(moduleRef.get(namespace.KEY)).toEqual(expect.objectContaining({ TTL: '12' }));
      await moduleRef.close();
    } finally {
      delete process.env.EXAMPLE__TTL;
    }
  });
});

describe('configuration parsers', () => {
  it.each([[booleanParser(), [true, 'TRUE', ' on ', '1', 'yes'], [false, 'off', '0', 'No']]])(
    'booleanParser reads the usual words',
    (parse, truthy, falsy) => {
      for (const input of truthy) expect(parse(input)).toEqual({ value: true });
      for (const input of falsy) expect(parse(input)).toEqual({ value: false });
      for (const input of ['', 'maybe', 2, null, {}]) expect('error' in parse(input)).toBe(true);
    },
  );

  it('secondsParser and integerParser refuse what is not a finite number in range', () => {
    const seconds = secondsParser();
    expect(seconds('2.5')).toEqual({ value: 2.5 });
    expect(seconds(3)).toEqual({ value: 3 });
    expect(seconds('3153600000')).toEqual({ value: 3153600000 });
    for (const input of [
      '',
      ' ',
      '0',
      '-1',
      'Infinity',
      'NaN',
      '1e999',
      '1e300',
      '3153600001',
      0,
      -2,
      Number.NaN,
      Number.MAX_VALUE,
      true,
      null,
    ]) {
      expect('error' in seconds(input)).toBe(true);
    }
    const integer = integerParser(0, 10);
    expect(integer('0')).toEqual({ value: 0 });
    expect(integer(10)).toEqual({ value: 10 });
    for (const input of ['', '11', '-1', '1.5', 'x', 1.5, '0x5']) {
      expect('error' in integer(input)).toBe(true);
    }
  });

  it('urlParser takes only absolute URLs of its protocols', () => {
    const redis = urlParser(['redis:', 'rediss:', 'unix:']);
    for (const input of ['redis://localhost:6379/0', ' rediss://h ', 'unix:///tmp/r.sock?db=1']) {
      expect('value' in redis(input)).toBe(true);
    }
    for (const input of ['http://localhost', 'localhost:6379', 'redis:/x', '', 5]) {
      expect('error' in redis(input)).toBe(true);
    }
  });

  it('nameParser, oneOfParser, listParser, textParser and pathParser', () => {
    expect(nameParser()('app-1.x')).toEqual({ value: 'app-1.x' });
    expect('error' in nameParser()('has space')).toBe(true);
    expect('error' in nameParser()('x'.repeat(65))).toBe(true);
    expect(oneOfParser(['a', 'b'])('B')).toEqual({ value: 'b' });
    expect('error' in oneOfParser(['a', 'b'])('c')).toBe(true);
    expect(listParser()(' a , ,b ')).toEqual({ value: ['a', 'b'] });
    expect(listParser()(['x'])).toEqual({ value: ['x'] });
    expect('error' in listParser()(5)).toBe(true);
    expect('error' in textParser()(' ')).toBe(true);
    expect(pathParser()('/var/lib/x.db')).toEqual({ value: '/var/lib/x.db' });
    expect('error' in pathParser()('a\u0000b')).toBe(true);
    expect('error' in pathParser()('')).toBe(true);
  });
});
