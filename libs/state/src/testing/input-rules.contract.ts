import fc from 'fast-check';
import type { StateBackend } from '../backends/state-backend';
import { MAX_NESTING_DEPTH, MAX_TTL_SECONDS } from '../common/validation';
import type { StateEvent } from '../events/event.models';
import { StateValidationError } from '../state.errors';
import {
  DEFAULT_CONTRACT_TTLS,
  expectValidationError,
  rejectionOf,
  unchecked,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';
import { waitFor } from './wait';

type Metadata = Record<string, unknown>;

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/**
 * Values that are not plain JSON, each of which a store must refuse rather than convert or drop,
 * with where below the value itself the refusal points (a cycle is refused where it closes).
 */
const NOT_JSON: [string, () => unknown, string][] = [
  ['a Date', () => new Date(0), ''],
  ['a Map', () => new Map([['a', 1]]), ''],
  ['a Set', () => new Set([1]), ''],
  ['a function', () => () => 1, ''],
  ['a class instance', () => new Point(1, 2), ''],
  ['a RegExp', () => /x/, ''],
  ['an Error', () => new Error('x'), ''],
  ['a boxed string', () => new String('x'), ''],
  ['a typed array', () => new Uint8Array([1]), ''],
  ['undefined', () => undefined, ''],
  ['NaN', () => NaN, ''],
  ['Infinity', () => Infinity, ''],
  ['-Infinity', () => -Infinity, ''],
  ['a BigInt', () => BigInt(1), ''],
  ['a symbol', () => Symbol('x'), ''],
  ['an object with a symbol key', () => ({ [Symbol('key')]: 1 }), ''],
  [
    'a getter that throws',
    () =>
      Object.defineProperty({}, 'value', {
        enumerable: true,
        get: () => {
          throw new Error('read me not');
        },
      }),
    '.value',
  ],
  [
    'a getter',
    () => Object.defineProperty({}, 'value', { enumerable: true, get: () => 1 }),
    '.value',
  ],
  ['a non-enumerable property', () => Object.defineProperty({}, 'hidden', { value: 1 }), '.hidden'],
  [
    'a cycle',
    () => {
      const cycle: Metadata = { name: 'loop' };
      cycle.self = cycle;
      return cycle;
    },
    '.self',
  ],
  // eslint-disable-next-line no-sparse-arrays -- the hole is the point
  ['a sparse array', () => [1, , 3], '[1]'],
  ['an array with a named property', () => Object.assign([1], { extra: true }), '.extra'],
];

/** `depth` levels of nesting: each level an object (or an array) holding the next. */
function nested(depth: number, kind: 'object' | 'array' = 'object'): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) {
    value = kind === 'object' ? { next: value } : [value];
  }
  return value;
}

/** The field path of the innermost level of `nested(depth)` under `field`. */
function nestedPath(field: string, depth: number, kind: 'object' | 'array' = 'object'): string {
  return field + (kind === 'object' ? '.next' : '[0]').repeat(depth - 1);
}

async function expectRefusedAt(action: () => Promise<unknown>, path: string): Promise<void> {
  const error = await rejectionOf(action);
  expect(error).toBeInstanceOf(StateValidationError);
  expect((error as StateValidationError).field).toBe(path);
  expect((error as StateValidationError).message).toContain(path);
}

/**
 * Characters no id may contain: lone surrogates (UTF-8 would turn each into U+FFFD), the
 * bidirectional embeddings, overrides and isolates, and other invisible format characters.
 */
export const REFUSED_ID_CHARACTERS: readonly string[] = Object.freeze([
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  ...'\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069',
  ...'\u200b\u200c\u200d\u200e\u200f\ufeff\u00ad\u2060\u2061\u2062\u2063\u2064\u061c\u180e',
  '\u{e0001}',
  '\u{e0041}',
  ...'\ufffe\uffff\ufdd0',
  '\u{10ffff}',
]);

/** Pieces of ids that every store accepts: several scripts, astral emoji, look-alike pairs. */
const ACCEPTED_ID_PIECES = [
  ...'aZ0-_.:@/%+',
  'é',
  'e\u0301',
  'ß',
  'ж',
  '中',
  'ع',
  'א',
  '😀',
  '👍🏽',
  '🇫🇷',
  '\u00c5',
  '\u212b',
  '\ufffd',
  'ﬁ',
  ' ',
];

