import { searchTerms } from '../../chat/message-search';
import type { ChatStore } from '../../chat/chat-store';
import { MemoryChatStore } from '../memory/memory-chat.store';
import { useSqliteSandbox } from './sqlite-test.helpers';
import type { SqliteStateBackend } from './sqlite.backend';

const SAMPLES = [
  'The quick brown fox jumps over the lazy dog',
  'café naïve RÉSUMÉ cafe\u0301',
  'c_d x$y p€q e😀f a✓b',
  "O'Brien said 3.14 is minus-sign close to π",
  '日本語テキスト と English',
  'Straße İstanbul ǅemal Ⅻ ½half',
  '"AND" OR NEAR(x, 2) col:y * ^start {a b}',
  'needle needle needle',
  'a needle in a haystack',
  'a long document that mentions the needle only once, among very many other words',
  'fox and dog and fox again',
];

const count = (backend: SqliteStateBackend, sql: string): number =>
  (backend.database.connection.prepare(sql).pluck().get() as number) ?? 0;

/** FTS5's own consistency check of the search index against the messages table. */
const checkSearchIndex = (backend: SqliteStateBackend): void => {
  backend.database.connection.exec(
    "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)",
  );
};

async function appendAll(chat: ChatStore, contents: string[]): Promise<void> {
  await chat.saveThread('w1', { threadId: 't1', title: 'Samples' });
  for (const [index, content] of contents.entries()) {
    await chat.appendMessage('w1', 't1', { messageId: `m${index}`, role: 'user', content });
  }
}

describe('SqliteChatStore', () => {
  const sandbox = useSqliteSandbox();

  it('splits text into the words FTS5 indexes, so every backend searches alike', async () => {
    const backend = await sandbox.open();
    await appendAll(backend.chats, SAMPLES);
    const connection = backend.database.connection;
    connection.exec(
      "CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, messages_fts, 'instance')",
    );
    const rows = connection
      .prepare('SELECT doc, term FROM temp.words ORDER BY doc, col, offset')
      .all() as { doc: number; term: string }[];
    const seqs = connection
      .prepare('SELECT seq FROM messages ORDER BY seq')
      .pluck()
      .all() as number[];

    const indexed = seqs.map((seq) => rows.filter((row) => row.doc === seq).map((row) => row.term));
    expect(indexed).toEqual(SAMPLES.map((sample) => searchTerms(sample)));
  });

  it('ranks search results as the memory backend does', async () => {
    const backend = await sandbox.open();
    const memory = new MemoryChatStore();
    await appendAll(backend.chats, SAMPLES);
    await appendAll(memory, SAMPLES);

    for (const query of ['needle', 'fox', 'fox dog', 'the', 'a', 'cafe', 'near col', 'nothing']) {
      const ids = async (chat: ChatStore) =>
        (await chat.searchMessages(query)).map((hit) => hit.message.messageId);
      expect({ query, ids: await ids(backend.chats) }).toEqual({ query, ids: await ids(memory) });
    }
  });

  it('quotes user input: the same queries unquoted would be FTS5 syntax errors', async () => {
    const backend = await sandbox.open();
    await appendAll(backend.chats, SAMPLES);
    const raw = backend.database.connection.prepare(
      'SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?',
    );

    for (const query of ['NEAR(', '"quoted', 'col:y', '*', 'AND', '(x', 'a OR']) {
      expect(() => raw.all(query)).toThrow();
      expect(Array.isArray(await backend.chats.searchMessages(query))).toBe(true);
    }
  });

  it('keeps the search index in step through eviction, clearing and deletion', async () => {
    const backend = await sandbox.open();
    const chat = backend.chats;
    await chat.saveThread('w1', { threadId: 't1' });
    await chat.saveThread('w1', { threadId: 't2' });
    for (let index = 0; index < 1003; index += 1) {
      await chat.appendMessage('w1', 't1', {
        messageId: `m${index}`,
        role: 'user',
        content: `entry number${index}`,
      });
    }
    await chat.appendMessage('w1', 't2', { messageId: 'x', role: 'user', content: 'entry other' });

    expect(count(backend, 'SELECT count(*) FROM messages')).toBe(1001);
    expect(await chat.searchMessages('number0')).toEqual([]);
    expect((await chat.searchMessages('number3')).map((hit) => hit.message.messageId)).toEqual([
      'm3',
    ]);
    expect(await chat.searchMessages('entry', { limit: 1000 })).toHaveLength(1000);
    checkSearchIndex(backend);

    await chat.clearMessages('w1', 't1');
    checkSearchIndex(backend);
    expect((await chat.searchMessages('entry')).map((hit) => hit.threadId)).toEqual(['t2']);

    await chat.deleteThread('w1', 't2');
    checkSearchIndex(backend);
    expect(await chat.searchMessages('entry')).toEqual([]);
    expect(count(backend, 'SELECT count(*) FROM messages')).toBe(0);
  });

  it('deletes the audit rows of a deleted thread from the file', async () => {
    const backend = await sandbox.open();
    const chat = backend.chats;
    await appendAll(chat, ['one']);
    await chat.logToolCall('w1', 't1', 'm0', { toolCallId: 'tc', name: 'tool' });
    await chat.logArtifact('w1', 't1', 'm0', { artifactType: 'code' });
    await chat.logTokenUsage('w1', 't1', 'm0', { promptTokens: 1 });
    await chat.logResource('w1', 't1', { uri: 'file:///a' });
    await chat.logSkill('w1', 't1', { name: 'skill' });
    const tables = ['tool_calls', 'artifacts', 'token_usage', 'resources', 'skills'];
    const rows = () => tables.map((table) => count(backend, `SELECT count(*) FROM ${table}`));

    await chat.clearMessages('w1', 't1');
    expect(rows()).toEqual([1, 1, 1, 1, 1]);
    await chat.deleteThread('w1', 't1');
    expect(rows()).toEqual([0, 0, 0, 0, 0]);
  });
});
