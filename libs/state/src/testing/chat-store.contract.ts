import type {
  AppendMessageInput,
  ChatRole,
  ChatThread,
  GetMessagesOptions,
  SaveThreadInput,
} from '../chat/chat.models';
import { ChatStore } from '../chat/chat-store';
import {
  DEFAULT_CONTRACT_TTLS,
  expectConflictError,
  expectNotFoundError,
  expectTimeWithin,
  expectValidationError,
  unchecked,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';
import { sleep } from './wait';

/** `m-0000`, `m-0001`, …: ids whose order is obvious in a failure message. */
const messageIdOf = (index: number): string => `m-${String(index).padStart(4, '0')}`;
const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, offset) => messageIdOf(from + offset));
const ids = (messages: { messageId: string }[]): string[] => messages.map((m) => m.messageId);

/**
 * A thread without `updatedAt`, for comparisons after messages were appended or cleared: whether
 * message activity touches the thread's `updatedAt` is left to the backend.
 */
const stable = (thread: ChatThread | null): Omit<ChatThread, 'updatedAt'> | null => {
  if (thread === null) {
    return null;
  }
  const { updatedAt: _updatedAt, ...rest } = thread;
  return rest;
};

/** Appends `count` messages with ids `m-0000` onwards, one after the other. */
async function appendNumbered(
  chat: ChatStore,
  widgetId: string,
  threadId: string,
  count: number,
): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await chat.appendMessage(widgetId, threadId, {
      messageId: messageIdOf(index),
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `message ${index}`,
    });
  }
}

