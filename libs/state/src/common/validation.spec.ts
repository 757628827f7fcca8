import fc from 'fast-check';
import { StateValidationError } from '../state.errors';
import {
  MAX_METADATA_BYTES,
  MAX_NESTING_DEPTH,
  assertId,
  boundedJsonStringify,
  isWithinNestingDepth,
  normalizeMetadata,
} from './validation';

function refusal(action: () => unknown): StateValidationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StateValidationError);
    return error as StateValidationError;
  }
  throw new Error('Expected a StateValidationError');
}

const accepts = (id: string): boolean => {
  try {
    assertId('id', id);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(StateValidationError);
    return false;
  }
};

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let level = 0; level < depth; level += 1) {
    value = { next: value };
  }
  return value;
}

describe('assertId', () => {
  it('accepts emails, UUIDs, letters of every script and whole emoji', () => {
    for (const id of [
      'alice@example.com',
      'f47ac10b-58cc-4372-a567-0e02b2c3d479',
      'Ünïcødé',
      'пользователь',
      '用户',
      'مستخدم',
      'e\u0301',
      '😀',
      '👍🏽',
      '🇫🇷',
      'chart 1',
      '\ufffd',
    ]) {
      expect({ id, accepted: accepts(id) }).toEqual({ id, accepted: true });
    }
  });

  it('refuses lone surrogates, naming the problem', () => {
    for (const id of ['\ud800', 'a\udbffb', '\udc00', 'x\udfff', '\ude00\ud83d']) {
      expect(refusal(() => assertId('widgetId', id)).message).toBe(
        'widgetId: must be well-formed Unicode (it contains half of a surrogate pair)',
      );
    }
  });

  it('refuses bidirectional controls and other invisible format characters, naming the code point', () => {
    const refused = [
      ...'\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069',
      ...'\u200b\u200c\u200d\u200e\u200f\u00ad\u2060\u2061\u2062\u2063\u2064\u061c\u180e',
      '\u{e0001}',
      '\u{e007f}',
      ...'\ufdd0\ufdef\ufffe\uffff',
      '\u{1fffe}',
      '\u{10ffff}',
    ];
    for (const character of refused) {
      const codePoint = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      expect(refusal(() => assertId('id', `a${character}b`)).message).toBe(
        `id: must not contain invisible format characters or noncharacters (${codePoint})`,
      );
    }
    // U+FEFF at either end is white space to trim(); inside it is a format character.
    expect(accepts('\ufeffa')).toBe(false);
    expect(refusal(() => assertId('id', 'a\ufeffb')).message).toContain('(U+FEFF)');
  });

  it('refuses every code point of category Cf wherever it sits', () => {
    const formatCharacter = fc
      .integer({ min: 0, max: 0x10ffff })
      .filter(
        (code) => (code < 0xd800 || code > 0xdfff) && /\p{Cf}/u.test(String.fromCodePoint(code)),
      )
      .map((code) => String.fromCodePoint(code));
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        formatCharacter,
        fc.string({ maxLength: 10 }),
        (before, character, after) => {
          expect(accepts(`a${before}${character}${after}z`)).toBe(false);
        },
      ),
    );
  });

  it('lets through only ids that survive UTF-8 unchanged, so distinct ids are distinct keys', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
      fc.string({ unit: fc.constantFrom('a', '\ud83d', '\ude00', '\u200d', ' '), minLength: 1 }),
    );
    fc.assert(
      fc.property(anyText, anyText, (first, second) => {
        for (const id of [first, second]) {
          if (accepts(id)) {
            expect(Buffer.from(id, 'utf8').toString('utf8')).toBe(id);
            expect(/\p{Cf}/u.test(id)).toBe(false);
          }
        }
        if (accepts(first) && accepts(second) && first !== second) {
          expect(Buffer.from(first, 'utf8').equals(Buffer.from(second, 'utf8'))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normalizeMetadata', () => {
  it('names the path of what is not plain JSON', () => {
    expect(refusal(() => normalizeMetadata('metadata', { when: new Date(0) })).message).toBe(
      'metadata.when: must be plain JSON, not a Date (use an ISO string or a number)',
    );
    expect(
      refusal(() => normalizeMetadata('metadata', { a: [{ 'b c': new Map() }] })).message,
    ).toBe('metadata.a[0]["b c"]: must be plain JSON, not a Map (use an object)');
    expect(refusal(() => normalizeMetadata('metadata', { gone: undefined })).field).toBe(
      'metadata.gone',
    );
    expect(refusal(() => normalizeMetadata('arguments', { n: NaN })).message).toBe(
      'arguments.n: must be plain JSON, not NaN',
    );
  });

  it('never calls a getter', () => {
    let calls = 0;
    const metadata = Object.defineProperty({}, 'value', {
      enumerable: true,
      get: () => {
        calls += 1;
        throw new Error('read');
      },
    });
    expect(refusal(() => normalizeMetadata('metadata', metadata)).message).toBe(
      'metadata.value: must be plain JSON, not a getter or setter',
    );
    expect(calls).toBe(0);
  });

  it('refuses proxies whose traps throw, without letting the error out', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no keys for you');
        },
      },
    );
    expect(refusal(() => normalizeMetadata('metadata', { hostile })).message).toBe(
      'metadata.hostile: must be plain JSON; it could not be read (no keys for you)',
    );
  });

  it('accepts null-prototype objects and returns an independent copy', () => {
    const input = Object.assign(Object.create(null) as Record<string, unknown>, {
      list: [1, 'two', null, true, { deep: -0.5 }],
    });
    const copy = normalizeMetadata('metadata', input);
    expect(copy).toEqual({ list: [1, 'two', null, true, { deep: -0.5 }] });
    (input.list as unknown[]).push('later');
    expect(copy.list).toHaveLength(5);
  });

  it(`allows ${MAX_NESTING_DEPTH} levels and refuses more, however deep, without a stack overflow`, () => {
    expect(() => normalizeMetadata('metadata', nested(MAX_NESTING_DEPTH) as object)).not.toThrow();
    for (const depth of [MAX_NESTING_DEPTH + 1, 1_000_000]) {
      expect(refusal(() => normalizeMetadata('metadata', nested(depth) as object)).message).toBe(
        `metadata${'.next'.repeat(MAX_NESTING_DEPTH)}: must not be nested more than ` +
          `${MAX_NESTING_DEPTH} levels deep`,
      );
    }
  });

  it('refuses too many values before serializing them, and a shared value counts every time', () => {
    expect(refusal(() => normalizeMetadata('metadata', { list: new Array(1e9) })).message).toBe(
      `metadata: must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
    );
    // 2^32 paths through 32 shared levels: refused once the count passes the byte limit.
    let shared: unknown = 0;
    for (let level = 0; level < 31; level += 1) {
      shared = [shared, shared];
    }
    expect(refusal(() => normalizeMetadata('metadata', { shared })).message).toContain('bytes');
  });

  it('keeps a shortened key in the path', () => {
    const key = 'k'.repeat(10_000);
    expect(refusal(() => normalizeMetadata('metadata', { [key]: () => 1 })).field).toBe(
      `metadata["${'k'.repeat(61)}..."]`,
    );
  });
});

describe('boundedJsonStringify', () => {
  it('serializes as JSON.stringify does, toJSON included', () => {
    const value = { when: new Date(0), skip: undefined, list: [undefined, 1] };
    expect(boundedJsonStringify('data', value, 1000)).toBe(JSON.stringify(value));
    expect(boundedJsonStringify('data', undefined, 1000)).toBeUndefined();
  });

  it(`allows ${MAX_NESTING_DEPTH} levels and refuses more, toJSON results included`, () => {
    expect(boundedJsonStringify('data', nested(MAX_NESTING_DEPTH), 10_000)).toBe(
      JSON.stringify(nested(MAX_NESTING_DEPTH)),
    );
    const viaToJson = { toJSON: () => nested(MAX_NESTING_DEPTH) };
    expect(refusal(() => boundedJsonStringify('data', { viaToJson }, 10_000)).message).toBe(
      `data: must not be nested more than ${MAX_NESTING_DEPTH} levels deep`,
    );
    expect(refusal(() => boundedJsonStringify('data', nested(1_000_000), 10_000)).message).toBe(
      `data: must not be nested more than ${MAX_NESTING_DEPTH} levels deep`,
    );
  });

  it('refuses cycles and values over the size cap', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(refusal(() => boundedJsonStringify('data', cycle, 1000)).message).toBe(
      'data: must be serializable as JSON',
    );
    expect(refusal(() => boundedJsonStringify('data', 'x'.repeat(100), 50)).message).toBe(
      'data: must be at most 50 bytes as JSON',
    );
  });
});

describe('isWithinNestingDepth', () => {
  it('agrees with the limit on parsed JSON of any depth', () => {
    const parse = (depth: number) => JSON.parse(`${'['.repeat(depth)}0${']'.repeat(depth)}`);
    expect(isWithinNestingDepth(0)).toBe(true);
    expect(isWithinNestingDepth(parse(MAX_NESTING_DEPTH))).toBe(true);
    expect(isWithinNestingDepth(parse(MAX_NESTING_DEPTH + 1))).toBe(false);
    expect(isWithinNestingDepth(parse(100_000))).toBe(false);
    expect(isWithinNestingDepth({ a: [1, { b: parse(MAX_NESTING_DEPTH - 2) }] })).toBe(false);
    expect(isWithinNestingDepth({ a: [1, { b: parse(MAX_NESTING_DEPTH - 3) }] })).toBe(true);
  });
});
