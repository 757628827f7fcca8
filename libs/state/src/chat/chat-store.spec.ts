import type { UsageStats } from './chat.models';
import { StateNotSupportedError } from '../state.errors';
import { ChatStore } from './chat-store';

/** A chat store that implements only what is abstract: it keeps no audit trail. */
class PlainChatStore extends ChatStore {
  saveThread = jest.fn();
  getThread = jest.fn();
  listThreads = jest.fn();
  deleteThread = jest.fn();
  appendMessage = jest.fn();
  getMessages = jest.fn();
  clearMessages = jest.fn();
}

describe('ChatStore', () => {
  it('rejects every audit method with StateNotSupportedError on a backend without an audit trail', async () => {
    const chat = new PlainChatStore();
    const calls: [string, () => Promise<unknown>][] = [
      ['logToolCall', () => chat.logToolCall('w', 't', 'm', { toolCallId: 'c', name: 'n' })],
      ['logArtifact', () => chat.logArtifact('w', 't', 'm', { artifactType: 'code' })],
      ['logTokenUsage', () => chat.logTokenUsage('w', 't', 'm', {})],
      ['logResource', () => chat.logResource('w', 't', { uri: 'file:///a' })],
      ['logSkill', () => chat.logSkill('w', 't', { name: 's' })],
      ['getToolCalls', () => chat.getToolCalls('w', 't')],
      ['getArtifacts', () => chat.getArtifacts('w', 't')],
      ['getResources', () => chat.getResources('w', 't')],
      ['getSkills', () => chat.getSkills('w', 't')],
      ['searchMessages', () => chat.searchMessages('q')],
      ['getUsageStats', () => chat.getUsageStats()],
      ['getTotalCost', () => chat.getTotalCost()],
    ];
    for (const [method, call] of calls) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StateNotSupportedError);
      expect(error).toMatchObject({ code: 'not_supported', status: 501 });
      expect((error as Error).message).toContain('PlainChatStore');
      expect((error as Error).message).toContain(method === 'getTotalCost' ? 'getUsage' : method);
    }
  });

  it('derives getTotalCost from getUsageStats', async () => {
    const chat = new PlainChatStore();
    const stats: UsageStats = {
      promptTokens: 1,
      completionTokens: 2,
      totalTokens: 3,
      costUsd: 0.25,
      count: 1,
    };
    const getUsageStats = jest.spyOn(chat, 'getUsageStats').mockResolvedValue(stats);

    expect(await chat.getTotalCost({ widgetId: 'w' })).toBe(0.25);
    expect(getUsageStats).toHaveBeenCalledWith({ widgetId: 'w' });
  });
});