/** Ids any store must accept, of one to eight pieces. */
export const acceptedId = (): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom(...ACCEPTED_ID_PIECES), { minLength: 1, maxLength: 8 })
    .map((pieces) => pieces.join(''))
    .filter((id) => id.trim() === id);

/** An accepted id with one refused character put in at any UTF-16 position. */
export const refusedId = (): fc.Arbitrary<string> =>
  fc
    .tuple(acceptedId(), fc.constantFrom(...REFUSED_ID_CHARACTERS), fc.nat())
    .map(([id, character, at]) => {
      const position = at % (id.length + 1);
      return id.slice(0, position) + character + id.slice(position);
    });

/**
 * The accepted id a refused one would have collided with had it been let through: each lone
 * surrogate as UTF-8 makes it (U+FFFD), the invisible characters left out as a screen shows it.
 */
const collidingTwin = (id: string): string =>
  [...id.replace(/\p{Cs}/gu, '\ufffd')]
    .filter((character) => !REFUSED_ID_CHARACTERS.includes(character))
    .join('');

/**
 * Input rules every backend applies the same way, whichever store is called: metadata is plain
 * JSON nested at most 32 levels (errors name the field path), event data keeps the same nesting
 * limit, and ids are well-formed, so that no two distinct ids ever reach one key.
 */
