import fc from 'fast-check';
import { StateConflictError, StateNotFoundError } from '../../state.errors';
import { MAX_MESSAGES_PER_THREAD, type ChatStore } from '../../chat/chat-store';
import { sleep } from '../../testing/wait';
import { MemoryChatStore } from '../memory/memory-chat.store';
import type { StateBackend } from '../state-backend';
import { uniquePrefix, useRedisTestServer } from './redis-test.helpers';

const redis = useRedisTestServer();

async function backend(prefix: string): Promise<StateBackend> {
  return redis.open({
    redisPrefix: prefix,
    // Chat does not read sessions; the session cache's liveness PINGs would show up in MONITOR.
    sessionCacheSize: 0,
  });
}

/** The chat keys under a prefix (the backend keeps a probe key and the role table there too). */
async function chatKeysOf(prefix: string): Promise<string[]> {
  return (await redis.keysOf(prefix)).filter((key) => key.startsWith(`${prefix}:chat:`));
}

/** Top-level commands sent while `action` ran (MONITOR; commands inside scripts excluded). */
async function roundTrips(action: () => Promise<unknown>): Promise<string[]> {
  const monitor = await redis.admin().monitor();
  const commands: string[] = [];
  try {
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!source.includes('lua')) {
        commands.push(args[0].toLowerCase());
      }
    });
    await sleep(50);
    await action();
    await sleep(100);
  } finally {
    monitor.disconnect();
  }
  return commands;
}

async function seedThread(chat: ChatStore, widgetId = 'w1', threadId = 't1'): Promise<void> {
  await chat.saveThread(widgetId, { threadId });
  await chat.appendMessage(widgetId, threadId, { messageId: 'm1', role: 'user', content: 'hi' });
}

