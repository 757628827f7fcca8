import { Logger } from '@nestjs/common';
import { StateValidationError } from '../state.errors';
import { CallbackRegistry } from './callback-registry';

describe('CallbackRegistry', () => {
  let registry: CallbackRegistry;

  beforeEach(() => {
    registry = new CallbackRegistry();
  });

  it('invokes a registered callback with its data and context and returns its result', async () => {
    const callback = jest.fn(async (data: unknown) => ({ echoed: data }));
    registry.register('grid-1', 'grid:cell-clicked', callback);

    await expect(registry.invoke('grid-1', 'grid:cell-clicked', { row: 3 })).resolves.toEqual({
      handled: true,
      result: { echoed: { row: 3 } },
    });
    expect(callback).toHaveBeenCalledWith(
      { row: 3 },
      { widgetId: 'grid-1', eventType: 'grid:cell-clicked' },
    );
  });

  it('reports a missing callback', async () => {
    registry.register('grid-1', 'a', () => 1);
    await expect(registry.invoke('grid-1', 'b', null)).resolves.toEqual({
      handled: false,
      reason: 'no_callback',
    });
    await expect(registry.invoke('other', 'a', null)).resolves.toEqual({
      handled: false,
      reason: 'no_callback',
    });
  });

  it('reports a throwing or rejecting callback as a failure and logs it', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    registry.register('w', 'sync', () => {
      throw new Error('boom');
    });
    registry.register('w', 'async', async () => Promise.reject(new Error('later')));
    registry.register('w', 'string', () => {
      throw 'plain';
    });

    await expect(registry.invoke('w', 'sync', {})).resolves.toEqual({
      handled: false,
      reason: 'callback_error',
      error: 'boom',
    });
    await expect(registry.invoke('w', 'async', {})).resolves.toEqual({
      handled: false,
      reason: 'callback_error',
      error: 'later',
    });
    await expect(registry.invoke('w', 'string', {})).resolves.toMatchObject({ error: 'plain' });
    expect(logged).toHaveBeenCalledTimes(3);
    expect(logged.mock.calls[0][0]).toContain('boom');
    logged.mockRestore();
  });

  it('replaces a callback and unregisters through the returned function', async () => {
    const remove = registry.register('w', 'e', () => 'first');
    registry.register('w', 'e', () => 'second');
    // The first registration's remover no longer owns the slot.
    remove();
    await expect(registry.invoke('w', 'e', null)).resolves.toEqual({
      handled: true,
      result: 'second',
    });
    const removeSecond = registry.register('w', 'e', () => 'third');
    removeSecond();
    expect(registry.has('w', 'e')).toBe(false);
  });

  it('unregisters one event or every event of a widget', () => {
    registry.register('w', 'a', () => 1);
    registry.register('w', 'b', () => 2);
    registry.register('v', 'a', () => 3);
    expect(registry.listEvents('w')).toEqual(['a', 'b']);
    expect(registry.unregister('w', 'a')).toBe(1);
    expect(registry.unregister('w', 'a')).toBe(0);
    expect(registry.unregister('w')).toBe(1);
    expect(registry.listEvents('w')).toEqual([]);
    expect(registry.has('v', 'a')).toBe(true);
  });

  it('rejects bad ids and non-functions', () => {
    expect(() => registry.register('', 'e', () => 1)).toThrow(StateValidationError);
    expect(() => registry.register('w', 'bad\nevent', () => 1)).toThrow(StateValidationError);
    expect(() => registry.register('w', 'e', 'nope' as never)).toThrow(TypeError);
    expect(registry.listEvents('w')).toEqual([]);
  });
});