export function describeInputRulesContract(
  backendName: string,
  factory: ContractFactory<StateBackend>,
): void {
  describe(`Input rules contract (${backendName})`, () => {
    const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);

    /** Every store call that takes metadata, with `metadata` in the place it names. */
    const metadataWrites = (
      backend: StateBackend,
    ): [string, (metadata: Metadata) => Promise<unknown>][] => [
      ['metadata', (metadata) => backend.widgets.register('w-meta', 'x', { metadata })],
      [
        'metadata',
        (metadata) =>
          backend.sessions.createSession({ sessionId: 's-meta', userId: 'u', metadata }),
      ],
      ['metadata', (metadata) => backend.chats.saveThread('w', { threadId: 't-meta', metadata })],
      [
        'metadata',
        (metadata) =>
          backend.chats.appendMessage('w', 't', {
            messageId: 'm-meta',
            role: 'user',
            content: 'x',
            metadata,
          }),
      ],
      [
        'arguments',
        (metadata) =>
          backend.chats.logToolCall('w', 't', 'm', {
            toolCallId: 'tc-meta',
            name: 'tool',
            arguments: metadata,
          }),
      ],
      [
        'metadata',
        (metadata) =>
          backend.chats.logArtifact('w', 't', 'm', {
            artifactId: 'a-meta',
            artifactType: 'code',
            metadata,
          }),
      ],
      [
        'metadata',
        (metadata) => backend.chats.logSkill('w', 't', { skillId: 'k-meta', name: 'x', metadata }),
      ],
    ];

    /** Throws unless nothing any metadata write could have made exists. */
    async function expectNoMetadataWrite(backend: StateBackend): Promise<void> {
      expect(await backend.widgets.exists('w-meta')).toBe(false);
      expect(await backend.sessions.getSession('s-meta')).toBeNull();
      expect(await backend.chats.getThread('w', 't-meta')).toBeNull();
      expect(
        (await backend.chats.getMessages('w', 't')).map((message) => message.messageId),
      ).toEqual(['m']);
      expect(await backend.chats.getToolCalls('w', 't')).toEqual([]);
      expect(await backend.chats.getArtifacts('w', 't')).toEqual([]);
      expect(await backend.chats.getSkills('w', 't')).toEqual([]);
    }

    async function seedChat(backend: StateBackend): Promise<void> {
      await backend.chats.saveThread('w', { threadId: 't' });
      await backend.chats.appendMessage('w', 't', { messageId: 'm', role: 'user', content: 'x' });
    }

    describe('metadata', () => {
      it.each(NOT_JSON)(
        'refuses %s anywhere in metadata, naming the field path, on every store',
        async (_label, make, below) => {
          const backend = subject();
          await seedChat(backend);
          for (const [field, write] of metadataWrites(backend)) {
            await expectRefusedAt(() => write({ value: make() }), `${field}.value${below}`);
            await expectRefusedAt(
              () => write({ outer: { list: [1, { 'odd key': make() }] } }),
              `${field}.outer.list[1]["odd key"]${below}`,
            );
          }
          await expectNoMetadataWrite(backend);
        },
      );

      it('refuses a value that is not plain JSON wherever it sits, and changes nothing', async () => {
        const backend = subject();
        await seedChat(backend);
        const key = fc.constantFrom('a', 'b', 'with space', '__proto__', 'ж', '0');
        // A JSON object with one bad value put in at a path, and that path.
        const poisoned = fc
          .tuple(
            fc.array(fc.oneof(key, fc.nat({ max: 2 })), { maxLength: 5 }),
            fc.constantFrom(...NOT_JSON),
            fc.dictionary(fc.constantFrom('x', 'y'), fc.jsonValue({ maxDepth: 2 })),
          )
          .map(([steps, [, make, below], siblings]) => {
            const root: Metadata = { ...(JSON.parse(JSON.stringify(siblings)) as Metadata) };
            let holder: Metadata | unknown[] = root;
            let path = '';
            const pathOf = (step: string | number) =>
              typeof step === 'number'
                ? `[${step}]`
                : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(step)
                  ? `.${step}`
                  : `[${JSON.stringify(step)}]`;
            const first = 'at';
            let step: string | number = first;
            for (const next of steps) {
              const container: Metadata | unknown[] =
                typeof next === 'number' ? Array.from({ length: next + 1 }, () => 0) : {};
              Object.defineProperty(holder, step, {
                value: container,
                enumerable: true,
                writable: true,
                configurable: true,
              });
              path += pathOf(step);
              holder = container;
              step = next;
            }
            Object.defineProperty(holder, step, {
              value: make(),
              enumerable: true,
              writable: true,
              configurable: true,
            });
            path += pathOf(step) + below;
            return { metadata: root, path };
          });
        await fc.assert(
          fc.asyncProperty(poisoned, async ({ metadata, path }) => {
            for (const [field, write] of metadataWrites(backend)) {
              await expectRefusedAt(() => write(metadata), `${field}${path}`);
            }
            await expectNoMetadataWrite(backend);
          }),
          { numRuns: 40 },
        );
      });

      it('keeps plain JSON metadata exactly as given', async () => {
        const backend = subject();
        await seedChat(backend);
        const metadata = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), {
          maxKeys: 6,
        });
        let run = 0;
        await fc.assert(
          fc.asyncProperty(metadata, async (value) => {
            run += 1;
            const expected = JSON.parse(JSON.stringify(value)) as Metadata;
            const widget = await backend.widgets.register(`w-${run}`, 'x', { metadata: value });
            expect(widget.metadata).toEqual(expected);
            expect((await backend.widgets.get(`w-${run}`))!.metadata).toEqual(expected);
            const session = await backend.sessions.createSession({
              sessionId: `s-${run}`,
              userId: 'u',
              metadata: value,
            });
            expect(session.metadata).toEqual(expected);
            expect((await backend.sessions.getSession(`s-${run}`))!.metadata).toEqual(expected);
            await backend.chats.saveThread('w', { threadId: `t-${run}`, metadata: value });
            expect((await backend.chats.getThread('w', `t-${run}`))!.metadata).toEqual(expected);
          }),
          { numRuns: 30 },
        );
      });

      it(`accepts ${MAX_NESTING_DEPTH} levels of nesting and refuses one more, on every store`, async () => {
        const backend = subject();
        await seedChat(backend);
        for (const kind of ['object', 'array'] as const) {
          // The metadata object is the first level.
          const deepest = { value: nested(MAX_NESTING_DEPTH - 1, kind) };
          const record = await backend.widgets.register('w-deep', 'x', { metadata: deepest });
          expect(record.metadata).toEqual(deepest);
          expect((await backend.widgets.get('w-deep'))!.metadata).toEqual(deepest);
          expect(await backend.widgets.delete('w-deep')).toBe(true);

          const tooDeep = { value: nested(MAX_NESTING_DEPTH, kind) };
          for (const [field, write] of metadataWrites(backend)) {
            await expectRefusedAt(
              () => write(tooDeep),
              nestedPath(`${field}.value`, MAX_NESTING_DEPTH, kind),
            );
          }
        }
        await expectNoMetadataWrite(backend);
      });

      it('refuses 100,000 levels of nesting at once, without exhausting the stack', async () => {
        const backend = subject();
        await seedChat(backend);
        for (const kind of ['object', 'array'] as const) {
          const deep = { value: nested(100_000, kind) };
          for (const [field, write] of metadataWrites(backend)) {
            await expectRefusedAt(
              () => write(deep),
              nestedPath(`${field}.value`, MAX_NESTING_DEPTH, kind),
            );
          }
        }
        await expectNoMetadataWrite(backend);
      });
    });

    describe('event data', () => {
      it(`delivers ${MAX_NESTING_DEPTH} levels of nesting and refuses deeper data before sending`, async () => {
        const { events } = subject();
        const received: StateEvent[] = [];
        await events.subscribe('deep', (event) => {
          received.push(event);
        });
        for (const kind of ['object', 'array'] as const) {
          for (const depth of [MAX_NESTING_DEPTH + 1, 100_000]) {
            const error = await rejectionOf(() =>
              events.publish('deep', { eventType: 'too-deep', data: nested(depth, kind) }),
            );
            expect(error).toBeInstanceOf(StateValidationError);
            expect((error as StateValidationError).field).toBe('data');
            expect((error as Error).message).toContain(`${MAX_NESTING_DEPTH} levels`);
          }
        }
        await events.publish('deep', { eventType: 'deepest', data: nested(MAX_NESTING_DEPTH) });
        await events.publish('deep', {
          eventType: 'deepest-array',
          data: nested(MAX_NESTING_DEPTH, 'array'),
        });
        await waitFor(() => received.length === 2);
        expect(received.map((event) => event.eventType)).toEqual(['deepest', 'deepest-array']);
        expect(received[0].data).toEqual(nested(MAX_NESTING_DEPTH));
        expect(received[1].data).toEqual(nested(MAX_NESTING_DEPTH, 'array'));
      });
    });

    describe('ids', () => {
      it('accepts emails, UUIDs, letters of any script and whole emoji', async () => {
        const backend = subject();
        const ids = [
          'alice@example.com',
          'f47ac10b-58cc-4372-a567-0e02b2c3d479',
          'Ünïcødé-ид-中文-عربي-עברית',
          'chart 1',
          '😀',
          'thumbs-👍🏽',
          '🇫🇷',
          'a%2Fb:c/d',
        ];
        for (const id of ids) {
          await backend.widgets.register(id, `<p>${id}</p>`);
          await backend.sessions.createSession({ sessionId: id, userId: id });
          await backend.connections.registerConnection(id, id, { userId: id, sessionId: id });
          await backend.chats.saveThread(id, { threadId: id });
        }
        for (const id of ids) {
          expect(await backend.widgets.getHtml(id)).toBe(`<p>${id}</p>`);
          expect((await backend.sessions.getSession(id))!.userId).toBe(id);
          expect(await backend.connections.getOwner(id)).toBe(id);
          expect((await backend.chats.getThread(id, id))!.threadId).toBe(id);
        }
        expect((await backend.widgets.listActive()).sort()).toEqual([...ids].sort());
      });

      it('refuses lone surrogates and invisible format characters in every id, changing nothing', async () => {
        const backend = subject();
        await backend.widgets.register('keep', 'x');
        await backend.sessions.createSession({ sessionId: 'keep', userId: 'u' });
        await backend.connections.registerConnection('keep', 'worker');
        await backend.chats.saveThread('w', { threadId: 'keep' });
        const { widgets, sessions, connections, chats, events } = backend;
        await fc.assert(
          fc.asyncProperty(refusedId(), async (id) => {
            const refused: (() => Promise<unknown>)[] = [
              () => widgets.register(id, 'x'),
              () => widgets.register('w-other', 'x', { ownerWorkerId: id }),
              () => widgets.get(id),
              () => widgets.exists(id),
              () => widgets.updateHtml(id, 'y'),
              () => widgets.delete(id),
              () => sessions.createSession({ sessionId: id, userId: 'u' }),
              () => sessions.createSession({ userId: id }),
              () => sessions.getSession(id),
              () => sessions.deleteSession(id),
              () => sessions.listUserSessions(id),
              () => connections.registerConnection(id, 'worker'),
              () => connections.registerConnection('w-other', id),
              () => connections.registerConnection('w-other', 'worker', { userId: id }),
              () => connections.getOwner(id),
              () => chats.saveThread(id, { threadId: 't' }),
              () => chats.saveThread('w', { threadId: id }),
              () => chats.appendMessage('w', 'keep', { messageId: id, role: 'user', content: 'x' }),
              () => events.publish(id, { eventType: 'e' }),
              () => events.publish('channel', { eventType: id }),
              () => events.publish('channel', { eventType: 'e', widgetId: id }),
              () => events.subscribe(id, () => undefined),
              () => sessions.setRolePermissions(unchecked<string>(`role${id}`), ['read']),
            ];
            for (const call of refused) {
              await expectValidationError(call);
            }
            // Nor was the id it would have collided with.
            const twin = collidingTwin(id);
            expect(await widgets.exists(twin)).toBe(false);
            expect(await sessions.getSession(twin)).toBeNull();
            expect(await connections.getOwner(twin)).toBeNull();
          }),
          { numRuns: 60 },
        );
        expect(await widgets.listActive()).toEqual(['keep']);
        expect((await sessions.listUserSessions('u')).map((session) => session.sessionId)).toEqual([
          'keep',
        ]);
        expect(await connections.listWorkerConnections('worker')).toEqual(['keep']);
        expect(await connections.getOwner('w-other')).toBeNull();
        expect((await chats.listThreads('w')).map((thread) => thread.threadId)).toEqual(['keep']);
        expect(await chats.getMessages('w', 'keep')).toEqual([]);
        expect(await widgets.exists('w-other')).toBe(false);
      });

      it('keeps distinct accepted ids apart: widgets, sessions, connections and threads', async () => {
        const backend = subject();
        const { widgets, sessions, connections, chats } = backend;
        await fc.assert(
          fc.asyncProperty(
            fc.uniqueArray(acceptedId(), { minLength: 2, maxLength: 6 }),
            async (ids) => {
              for (const [index, id] of ids.entries()) {
                await widgets.register(id, `<p>${index}</p>`);
                await sessions.createSession({ sessionId: id, userId: id, metadata: { index } });
                await connections.registerConnection(id, `worker-${index}`);
                await chats.saveThread('w', { threadId: id, title: String(index) });
              }
              expect(await widgets.count()).toBe(ids.length);
              expect((await widgets.listActive()).sort()).toEqual([...ids].sort());
              for (const [index, id] of ids.entries()) {
                expect(await widgets.getHtml(id)).toBe(`<p>${index}</p>`);
                expect((await sessions.getSession(id))!.metadata).toEqual({ index });
                const own = await sessions.listUserSessions(id);
                expect(own.map((session) => session.sessionId)).toEqual([id]);
                expect(await connections.getOwner(id)).toBe(`worker-${index}`);
                expect((await chats.getThread('w', id))!.title).toBe(String(index));
              }
              expect(
                (await chats.listThreads('w')).map((thread) => thread.threadId).sort(),
              ).toEqual([...ids].sort());
              for (const id of ids) {
                expect(await widgets.delete(id)).toBe(true);
                expect(await sessions.deleteSession(id)).toBe(true);
                expect(await connections.unregisterConnection(id)).toBe(true);
                expect(await chats.deleteThread('w', id)).toBe(true);
              }
              expect(await widgets.count()).toBe(0);
            },
          ),
          { numRuns: 20 },
        );
      });
    });

    describe('lifetimes', () => {
      const TOO_LONG = [MAX_TTL_SECONDS + 1, 1e300, Number.MAX_VALUE];

      it.each(TOO_LONG)('refuses a session TTL of %d seconds, storing nothing', async (ttl) => {
        const backend = subject();
        await expectValidationError(() =>
          backend.sessions.createSession({ sessionId: 's-long', userId: 'u', ttl }),
        );
        expect(await backend.sessions.getSession('s-long')).toBeNull();
      });

      it.each(TOO_LONG)(
        'refuses a refresh by %d seconds, leaving the expiry as it was',
        async (extendTtl) => {
          const backend = subject();
          const session = await backend.sessions.createSession({
            sessionId: 's-long',
            userId: 'u',
          });
          await expectValidationError(() => backend.sessions.refreshSession('s-long', extendTtl));
          expect((await backend.sessions.getSession('s-long'))!.expiresAt).toBe(session.expiresAt);
        },
      );

      it.each([
        ['widgetTtl', { widgetTtl: Number.MAX_VALUE }],
        ['connectionTtl', { connectionTtl: 1e300 }],
        ['sessionMaxLifetime', { sessionMaxLifetime: MAX_TTL_SECONDS + 1 }],
      ])('refuses to build a backend whose %s is past 100 years', async (_field, ttls) => {
        const error = await rejectionOf(() => factory({ ...DEFAULT_CONTRACT_TTLS, ...ttls }));
        expect(error).toBeInstanceOf(StateValidationError);
      });
    });
  });
}