describe('RedisChatStore audit trail', () => {
  it('costs one round trip per audit write, two for a transition of a logged tool call', async () => {
    const { chats } = await backend(uniquePrefix('trips'));
    await seedThread(chats);
    // Every script used once, so that the counts below are the steady state.
    await chats.logToolCall('w1', 't1', 'm1', { toolCallId: 'warm', name: 'x' });
    await chats.logArtifact('w1', 't1', 'm1', { artifactType: 'code' });
    await chats.logTokenUsage('w1', 't1', 'm1', {});
    await chats.logResource('w1', 't1', { uri: 'file:///warm' });
    await chats.logSkill('w1', 't1', { name: 'warm' });
    await chats.getToolCalls('w1', 't1');

    expect(
      await roundTrips(() => chats.logToolCall('w1', 't1', 'm1', { toolCallId: 'tc', name: 'x' })),
    ).toEqual(['evalsha']);
    expect(
      await roundTrips(() =>
        chats.logToolCall('w1', 't1', 'm1', { toolCallId: 'tc', name: 'x', status: 'completed' }),
      ),
    ).toEqual(['evalsha', 'evalsha']);
    expect(
      await roundTrips(() => chats.logArtifact('w1', 't1', 'm1', { artifactType: 'code' })),
    ).toEqual(['evalsha']);
    expect(
      await roundTrips(() => chats.logTokenUsage('w1', 't1', 'm1', { promptTokens: 1 })),
    ).toEqual(['evalsha']);
    expect(await roundTrips(() => chats.logResource('w1', 't1', { uri: 'file:///a' }))).toEqual([
      'evalsha',
    ]);
    expect(await roundTrips(() => chats.logSkill('w1', 't1', { name: 'charts' }))).toEqual([
      'evalsha',
    ]);
    expect(await roundTrips(() => chats.getToolCalls('w1', 't1'))).toEqual(['evalsha']);
  });

  it('keeps the audit trail under percent-encoded thread keys that never expire', async () => {
    const prefix = uniquePrefix('layout');
    const { chats } = await backend(prefix);
    await seedThread(chats, 'w:1', 't/1');
    await chats.logToolCall('w:1', 't/1', 'm1', { toolCallId: 'tc', name: 'x' });
    await chats.logArtifact('w:1', 't/1', 'm1', { artifactType: 'code' });
    await chats.logTokenUsage('w:1', 't/1', 'm1', {});
    await chats.logResource('w:1', 't/1', { uri: 'file:///a' });
    await chats.logSkill('w:1', 't/1', { name: 'charts' });

    const thread = `${prefix}:chat:w%3A1:thread:t%2F1`;
    const keys = await chatKeysOf(prefix);
    expect(keys).toEqual(
      [
        `${prefix}:chat:message_sequence`,
        `${prefix}:chat:w%3A1:sequence`,
        `${prefix}:chat:w%3A1:threads`,
        `${prefix}:chat:widgets`,
        thread,
        ...[
          'artifact_ids',
          'artifacts',
          'message_ids',
          'message_sequences',
          'messages',
          'resource_ids',
          'resources',
          'skill_ids',
          'skills',
          'tool_call_ids',
          'tool_calls',
          'usage',
        ].map((suffix) => `${thread}:${suffix}`),
      ].sort(),
    );
    expect(await redis.admin().smembers(`${prefix}:chat:widgets`)).toEqual(['w:1']);
    for (const key of keys) {
      expect({ key, ttl: await redis.admin().pttl(key) }).toEqual({ key, ttl: -1 });
    }
  });

  it('deleteThread leaves no key of the thread, nor of its widget once the last thread goes', async () => {
    const prefix = uniquePrefix('scan');
    const { chats } = await backend(prefix);
    /** Every chat write there is, against one thread. */
    const fill = async (widgetId: string, threadId: string) => {
      await chats.saveThread(widgetId, { threadId, title: 'title', metadata: { a: 1 } });
      await chats.appendMessage(widgetId, threadId, {
        messageId: 'm1',
        role: 'user',
        content: 'hi',
      });
      await chats.appendMessage(widgetId, threadId, {
        messageId: 'm2',
        role: 'assistant',
        content: 'yo',
      });
      await chats.logToolCall(widgetId, threadId, 'm2', { toolCallId: 'tc', name: 'x' });
      await chats.logToolCall(widgetId, threadId, 'm2', {
        toolCallId: 'tc',
        name: 'x',
        status: 'completed',
      });
      await chats.logArtifact(widgetId, threadId, 'm2', { artifactType: 'code' });
      await chats.logTokenUsage(widgetId, threadId, 'm2', { promptTokens: 3, completionTokens: 4 });
      await chats.logResource(widgetId, threadId, { uri: 'file:///a' });
      await chats.logSkill(widgetId, threadId, { name: 'charts' });
    };
    await fill('w:1', 't/1');
    await fill('w:1', 't/2');
    await fill('w2', 't/1');
    const before = await redis.keysOf(prefix);

    expect(await chats.deleteThread('w:1', 't/1')).toBe(true);
    const thread = `${prefix}:chat:w%3A1:thread:t%2F1`;
    const afterFirst = await redis.keysOf(prefix);
    expect(afterFirst.filter((key) => key === thread || key.startsWith(`${thread}:`))).toEqual([]);
    // Nothing else went: the widget's other thread and the other widget are whole.
    expect(afterFirst).toEqual(
      before.filter((key) => key !== thread && !key.startsWith(`${thread}:`)),
    );
    expect(await chats.getMessages('w:1', 't/2')).toHaveLength(2);

    expect(await chats.deleteThread('w:1', 't/2')).toBe(true);
    expect(
      (await redis.keysOf(prefix)).filter((key) => key.startsWith(`${prefix}:chat:w%3A1:`)),
    ).toEqual([]);
    expect(await redis.admin().smembers(`${prefix}:chat:widgets`)).toEqual(['w2']);
    expect((await chats.getUsageStats()).count).toBe(1);

    expect(await chats.deleteThread('w2', 't/1')).toBe(true);
    expect(await chatKeysOf(prefix)).toEqual([]);
    // Only what the backend keeps outside chat is left.
    expect(
      (await redis.keysOf(prefix)).filter(
        (key) => key !== `${prefix}:role_permissions` && !key.startsWith(`${prefix}:probe:`),
      ),
    ).toEqual([]);

    // A chat started again afterwards works as a first one does.
    await fill('w:1', 't/1');
    expect((await chats.listThreads('w:1')).map((item) => item.threadId)).toEqual(['t/1']);
    expect((await chats.searchMessages('hi')).map((hit) => hit.message.messageId)).toEqual(['m1']);
  });

  it('deleting every thread, in any order, leaves no chat key at all', async () => {
    const prefix = uniquePrefix('prop');
    const { chats } = await backend(prefix);
    const pairs = fc.uniqueArray(
      fc.record({
        widgetId: fc.constantFrom('w1', 'w:2', 'w 3', 'ж'),
        threadId: fc.constantFrom('t1', 't/2', 't%3', '線'),
        messages: fc.integer({ min: 0, max: 3 }),
        audit: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6, selector: (pair) => `${pair.widgetId}\n${pair.threadId}` },
    );
    // The threads, and the order in which they are deleted.
    const scenario = pairs.chain((threads) =>
      fc.tuple(
        fc.constant(threads),
        fc.shuffledSubarray(threads, { minLength: threads.length, maxLength: threads.length }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async ([threads, order]) => {
        for (const { widgetId, threadId, messages, audit } of threads) {
          await chats.saveThread(widgetId, { threadId });
          for (let index = 0; index < messages; index += 1) {
            await chats.appendMessage(widgetId, threadId, {
              messageId: `m${index}`,
              role: 'user',
              content: 'text',
            });
          }
          if (audit) {
            if (messages > 0) {
              await chats.logTokenUsage(widgetId, threadId, 'm0', { promptTokens: 1 });
              await chats.logToolCall(widgetId, threadId, 'm0', { toolCallId: 'tc', name: 'x' });
              await chats.logArtifact(widgetId, threadId, 'm0', { artifactType: 'code' });
            }
            await chats.logResource(widgetId, threadId, { uri: 'file:///r' });
            await chats.logSkill(widgetId, threadId, { name: 'skill' });
          }
        }
        expect((await chatKeysOf(prefix)).length).toBeGreaterThan(0);
        for (const { widgetId, threadId } of order) {
          expect(await chats.deleteThread(widgetId, threadId)).toBe(true);
        }
        expect(await chatKeysOf(prefix)).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  it('clearMessages keeps the audit keys; deleteThread removes every key of the thread', async () => {
    const prefix = uniquePrefix('lifecycle');
    const { chats } = await backend(prefix);
    await seedThread(chats);
    await seedThread(chats, 'w1', 'other');
    await chats.logToolCall('w1', 't1', 'm1', { toolCallId: 'tc', name: 'x' });
    await chats.logTokenUsage('w1', 't1', 'm1', { promptTokens: 3 });
    const thread = `${prefix}:chat:w1:thread:t1`;

    await chats.clearMessages('w1', 't1');
    const cleared = (await chatKeysOf(prefix)).filter((key) => key.startsWith(thread));
    expect(cleared).toEqual([
      thread,
      `${thread}:tool_call_ids`,
      `${thread}:tool_calls`,
      `${thread}:usage`,
    ]);

    await chats.deleteThread('w1', 't1');
    expect((await chatKeysOf(prefix)).filter((key) => key.startsWith(thread))).toEqual([]);
    // The widget still has a thread, so it stays in the index until its last one goes.
    expect(await redis.admin().smembers(`${prefix}:chat:widgets`)).toEqual(['w1']);
    await chats.deleteThread('w1', 'other');
    expect(await redis.admin().exists(`${prefix}:chat:widgets`)).toBe(0);
    expect(await chats.searchMessages('hi')).toEqual([]);
    expect((await chats.getUsageStats()).count).toBe(0);
  });

  it('moves a tool call atomically: of writers racing to complete it, exactly one wins', async () => {
    const prefix = uniquePrefix('race');
    // Two processes' worth of connections on one prefix.
    const first = (await backend(prefix)).chats;
    const second = (await backend(prefix)).chats;
    await seedThread(first);
    await first.logToolCall('w1', 't1', 'm1', {
      toolCallId: 'tc',
      name: 'x',
      status: 'in_progress',
    });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) =>
        (index % 2 === 0 ? first : second).logToolCall('w1', 't1', 'm1', {
          toolCallId: 'tc',
          name: 'x',
          status: 'completed',
          result: `writer ${index}`,
        }),
      ),
    );

    const winners = outcomes.flatMap((outcome) =>
      outcome.status === 'fulfilled' ? [outcome.value] : [],
    );
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        expect(outcome.reason).toBeInstanceOf(StateConflictError);
      }
    }
    expect(await second.getToolCalls('w1', 't1')).toEqual(winners);
  });

  it('keeps the audit of evicted messages but logs nothing new against them', async () => {
    const prefix = uniquePrefix('evict');
    const { chats } = await backend(prefix);
    await chats.saveThread('w1', { threadId: 't1' });
    await chats.appendMessage('w1', 't1', { messageId: 'first', role: 'user', content: 'x' });
    await chats.logToolCall('w1', 't1', 'first', { toolCallId: 'tc', name: 'x' });
    await chats.logArtifact('w1', 't1', 'first', { artifactId: 'a', artifactType: 'code' });
    for (let index = 0; index < MAX_MESSAGES_PER_THREAD; index += 1) {
      await chats.appendMessage('w1', 't1', { messageId: `m${index}`, role: 'user', content: 'y' });
    }

    await expect(
      chats.logToolCall('w1', 't1', 'first', { toolCallId: 'tc', name: 'x', status: 'completed' }),
    ).rejects.toBeInstanceOf(StateNotFoundError);
    await expect(chats.logTokenUsage('w1', 't1', 'first', {})).rejects.toBeInstanceOf(
      StateNotFoundError,
    );
    expect((await chats.getToolCalls('w1', 't1', 'first')).map((call) => call.status)).toEqual([
      'pending',
    ]);
    expect(await chats.getArtifacts('w1', 't1')).toHaveLength(1);
    // Sequence numbers go with the messages they rank.
    expect(await redis.admin().hlen(`${prefix}:chat:w1:thread:t1:message_sequences`)).toBe(
      MAX_MESSAGES_PER_THREAD,
    );
  });

  it('lists audit records past the number of values Lua unpacks at once', async () => {
    const { chats } = await backend(uniquePrefix('many'));
    await seedThread(chats);
    const count = 2500;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        chats.logSkill('w1', 't1', { skillId: `s${index}`, name: 'x' }),
      ),
    );
    const skills = await chats.getSkills('w1', 't1');
    expect(skills).toHaveLength(count);
    expect(new Set(skills.map((skill) => skill.skillId)).size).toBe(count);
  });

  it('weighs search terms over every widget, as memory does, when the search is scoped', async () => {
    const redis = (await backend(uniquePrefix('rank'))).chats;
    const memory = new MemoryChatStore();
    for (const chat of [redis, memory]) {
      await chat.saveThread('w1', { threadId: 't1' });
      await chat.saveThread('w2', { threadId: 't2' });
      await chat.appendMessage('w1', 't1', {
        messageId: 'alpha-heavy',
        role: 'user',
        content: 'alpha alpha alpha beta',
      });
      await sleep(2);
      await chat.appendMessage('w1', 't1', {
        messageId: 'beta-heavy',
        role: 'user',
        content: 'beta beta beta alpha',
      });
      // Beta is common elsewhere, so alpha is the rarer, weightier word overall; within w1
      // alone both words are as common and the newer message would come first.
      for (let index = 0; index < 6; index += 1) {
        await chat.appendMessage('w2', 't2', {
          messageId: `filler-${index}`,
          role: 'user',
          content: index < 3 ? 'beta gamma' : 'gamma delta',
        });
      }
    }

    const scoped = async (chat: ChatStore) =>
      (await chat.searchMessages('alpha beta', { widgetId: 'w1' })).map(
        (hit) => hit.message.messageId,
      );
    expect(await scoped(memory)).toEqual(['alpha-heavy', 'beta-heavy']);
    expect(await scoped(redis)).toEqual(await scoped(memory));
  });
});
