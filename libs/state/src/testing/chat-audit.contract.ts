import type {
  LogArtifactInput,
  LogResourceInput,
  LogSkillInput,
  LogTokenUsageInput,
  LogToolCallInput,
  MessageSearchResult,
  SearchMessagesOptions,
  UsageScope,
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

const messageIds = (results: MessageSearchResult[]): string[] =>
  results.map((result) => result.message.messageId);

/** Thread `t1` of widget `w1` titled "Thread one", with messages `m1` (user) and `m2` (assistant). */
async function seedThread(chat: ChatStore): Promise<void> {
  await chat.saveThread('w1', { threadId: 't1', title: 'Thread one' });
  await chat.appendMessage('w1', 't1', { messageId: 'm1', role: 'user', content: 'question' });
  await chat.appendMessage('w1', 't1', { messageId: 'm2', role: 'assistant', content: 'answer' });
}

/** Appends messages with the given contents to a thread, `${prefix}-0`, `${prefix}-1`, … */
async function appendContents(
  chat: ChatStore,
  widgetId: string,
  threadId: string,
  prefix: string,
  contents: string[],
): Promise<void> {
  for (const [index, content] of contents.entries()) {
    await chat.appendMessage(widgetId, threadId, {
      messageId: `${prefix}-${index}`,
      role: 'user',
      content,
    });
  }
}

/**
 * The audit trail every `ChatStore` backend must keep: tool calls with their status transitions,
 * artifacts, token usage and cost, resources, skills, and full-text search over messages.
 */
export function describeChatAuditContract(
  backendName: string,
  factory: ContractFactory<ChatStore>,
): void {
  describe(`ChatStore audit trail contract (${backendName})`, () => {
    const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);

    describe('tool calls', () => {
      it('logToolCall logs a pending call with defaults and getToolCalls returns it parsed', async () => {
        const chat = subject();
        await seedThread(chat);
        const before = Date.now();
        const call = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc1',
          name: 'search',
          arguments: { query: 'weather', nested: { days: [1, 2] } },
        });
        const after = Date.now();

        expect(call).toEqual({
          toolCallId: 'tc1',
          widgetId: 'w1',
          threadId: 't1',
          messageId: 'm2',
          name: 'search',
          kind: 'other',
          status: 'pending',
          arguments: { query: 'weather', nested: { days: [1, 2] } },
          result: null,
          error: null,
          createdAt: expect.any(Number),
          updatedAt: expect.any(Number),
          startedAt: null,
          completedAt: null,
          durationMs: null,
        });
        expectTimeWithin(call.createdAt, before, after);
        expect(call.updatedAt).toBe(call.createdAt);

        expect(await chat.getToolCalls('w1', 't1', 'm2')).toEqual([call]);
        expect(await chat.getToolCalls('w1', 't1')).toEqual([call]);
        expect(await chat.getToolCalls('w1', 't1', 'm1')).toEqual([]);
        expect(await chat.getToolCalls('w1', 'unknown')).toEqual([]);
        expect(await chat.getToolCalls('w2', 't1')).toEqual([]);
      });

      it('status transitions keep startedAt and record the completion time and duration', async () => {
        const chat = subject();
        await seedThread(chat);
        const pending = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc1',
          name: 'search',
          kind: 'fetch',
          arguments: { query: 'weather' },
        });
        await sleep(5);

        const beforeStart = Date.now();
        const running = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc1',
          name: 'search',
          status: 'in_progress',
        });
        const afterStart = Date.now();
        expect(running.status).toBe('in_progress');
        expectTimeWithin(running.startedAt, beforeStart, afterStart);
        expect(running.createdAt).toBe(pending.createdAt);
        expect(running.completedAt).toBeNull();
        expect(running.durationMs).toBeNull();
        expect(running.kind).toBe('fetch');
        expect(running.arguments).toEqual({ query: 'weather' });
        await sleep(25);

        const beforeEnd = Date.now();
        const done = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc1',
          name: 'search',
          status: 'completed',
          result: 'sunny',
        });
        const afterEnd = Date.now();
        expect(done.status).toBe('completed');
        expect(done.startedAt).toBe(running.startedAt);
        expectTimeWithin(done.completedAt, beforeEnd, afterEnd);
        expect(done.durationMs).toBe(done.completedAt! - done.startedAt!);
        expect(done.durationMs).toBeGreaterThanOrEqual(20);
        expect(done.result).toBe('sunny');
        expect(done.error).toBeNull();
        expect(done.arguments).toEqual({ query: 'weather' });
        expect(done.createdAt).toBe(pending.createdAt);
        expect(done.updatedAt).toBeGreaterThanOrEqual(running.updatedAt);
        expect(await chat.getToolCalls('w1', 't1', 'm2')).toEqual([done]);

        // Logged straight as failed: it started and ended at its first log.
        const failed = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc2',
          name: 'fetch_page',
          status: 'failed',
          error: 'timeout',
        });
        expect(failed.startedAt).toBe(failed.createdAt);
        expect(failed.completedAt).toBe(failed.createdAt);
        expect(failed.durationMs).toBe(0);
        expect(failed.error).toBe('timeout');

        // Pending, then completed without in_progress: it counts from its first log.
        const queued = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc3',
          name: 'search',
        });
        await sleep(10);
        const finished = await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'tc3',
          name: 'search',
          status: 'completed',
        });
        expect(finished.startedAt).toBe(queued.createdAt);
        expect(finished.durationMs).toBe(finished.completedAt! - queued.createdAt);
        expect(finished.durationMs).toBeGreaterThanOrEqual(5);
      });

      it('refuses to move a call back, to change a final call, or to give it another message or tool', async () => {
        const chat = subject();
        await seedThread(chat);
        await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'running',
          name: 'search',
          status: 'in_progress',
        });
        await chat.logToolCall('w1', 't1', 'm2', {
          toolCallId: 'done',
          name: 'search',
          status: 'completed',
          result: 'kept',
        });
        const before = await chat.getToolCalls('w1', 't1');

        const refused: LogToolCallInput[] = [
          { toolCallId: 'running', name: 'search', status: 'pending' },
          { toolCallId: 'done', name: 'search', status: 'in_progress' },
          { toolCallId: 'done', name: 'search', status: 'completed', result: 'again' },
          { toolCallId: 'done', name: 'search', status: 'failed', error: 'late' },
          { toolCallId: 'running', name: 'another_tool', status: 'completed' },
        ];
        for (const call of refused) {
          await expectConflictError(() => chat.logToolCall('w1', 't1', 'm2', call));
        }
        await expectConflictError(() =>
          chat.logToolCall('w1', 't1', 'm1', {
            toolCallId: 'running',
            name: 'search',
            status: 'completed',
          }),
        );

        expect(await chat.getToolCalls('w1', 't1')).toEqual(before);
      });

      it('lists calls in the order first logged, filtered by message', async () => {
        const chat = subject();
        await seedThread(chat);
        // Ids not in alphabetical order, so that sorting by id cannot pass for log order.
        await chat.logToolCall('w1', 't1', 'm1', { toolCallId: 'tc-b', name: 'one' });
        await chat.logToolCall('w1', 't1', 'm2', { toolCallId: 'tc-a', name: 'two' });
        await chat.logToolCall('w1', 't1', 'm1', { toolCallId: 'tc-c', name: 'three' });
        await chat.logToolCall('w1', 't1', 'm1', {
          toolCallId: 'tc-b',
          name: 'one',
          status: 'completed',
        });

        const all = await chat.getToolCalls('w1', 't1');
        expect(all.map((call) => call.toolCallId)).toEqual(['tc-b', 'tc-a', 'tc-c']);
        expect(all.map((call) => call.status)).toEqual(['completed', 'pending', 'pending']);
        expect((await chat.getToolCalls('w1', 't1', 'm1')).map((c) => c.toolCallId)).toEqual([
          'tc-b',
          'tc-c',
        ]);
        expect((await chat.getToolCalls('w1', 't1', 'm2')).map((c) => c.toolCallId)).toEqual([
          'tc-a',
        ]);
      });

      it('logToolCall rejects bad input with a StateValidationError and logs nothing', async () => {
        const chat = subject();
        await seedThread(chat);
        const badCalls: unknown[] = [
          null,
          'tc1',
          { name: 'search' },
          { toolCallId: '', name: 'search' },
          { toolCallId: 'tc\n1', name: 'search' },
          { toolCallId: 'tc1' },
          { toolCallId: 'tc1', name: '' },
          { toolCallId: 'tc1', name: 'search', status: 'done' },
          { toolCallId: 'tc1', name: 'search', kind: 'bad kind' },
          { toolCallId: 'tc1', name: 'search', arguments: ['list'] },
          { toolCallId: 'tc1', name: 'search', arguments: null },
          { toolCallId: 'tc1', name: 'search', result: 42 },
          { toolCallId: 'tc1', name: 'search', error: { message: 'x' } },
        ];
        for (const call of badCalls) {
          await expectValidationError(() =>
            chat.logToolCall('w1', 't1', 'm1', unchecked<LogToolCallInput>(call)),
          );
        }
        const valid: LogToolCallInput = { toolCallId: 'tc1', name: 'search' };
        await expectValidationError(() => chat.logToolCall('', 't1', 'm1', valid));
        await expectValidationError(() => chat.logToolCall('w1', '', 'm1', valid));
        await expectValidationError(() => chat.logToolCall('w1', 't1', '', valid));
        await expectValidationError(() => chat.getToolCalls('', 't1'));
        await expectValidationError(() => chat.getToolCalls('w1', 't1', 'm\n1'));

        expect(await chat.getToolCalls('w1', 't1')).toEqual([]);
      });
    });

    describe('artifacts', () => {
      it('logArtifact stores artifacts and getArtifacts returns them parsed, in order', async () => {
        const chat = subject();
        await seedThread(chat);
        const before = Date.now();
        const chart = await chat.logArtifact('w1', 't1', 'm2', {
          artifactId: 'a-chart',
          artifactType: 'chart',
          title: 'Sales',
          content: '{"type":"bar"}',
          metadata: { series: [1, 2, 3] },
        });
        const after = Date.now();
        const code = await chat.logArtifact('w1', 't1', 'm2', { artifactType: 'code' });
        const other = await chat.logArtifact('w1', 't1', 'm1', { artifactType: 'table' });

        expect(chart).toEqual({
          artifactId: 'a-chart',
          widgetId: 'w1',
          threadId: 't1',
          messageId: 'm2',
          artifactType: 'chart',
          title: 'Sales',
          content: '{"type":"bar"}',
          metadata: { series: [1, 2, 3] },
          createdAt: expect.any(Number),
        });
        expectTimeWithin(chart.createdAt, before, after);
        expect(typeof code.artifactId).toBe('string');
        expect(code.artifactId.length).toBeGreaterThan(0);
        expect(code.title).toBe('');
        expect(code.content).toBeNull();
        expect(code.metadata).toEqual({});

        expect(await chat.getArtifacts('w1', 't1', 'm2')).toEqual([chart, code]);
        expect(await chat.getArtifacts('w1', 't1', 'm1')).toEqual([other]);
        expect(await chat.getArtifacts('w1', 't1')).toEqual([chart, code, other]);
        expect(await chat.getArtifacts('w2', 't1')).toEqual([]);
      });

      it('a duplicate artifactId is a StateConflictError; bad input a StateValidationError', async () => {
        const chat = subject();
        await seedThread(chat);
        const kept = await chat.logArtifact('w1', 't1', 'm2', {
          artifactId: 'a1',
          artifactType: 'code',
          content: 'print(1)',
        });

        await expectConflictError(() =>
          chat.logArtifact('w1', 't1', 'm1', { artifactId: 'a1', artifactType: 'chart' }),
        );
        const badArtifacts: unknown[] = [
          null,
          {},
          { artifactType: '' },
          { artifactType: 'bad type' },
          { artifactType: 'code', artifactId: '' },
          { artifactType: 'code', title: 42 },
          { artifactType: 'code', content: 42 },
          { artifactType: 'code', metadata: [] },
        ];
        for (const artifact of badArtifacts) {
          await expectValidationError(() =>
            chat.logArtifact('w1', 't1', 'm2', unchecked<LogArtifactInput>(artifact)),
          );
        }
        await expectValidationError(() => chat.getArtifacts('w1', ''));

        expect(await chat.getArtifacts('w1', 't1')).toEqual([kept]);
      });
    });

    describe('token usage', () => {
      it('logTokenUsage records tokens and cost; totalTokens defaults to the sum', async () => {
        const chat = subject();
        await seedThread(chat);
        const before = Date.now();
        const usage = await chat.logTokenUsage('w1', 't1', 'm2', {
          model: 'gpt-4o',
          promptTokens: 120,
          completionTokens: 30,
          costUsd: 0.0045,
        });
        const after = Date.now();
        const bare = await chat.logTokenUsage('w1', 't1', 'm2', {});
        const explicit = await chat.logTokenUsage('w1', 't1', 'm1', {
          promptTokens: 1,
          completionTokens: 2,
          totalTokens: 10,
        });

        expect(usage).toEqual({
          usageId: expect.any(String),
          widgetId: 'w1',
          threadId: 't1',
          messageId: 'm2',
          model: 'gpt-4o',
          promptTokens: 120,
          completionTokens: 30,
          totalTokens: 150,
          costUsd: 0.0045,
          createdAt: expect.any(Number),
        });
        expectTimeWithin(usage.createdAt, before, after);
        expect(bare).toMatchObject({
          model: null,
          promptTokens: 0,
          completionTokens: 0,
          totalTokens: 0,
          costUsd: null,
        });
        expect(bare.usageId).not.toBe(usage.usageId);
        expect(explicit.totalTokens).toBe(10);

        const stats = await chat.getUsageStats({ widgetId: 'w1', threadId: 't1' });
        expect(stats).toEqual({
          promptTokens: 121,
          completionTokens: 32,
          totalTokens: 160,
          costUsd: expect.any(Number),
          count: 3,
        });
        expect(stats.costUsd).toBeCloseTo(0.0045, 12);
      });

      it('getUsageStats and getTotalCost sum over a thread, a widget or everything', async () => {
        const chat = subject();
        await seedThread(chat);
        await chat.saveThread('w1', { threadId: 't2' });
        await chat.appendMessage('w1', 't2', { messageId: 'm1', role: 'user', content: 'x' });
        await chat.saveThread('w2', { threadId: 't1' });
        await chat.appendMessage('w2', 't1', { messageId: 'm1', role: 'user', content: 'y' });

        await chat.logTokenUsage('w1', 't1', 'm1', {
          promptTokens: 10,
          completionTokens: 5,
          costUsd: 0.01,
        });
        await chat.logTokenUsage('w1', 't1', 'm2', {
          promptTokens: 20,
          completionTokens: 10,
          totalTokens: 35,
          costUsd: 0.02,
        });
        await chat.logTokenUsage('w1', 't2', 'm1', { promptTokens: 1, completionTokens: 1 });
        await chat.logTokenUsage('w2', 't1', 'm1', {
          promptTokens: 100,
          completionTokens: 50,
          costUsd: 1.5,
        });

        const expectStats = async (
          scope: UsageScope | undefined,
          expected: [number, number, number, number, number],
        ) => {
          const stats = await chat.getUsageStats(scope);
          const [promptTokens, completionTokens, totalTokens, costUsd, count] = expected;
          expect(stats).toEqual({
            promptTokens,
            completionTokens,
            totalTokens,
            costUsd: expect.any(Number),
            count,
          });
          expect(stats.costUsd).toBeCloseTo(costUsd, 12);
          expect(await chat.getTotalCost(scope)).toBeCloseTo(costUsd, 12);
        };

        await expectStats({ widgetId: 'w1', threadId: 't1' }, [30, 15, 50, 0.03, 2]);
        await expectStats({ widgetId: 'w1', threadId: 't2' }, [1, 1, 2, 0, 1]);
        await expectStats({ widgetId: 'w2', threadId: 't1' }, [100, 50, 150, 1.5, 1]);
        await expectStats({ widgetId: 'w1' }, [31, 16, 52, 0.03, 3]);
        await expectStats({ widgetId: 'w2' }, [100, 50, 150, 1.5, 1]);
        await expectStats(undefined, [131, 66, 202, 1.53, 4]);
        await expectStats({}, [131, 66, 202, 1.53, 4]);
        await expectStats({ widgetId: 'w3' }, [0, 0, 0, 0, 0]);
        await expectStats({ widgetId: 'w1', threadId: 'unknown' }, [0, 0, 0, 0, 0]);
      });

      it('rejects bad usage and scopes with a StateValidationError and records nothing', async () => {
        const chat = subject();
        await seedThread(chat);
        const badUsage: unknown[] = [
          null,
          { promptTokens: -1 },
          { completionTokens: 1.5 },
          { totalTokens: Number.NaN },
          { promptTokens: '10' },
          { costUsd: -0.01 },
          { costUsd: Number.POSITIVE_INFINITY },
          { costUsd: '0.1' },
          { model: '' },
          { model: 'gpt\n4' },
        ];
        for (const usage of badUsage) {
          await expectValidationError(() =>
            chat.logTokenUsage('w1', 't1', 'm1', unchecked<LogTokenUsageInput>(usage)),
          );
        }
        await expectValidationError(() => chat.getUsageStats({ threadId: 't1' }));
        await expectValidationError(() => chat.getUsageStats({ widgetId: '' }));
        await expectValidationError(() => chat.getTotalCost({ widgetId: 'w1', threadId: '' }));
        await expectValidationError(() => chat.getUsageStats(unchecked<UsageScope>('w1')));

        expect(await chat.getUsageStats()).toEqual({
          promptTokens: 0,
          completionTokens: 0,
          totalTokens: 0,
          costUsd: 0,
          count: 0,
        });
      });
    });

    describe('resources and skills', () => {
      it('logResource and logSkill record what a thread used, in order', async () => {
        const chat = subject();
        await seedThread(chat);
        const before = Date.now();
        const file = await chat.logResource('w1', 't1', {
          resourceId: 'r-file',
          uri: 'file:///home/user/report.csv',
          name: 'report.csv',
          mimeType: 'text/csv',
          content: 'a,b\n1,2\n',
          size: 8,
        });
        const after = Date.now();
        const link = await chat.logResource('w1', 't1', { uri: 'https://example.com/a?b=c' });
        const skill = await chat.logSkill('w1', 't1', {
          name: 'charts',
          metadata: { version: 2 },
        });
        const another = await chat.logSkill('w1', 't1', { skillId: 's-2', name: 'sql' });

        expect(file).toEqual({
          resourceId: 'r-file',
          widgetId: 'w1',
          threadId: 't1',
          uri: 'file:///home/user/report.csv',
          name: 'report.csv',
          mimeType: 'text/csv',
          content: 'a,b\n1,2\n',
          size: 8,
          createdAt: expect.any(Number),
        });
        expectTimeWithin(file.createdAt, before, after);
        expect(link).toMatchObject({ name: '', mimeType: null, content: null, size: null });
        expect(skill).toEqual({
          skillId: expect.any(String),
          widgetId: 'w1',
          threadId: 't1',
          name: 'charts',
          metadata: { version: 2 },
          activatedAt: expect.any(Number),
        });
        expect(another.skillId).toBe('s-2');
        expect(another.metadata).toEqual({});

        expect(await chat.getResources('w1', 't1')).toEqual([file, link]);
        expect(await chat.getSkills('w1', 't1')).toEqual([skill, another]);
        expect(await chat.getResources('w1', 't2')).toEqual([]);
        expect(await chat.getSkills('w2', 't1')).toEqual([]);
      });

      it('rejects bad resources and skills, duplicates and unknown threads, recording nothing', async () => {
        const chat = subject();
        await seedThread(chat);
        const badResources: unknown[] = [
          null,
          {},
          { uri: '' },
          { uri: 'file:///a\nb' },
          { uri: 'u'.repeat(8 * 1024 + 1) },
          { uri: 'file:///a', mimeType: 'not a mime type' },
          { uri: 'file:///a', size: -1 },
          { uri: 'file:///a', size: 1.5 },
          { uri: 'file:///a', name: 42 },
          { uri: 'file:///a', resourceId: '' },
        ];
        for (const resource of badResources) {
          await expectValidationError(() =>
            chat.logResource('w1', 't1', unchecked<LogResourceInput>(resource)),
          );
        }
        for (const skill of [null, {}, { name: '' }, { name: 'x', metadata: [] }]) {
          await expectValidationError(() =>
            chat.logSkill('w1', 't1', unchecked<LogSkillInput>(skill)),
          );
        }
        await expectNotFoundError(() => chat.logResource('w1', 'unknown', { uri: 'file:///a' }));
        await expectNotFoundError(() => chat.logSkill('w2', 't1', { name: 'charts' }));
        await chat.logResource('w1', 't1', { resourceId: 'r1', uri: 'file:///a' });
        await chat.logSkill('w1', 't1', { skillId: 's1', name: 'charts' });
        await expectConflictError(() =>
          chat.logResource('w1', 't1', { resourceId: 'r1', uri: 'file:///b' }),
        );
        await expectConflictError(() => chat.logSkill('w1', 't1', { skillId: 's1', name: 'sql' }));

        expect((await chat.getResources('w1', 't1')).map((r) => r.uri)).toEqual(['file:///a']);
        expect((await chat.getSkills('w1', 't1')).map((s) => s.name)).toEqual(['charts']);
        expect(await chat.getResources('w1', 'unknown')).toEqual([]);
        expect(await chat.getSkills('w2', 't1')).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('logging for an unknown thread or message is a StateNotFoundError and writes nothing', async () => {
        const chat = subject();
        await seedThread(chat);
        await chat.saveThread('w2', { threadId: 't2' });
        await chat.appendMessage('w2', 't2', { messageId: 'm9', role: 'user', content: 'x' });
        const targets: [string, string, string][] = [
          ['w1', 't1', 'unknown'],
          ['w1', 'unknown', 'm1'],
          ['w1', 't2', 'm9'],
          ['w2', 't1', 'm1'],
        ];

        for (const [widgetId, threadId, messageId] of targets) {
          await expectNotFoundError(() =>
            chat.logToolCall(widgetId, threadId, messageId, { toolCallId: 'tc', name: 'x' }),
          );
          await expectNotFoundError(() =>
            chat.logArtifact(widgetId, threadId, messageId, { artifactType: 'code' }),
          );
          await expectNotFoundError(() =>
            chat.logTokenUsage(widgetId, threadId, messageId, { promptTokens: 5 }),
          );
        }

        expect(await chat.getToolCalls('w1', 't1')).toEqual([]);
        expect(await chat.getArtifacts('w1', 't1')).toEqual([]);
        expect(await chat.getToolCalls('w2', 't2')).toEqual([]);
        expect((await chat.getUsageStats()).count).toBe(0);
        expect(await chat.getThread('w1', 'unknown')).toBeNull();
      });

      it('the audit trail outlives clearMessages and goes with deleteThread', async () => {
        const chat = subject();
        await seedThread(chat);
        await chat.logToolCall('w1', 't1', 'm2', { toolCallId: 'tc1', name: 'search' });
        await chat.logArtifact('w1', 't1', 'm2', { artifactId: 'a1', artifactType: 'code' });
        await chat.logTokenUsage('w1', 't1', 'm2', { promptTokens: 7, costUsd: 0.5 });
        await chat.logResource('w1', 't1', { resourceId: 'r1', uri: 'file:///a' });
        await chat.logSkill('w1', 't1', { skillId: 's1', name: 'charts' });

        expect(await chat.clearMessages('w1', 't1')).toBe(2);
        expect((await chat.getToolCalls('w1', 't1', 'm2')).map((c) => c.toolCallId)).toEqual([
          'tc1',
        ]);
        expect(await chat.getArtifacts('w1', 't1')).toHaveLength(1);
        expect(await chat.getResources('w1', 't1')).toHaveLength(1);
        expect(await chat.getSkills('w1', 't1')).toHaveLength(1);
        expect(await chat.getTotalCost({ widgetId: 'w1' })).toBeCloseTo(0.5, 12);
        // The message is gone, so nothing new can be logged against it.
        await expectNotFoundError(() =>
          chat.logToolCall('w1', 't1', 'm2', {
            toolCallId: 'tc1',
            name: 'search',
            status: 'completed',
          }),
        );

        expect(await chat.deleteThread('w1', 't1')).toBe(true);
        expect(await chat.getToolCalls('w1', 't1')).toEqual([]);
        expect(await chat.getArtifacts('w1', 't1')).toEqual([]);
        expect(await chat.getResources('w1', 't1')).toEqual([]);
        expect(await chat.getSkills('w1', 't1')).toEqual([]);
        expect(await chat.getUsageStats({ widgetId: 'w1' })).toEqual({
          promptTokens: 0,
          completionTokens: 0,
          totalTokens: 0,
          costUsd: 0,
          count: 0,
        });

        // A new thread with the same id starts with an empty audit trail.
        await seedThread(chat);
        expect(await chat.getToolCalls('w1', 't1')).toEqual([]);
        await chat.logArtifact('w1', 't1', 'm1', { artifactId: 'a1', artifactType: 'code' });
        expect(await chat.getArtifacts('w1', 't1')).toHaveLength(1);
      });

      it('returns copies: changing a returned record changes nothing stored', async () => {
        const chat = subject();
        await seedThread(chat);
        const args = { nested: { count: 1 } };
        const call = await chat.logToolCall('w1', 't1', 'm1', {
          toolCallId: 'tc1',
          name: 'x',
          arguments: args,
        });
        args.nested.count = 42;
        (call.arguments.nested as { count: number }).count = 99;
        const artifact = await chat.logArtifact('w1', 't1', 'm1', {
          artifactType: 'code',
          metadata: { list: [1] },
        });
        (artifact.metadata.list as number[]).push(2);
        const [fetched] = await chat.getToolCalls('w1', 't1');
        (fetched.arguments.nested as { count: number }).count = 7;

        expect((await chat.getToolCalls('w1', 't1'))[0].arguments).toEqual({
          nested: { count: 1 },
        });
        expect((await chat.getArtifacts('w1', 't1'))[0].metadata).toEqual({ list: [1] });
      });
    });

    describe('searchMessages', () => {
      it('finds the messages containing every word, ignoring case and accents', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1', title: 'Animals' });
        await chat.saveThread('w2', { threadId: 't9', title: 'Drinks' });
        await appendContents(chat, 'w1', 't1', 'a', [
          'The quick brown fox',
          'A lazy dog sleeps',
          'Quick thinking: the FOX jumps',
        ]);
        await appendContents(chat, 'w2', 't9', 'b', ['Café au lait with a fox']);

        expect(messageIds(await chat.searchMessages('fox')).sort()).toEqual(['a-0', 'a-2', 'b-0']);
        expect(messageIds(await chat.searchMessages('quick fox')).sort()).toEqual(['a-0', 'a-2']);
        expect(messageIds(await chat.searchMessages('QUICK')).sort()).toEqual(['a-0', 'a-2']);
        expect(messageIds(await chat.searchMessages('cafe'))).toEqual(['b-0']);
        expect(messageIds(await chat.searchMessages('CAFÉ lait'))).toEqual(['b-0']);
        expect(messageIds(await chat.searchMessages('dog sleeps'))).toEqual(['a-1']);
        expect(await chat.searchMessages('cat')).toEqual([]);
        expect(await chat.searchMessages('fox cat')).toEqual([]);
        // Whole words only: no prefix or substring matches.
        expect(await chat.searchMessages('qui')).toEqual([]);

        const [hit] = await chat.searchMessages('lait');
        const [stored] = await chat.getMessages('w2', 't9');
        expect(hit).toEqual({
          widgetId: 'w2',
          threadId: 't9',
          threadTitle: 'Drinks',
          message: stored,
        });
      });

      it('ranks the best match first, then the newest', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendContents(chat, 'w1', 't1', 'doc', [
          'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda needle',
          'needle needle needle',
          'a needle in a haystack',
          'nothing to see here',
          'more unrelated words here',
        ]);

        expect(messageIds(await chat.searchMessages('needle'))).toEqual([
          'doc-1',
          'doc-2',
          'doc-0',
        ]);

        // Equal matches: the newest first.
        await chat.appendMessage('w1', 't1', {
          messageId: 'twin-old',
          role: 'user',
          content: 'twin words',
        });
        await sleep(5);
        await chat.appendMessage('w1', 't1', {
          messageId: 'twin-new',
          role: 'user',
          content: 'twin words',
        });
        expect(messageIds(await chat.searchMessages('twin'))).toEqual(['twin-new', 'twin-old']);
      });

      it('scopes the search to a widget and returns at most `limit` results', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await chat.saveThread('w1', { threadId: 't2' });
        await chat.saveThread('w2', { threadId: 't1' });
        await appendContents(chat, 'w1', 't1', 'x', ['shared word', 'shared word shared']);
        await appendContents(chat, 'w1', 't2', 'y', ['shared']);
        await appendContents(chat, 'w2', 't1', 'z', ['shared word']);

        const inW1 = await chat.searchMessages('shared', { widgetId: 'w1' });
        expect(inW1.map((hit) => `${hit.threadId}/${hit.message.messageId}`).sort()).toEqual([
          't1/x-0',
          't1/x-1',
          't2/y-0',
        ]);
        expect(inW1.every((hit) => hit.widgetId === 'w1')).toBe(true);
        expect(messageIds(await chat.searchMessages('shared', { widgetId: 'w2' }))).toEqual([
          'z-0',
        ]);
        expect(await chat.searchMessages('shared', { widgetId: 'w3' })).toEqual([]);

        const all = await chat.searchMessages('shared');
        expect(all).toHaveLength(4);
        expect(await chat.searchMessages('shared', { limit: 2 })).toEqual(all.slice(0, 2));
        expect(await chat.searchMessages('shared', { limit: 1 })).toEqual(all.slice(0, 1));

        await appendContents(
          chat,
          'w2',
          't1',
          'many',
          Array.from({ length: 55 }, (_, index) => `plenty ${index}`),
        );
        expect(await chat.searchMessages('plenty')).toHaveLength(50);
        expect(await chat.searchMessages('plenty', { limit: 1000 })).toHaveLength(55);
      });

      it('takes search syntax in the query as plain words', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendContents(chat, 'w1', 't1', 'm', [
          'use AND or NOT near the col:value "quoted" * star (paren) ^caret {brace} minus-sign',
          "O'Brien said NEAR(a b, 2)",
          'plain text',
        ]);

        const queries: [string, string[]][] = [
          ['AND', ['m-0']],
          ['NOT', ['m-0']],
          ['or', ['m-0']],
          ['NEAR(', ['m-0', 'm-1']],
          ['"quoted', ['m-0']],
          ['col:value', ['m-0']],
          ['value:col', ['m-0']],
          ['star*', ['m-0']],
          ['(paren', ['m-0']],
          ['^caret', ['m-0']],
          ['{brace}', ['m-0']],
          ['-sign', ['m-0']],
          ["o'brien", ['m-1']],
          ['NEAR(a b, 2)', ['m-1']],
          ['quoted OR zzz', []],
          ['zzz OR quoted', []],
          ['quoted NOT star', ['m-0']],
          ['plain AND', []],
          ['"', []],
          ['*', []],
          ['!!!', []],
          [':', []],
          ['col:', ['m-0']],
        ];
        for (const [query, expected] of queries) {
          const found = messageIds(await chat.searchMessages(query)).sort();
          expect({ query, found }).toEqual({ query, found: expected });
        }
      });

      it('finds only stored messages: cleared and deleted ones are gone', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await chat.saveThread('w1', { threadId: 't2' });
        await appendContents(chat, 'w1', 't1', 'a', ['findable text', 'more findable']);
        await appendContents(chat, 'w1', 't2', 'b', ['findable too']);
        expect(await chat.searchMessages('findable')).toHaveLength(3);

        await chat.clearMessages('w1', 't1');
        expect(messageIds(await chat.searchMessages('findable'))).toEqual(['b-0']);
        await chat.deleteThread('w1', 't2');
        expect(await chat.searchMessages('findable')).toEqual([]);

        await appendContents(chat, 'w1', 't1', 'c', ['findable again']);
        expect(messageIds(await chat.searchMessages('findable'))).toEqual(['c-0']);
      });

      it('rejects a blank or over-long query and bad options', async () => {
        const chat = subject();
        await chat.saveThread('w1', { threadId: 't1' });
        await appendContents(chat, 'w1', 't1', 'm', ['hello']);

        for (const query of ['', '   ', 'q'.repeat(1025), 42, null]) {
          await expectValidationError(() => chat.searchMessages(unchecked<string>(query)));
        }
        const badOptions: unknown[] = [
          { limit: 0 },
          { limit: 1001 },
          { limit: 2.5 },
          { limit: '5' },
          { widgetId: '' },
          { widgetId: 'w\n1' },
          'w1',
        ];
        for (const options of badOptions) {
          await expectValidationError(() =>
            chat.searchMessages('hello', unchecked<SearchMessagesOptions>(options)),
          );
        }
        expect(messageIds(await chat.searchMessages('q'.repeat(1024)))).toEqual([]);
        expect(messageIds(await chat.searchMessages('hello'))).toEqual(['m-0']);
      });
    });
  });
}