/** The behaviour every `ChatStore` backend must show. */
export function describeChatStoreContract(
  backendName: string,
  factory: ContractFactory<ChatStore>,
): void {
  describe(`ChatStore contract (${backendName})`, () => {
    const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);

    it('is a ChatStore', () => {
      expect(subject()).toBeInstanceOf(ChatStore);
    });

    describe('threads', () => {
      it('saveThread creates a thread with a generated id, an empty title and empty metadata', async () => {
        const chat = subject();
        const before = Date.now();
        const thread = await chat.saveThread('w1');
        const after = Date.now();

        expect(typeof thread.threadId).toBe('string');
        expect(thread.threadId.length).toBeGreaterThan(0);
        expect(thread.widgetId).toBe('w1');
        expect(thread.title).toBe('');
        expect(thread.metadata).toEqual({});
        expectTimeWithin(thread.createdAt, before, after);
        expectTimeWithin(thread.updatedAt, before, after);
        expect(await chat.getThread('w1', thread.threadId)).toEqual(thread);

        const another = await chat.saveThread('w1', {});
        expect(another.threadId).not.toBe(thread.threadId);
      });

      it('saveThread keeps the given id, title and metadata', async () => {
        const chat = subject();
        const thread = await chat.saveThread('w1', {
          threadId: 't1',
          title: 'Hello',
          metadata: { model: 'gpt', nested: { list: [1] } },
        });

        expect(thread.threadId).toBe('t1');
        expect(thread.widgetId).toBe('w1');
        expect(thread.title).toBe('Hello');
        expect(thread.metadata).toEqual({ model: 'gpt', nested: { list: [1] } });
        expect(await chat.getThread('w1', 't1')).toEqual(thread);
        expect(await chat.getThread('w1', 'unknown')).toBeNull();
      });

      it("listThreads lists the widget's threads oldest first, and no other widget's", async () => {
        const chat = subject();
        // Ids not in alphabetical order, so that sorting by id cannot pass for age.
        const older = await chat.saveThread('w1', { threadId: 't-b' });
        await sleep(5);
        const newer = await chat.saveThread('w1', { threadId: 't-a' });
        const elsewhere = await chat.saveThread('w2', { threadId: 't-c' });

        expect(await chat.listThreads('w1')).toEqual([older, newer]);
        expect(await chat.listThreads('w2')).toEqual([elsewhere]);
        expect(await chat.listThreads('w3')).toEqual([]);
        expect(await chat.getThread('w2', 't-b')).toBeNull();
        expect(await chat.getThread('w1', 't-c')).toBeNull();
      });

      it('saving an existing thread updates its title and metadata and keeps the rest', async () => {
        const chat = subject();
        const original = await chat.saveThread('w1', {
          threadId: 't1',
          title: 'Old',
          metadata: { version: 1 },
        });
        await chat.appendMessage('w1', 't1', { messageId: 'm1', role: 'user', content: 'hi' });
        await sleep(10);

        const updated = await chat.saveThread('w1', {
          threadId: 't1',
          title: 'New',
          metadata: { version: 2 },
        });

        expect(updated.threadId).toBe('t1');
        expect(updated.title).toBe('New');
        expect(updated.metadata).toEqual({ version: 2 });
        expect(updated.createdAt).toBe(original.createdAt);
        expect(updated.updatedAt).toBeGreaterThan(original.updatedAt);
        expect(await chat.getThread('w1', 't1')).toEqual(updated);
        expect(await chat.listThreads('w1')).toEqual([updated]);
        expect(ids(await chat.getMessages('w1', 't1'))).toEqual(['m1']);
      });

      it('deleteThread deletes the thread and its messages, then returns false', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        const kept = await chat.saveThread('w1', { threadId: 't2' });
        await chat.appendMessage('w1', 't1', { messageId: 'm1', role: 'user', content: 'a' });
        await chat.appendMessage('w1', 't1', { messageId: 'm2', role: 'assistant', content: 'b' });
        await chat.appendMessage('w1', 't2', { messageId: 'm3', role: 'user', content: 'c' });

        expect(await chat.deleteThread('w1', 't1')).toBe(true);
        expect(await chat.getThread('w1', 't1')).toBeNull();
        expect((await chat.listThreads('w1')).map(stable)).toEqual([stable(kept)]);
        expect(await chat.deleteThread('w1', 't1')).toBe(false);
        await expectNotFoundError(() =>
          chat.appendMessage('w1', 't1', { role: 'user', content: 'late' }),
        );

        // A new thread with the same id starts empty.
        await chat.saveThread('w1', { threadId: 't1' });
        expect(await chat.getMessages('w1', 't1')).toEqual([]);

        // Another widget cannot delete the thread; its messages are untouched.
        expect(await chat.deleteThread('w2', 't2')).toBe(false);
        expect(stable(await chat.getThread('w1', 't2'))).toEqual(stable(kept));
        expect(ids(await chat.getMessages('w1', 't2'))).toEqual(['m3']);
        expect(await chat.deleteThread('w1', 'never-saved')).toBe(false);
      });

      it('returns copies: changing a returned thread changes nothing stored', async () => {
        const chat = subject();
        const metadata = { nested: { count: 1 } };
        const thread = await chat.saveThread('w1', { threadId: 't1', title: 'T', metadata });
        metadata.nested.count = 42;
        thread.title = 'changed';
        (thread.metadata.nested as { count: number }).count = 99;

        const fetched = (await chat.getThread('w1', 't1'))!;
        expect(fetched.title).toBe('T');
        expect(fetched.metadata).toEqual({ nested: { count: 1 } });
      });
    });

    describe('messages', () => {
      it('appendMessage returns the stored message', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        const before = Date.now();
        const message = await chat.appendMessage('w1', 't1', {
          messageId: 'm1',
          role: 'user',
          content: 'Hello',
          metadata: { tokens: 3 },
        });
        const after = Date.now();

        expect(message.messageId).toBe('m1');
        expect(message.threadId).toBe('t1');
        expect(message.role).toBe('user');
        expect(message.content).toBe('Hello');
        expect(message.metadata).toEqual({ tokens: 3 });
        expectTimeWithin(message.createdAt, before, after);
        expect(await chat.getMessages('w1', 't1')).toEqual([message]);
      });

      it('generates message ids, defaults metadata to {} and accepts every chat role', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        const roles: ChatRole[] = ['user', 'assistant', 'system', 'tool'];
        const appended = [];
        for (const role of roles) {
          appended.push(await chat.appendMessage('w1', 't1', { role, content: `as ${role}` }));
        }

        for (const message of appended) {
          expect(typeof message.messageId).toBe('string');
          expect(message.messageId.length).toBeGreaterThan(0);
          expect(message.metadata).toEqual({});
        }
        expect(new Set(ids(appended)).size).toBe(4);
        const stored = await chat.getMessages('w1', 't1');
        expect(stored).toEqual(appended);
        expect(stored.map((message) => message.role)).toEqual(roles);
      });

      it('appending to an unknown thread is a StateNotFoundError and creates nothing', async () => {
        const chat = subject();
        await chat.saveThread('w2', { threadId: 't-other' });

        await expectNotFoundError(() =>
          chat.appendMessage('w1', 'unknown', { role: 'user', content: 'x' }),
        );
        // A thread of another widget is unknown here.
        await expectNotFoundError(() =>
          chat.appendMessage('w1', 't-other', { role: 'user', content: 'x' }),
        );

        expect(await chat.getThread('w1', 'unknown')).toBeNull();
        expect(await chat.getThread('w1', 't-other')).toBeNull();
        expect(await chat.listThreads('w1')).toEqual([]);
        expect(await chat.getMessages('w2', 't-other')).toEqual([]);
      });

      it('a duplicate messageId within a thread is a StateConflictError', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await chat.saveThread('w1', { threadId: 't2' });
        const original = await chat.appendMessage('w1', 't1', {
          messageId: 'm1',
          role: 'user',
          content: 'first',
        });

        await expectConflictError(() =>
          chat.appendMessage('w1', 't1', { messageId: 'm1', role: 'assistant', content: 'again' }),
        );
        expect(await chat.getMessages('w1', 't1')).toEqual([original]);

        // Ids are unique per thread: another thread may use the same one.
        const inOtherThread = await chat.appendMessage('w1', 't2', {
          messageId: 'm1',
          role: 'user',
          content: 'other thread',
        });
        expect(await chat.getMessages('w1', 't2')).toEqual([inOtherThread]);
        expect(await chat.getMessages('w1', 't1')).toEqual([original]);
      });

      it('getMessages returns the newest 50 by default, or the newest `limit`, oldest first', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendNumbered(chat, 'w1', 't1', 60);

        expect(ids(await chat.getMessages('w1', 't1'))).toEqual(range(10, 60));
        expect(ids(await chat.getMessages('w1', 't1', {}))).toEqual(range(10, 60));
        expect(ids(await chat.getMessages('w1', 't1', { limit: 5 }))).toEqual(range(55, 60));
        expect(ids(await chat.getMessages('w1', 't1', { limit: 1 }))).toEqual(['m-0059']);
        expect(ids(await chat.getMessages('w1', 't1', { limit: 1000 }))).toEqual(range(0, 60));
        const [first] = await chat.getMessages('w1', 't1', { limit: 60 });
        expect(first.content).toBe('message 0');
        expect(first.role).toBe('user');
      });

      it('`before` returns the `limit` messages strictly older than the cursor, oldest first', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendNumbered(chat, 'w1', 't1', 60);
        const page = (options: GetMessagesOptions) =>
          chat.getMessages('w1', 't1', options).then(ids);

        expect(await page({ before: 'm-0030', limit: 5 })).toEqual(range(25, 30));
        expect(await page({ before: 'm-0030' })).toEqual(range(0, 30));
        expect(await page({ before: 'm-0059' })).toEqual(range(9, 59));
        expect(await page({ before: 'm-0003', limit: 5 })).toEqual(range(0, 3));
        expect(await page({ before: 'm-0001', limit: 5 })).toEqual(['m-0000']);
        expect(await page({ before: 'm-0000', limit: 5 })).toEqual([]);
        expect(await page({ before: 'unknown-id', limit: 5 })).toEqual([]);
        expect(await page({ before: 'unknown-id' })).toEqual([]);
      });

      it('walking back page by page with `before` visits every message exactly once', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendNumbered(chat, 'w1', 't1', 23);

        const pages: string[][] = [];
        let before: string | undefined;
        for (let guard = 0; guard < 20; guard += 1) {
          const page = ids(await chat.getMessages('w1', 't1', { limit: 5, before }));
          if (page.length === 0) {
            break;
          }
          pages.push(page);
          before = page[0];
        }

        expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
        expect(pages.reverse().flat()).toEqual(range(0, 23));
      });

      it('keeps at most 1,000 messages per thread, evicting the oldest', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendNumbered(chat, 'w1', 't1', 1005);

        const kept = ids(await chat.getMessages('w1', 't1', { limit: 1000 }));
        expect(kept).toHaveLength(1000);
        expect(kept[0]).toBe('m-0005');
        expect(kept[999]).toBe('m-1004');
        expect(kept).toEqual(range(5, 1005));

        for (const evicted of range(0, 5)) {
          expect(await chat.getMessages('w1', 't1', { before: evicted, limit: 1000 })).toEqual([]);
        }
        expect(await chat.getMessages('w1', 't1', { before: 'm-0005', limit: 1000 })).toEqual([]);
        expect(ids(await chat.getMessages('w1', 't1', { before: 'm-0006', limit: 1000 }))).toEqual([
          'm-0005',
        ]);

        expect(await chat.clearMessages('w1', 't1')).toBe(1000);
      });

      it('clearMessages removes every message of the thread and returns how many', async () => {
        const chat = subject();
        const thread = await chat.saveThread('w1', { threadId: 't1', title: 'Keep me' });
        await chat.saveThread('w1', { threadId: 't2' });
        await appendNumbered(chat, 'w1', 't1', 3);
        await chat.appendMessage('w1', 't2', { messageId: 'other', role: 'user', content: 'x' });

        expect(await chat.clearMessages('w1', 't1')).toBe(3);
        expect(await chat.getMessages('w1', 't1')).toEqual([]);
        expect(stable(await chat.getThread('w1', 't1'))).toEqual(stable(thread));
        expect(ids(await chat.getMessages('w1', 't2'))).toEqual(['other']);
        expect(await chat.clearMessages('w1', 't1')).toBe(0);

        // The thread is still usable, and a cleared id may be used again.
        await chat.appendMessage('w1', 't1', { messageId: 'm-0000', role: 'user', content: 'new' });
        expect(ids(await chat.getMessages('w1', 't1'))).toEqual(['m-0000']);
      });

      it('accepts ids of exactly 256 characters and unicode ids', async () => {
        const chat = subject();
        const longWidget = 'w'.repeat(256);
        const longThread = 't'.repeat(256);
        const longMessage = 'm'.repeat(256);

        await chat.saveThread(longWidget, { threadId: longThread });
        await chat.appendMessage(longWidget, longThread, {
          messageId: longMessage,
          role: 'user',
          content: 'long',
        });
        await chat.saveThread('wïdget-✓', { threadId: 'thréad-✓', title: 'Tïtle ✓' });
        await chat.appendMessage('wïdget-✓', 'thréad-✓', {
          messageId: 'méssage-✓',
          role: 'user',
          content: 'ünïcode ✓',
        });

        expect(ids(await chat.getMessages(longWidget, longThread))).toEqual([longMessage]);
        expect((await chat.getThread('wïdget-✓', 'thréad-✓'))!.title).toBe('Tïtle ✓');
        const [message] = await chat.getMessages('wïdget-✓', 'thréad-✓');
        expect(message.messageId).toBe('méssage-✓');
        expect(message.content).toBe('ünïcode ✓');
      });
    });

    describe('bad input', () => {
      it('appendMessage rejects bad roles, content, ids and metadata, appending nothing', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        const original = await chat.appendMessage('w1', 't1', {
          messageId: 'm0',
          role: 'user',
          content: 'kept',
        });
        const badMessages: unknown[] = [
          { role: 'robot', content: 'x' },
          { role: 'USER', content: 'x' },
          { content: 'x' },
          { role: 'user', content: 42 },
          { role: 'user', content: null },
          { role: 'user' },
          { messageId: '', role: 'user', content: 'x' },
          { messageId: 'm\n1', role: 'user', content: 'x' },
          { messageId: 'm'.repeat(257), role: 'user', content: 'x' },
          { role: 'user', content: 'x', metadata: [] },
          { role: 'user', content: 'x', metadata: null },
        ];

        for (const message of badMessages) {
          await expectValidationError(() =>
            chat.appendMessage('w1', 't1', unchecked<AppendMessageInput>(message)),
          );
        }
        await expectValidationError(() =>
          chat.appendMessage('', 't1', { role: 'user', content: 'x' }),
        );
        await expectValidationError(() =>
          chat.appendMessage('w1', '', { role: 'user', content: 'x' }),
        );

        expect(await chat.getMessages('w1', 't1')).toEqual([original]);
      });

      it('getMessages rejects a bad limit or cursor', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendNumbered(chat, 'w1', 't1', 3);

        for (const limit of [0, 1001, 2.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
          await expectValidationError(() =>
            chat.getMessages('w1', 't1', { limit: unchecked<number>(limit) }),
          );
        }
        await expectValidationError(() => chat.getMessages('w1', 't1', { before: '' }));
        await expectValidationError(() => chat.getMessages('', 't1'));
        await expectValidationError(() => chat.getMessages('w1', ''));

        expect(ids(await chat.getMessages('w1', 't1'))).toEqual(range(0, 3));
      });

      it('thread methods reject bad ids, titles and metadata, changing nothing', async () => {
        const chat = subject();
        const thread = await chat.saveThread('w1', { threadId: 't1', title: 'Kept' });
        await appendNumbered(chat, 'w1', 't1', 2);
        const badThreads: unknown[] = [
          { threadId: '' },
          { threadId: 't\n2' },
          { threadId: ' t2' },
          { threadId: 't'.repeat(257) },
          { threadId: 't2', title: 42 },
          { threadId: 't2', metadata: [] },
          { threadId: 't2', metadata: null },
          { threadId: 't1', title: 42 },
          { threadId: 't1', metadata: [] },
        ];

        for (const input of badThreads) {
          await expectValidationError(() =>
            chat.saveThread('w1', unchecked<SaveThreadInput>(input)),
          );
        }
        await expectValidationError(() => chat.saveThread('', { threadId: 't2' }));
        await expectValidationError(() => chat.saveThread('w\u00001'));
        await expectValidationError(() => chat.getThread('', 't1'));
        await expectValidationError(() => chat.getThread('w1', ''));
        await expectValidationError(() => chat.listThreads(''));
        await expectValidationError(() => chat.deleteThread('w1', ''));
        await expectValidationError(() => chat.deleteThread('', 't1'));
        await expectValidationError(() => chat.clearMessages('w1', ''));
        await expectValidationError(() => chat.clearMessages('', 't1'));

        expect((await chat.listThreads('w1')).map(stable)).toEqual([stable(thread)]);
        expect(await chat.getThread('w1', 't2')).toBeNull();
        expect(ids(await chat.getMessages('w1', 't1'))).toEqual(range(0, 2));
      });
    });
  });
}
