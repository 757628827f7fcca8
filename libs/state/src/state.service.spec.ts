import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { StateEvent } from './events/event.models';
import { StateModule } from './state.module';
import { StateService } from './state.service';
import { ConnectionRouter } from './connections/connection-router';
import { WidgetStore } from './widgets/widget-store';
import { waitFor, sleep } from './testing/wait';

describe('StateService (memory backend)', () => {
  let moduleRef: TestingModule;
  let state: StateService;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [StateModule.forRoot({ backend: 'memory', workerId: 'worker-a' })],
    }).compile();
    await moduleRef.init();
    state = moduleRef.get(StateService);
  });

  afterEach(async () => {
    await moduleRef.close();
  });

  it('registers widgets as owned by this worker', async () => {
    const widget = await state.registerWidget('w1', '<p>one</p>', { token: 't' });
    expect(widget.ownerWorkerId).toBe('worker-a');
    expect(await state.getWidgetHtml('w1')).toBe('<p>one</p>');
    expect(await state.updateWidgetHtml('w1', '<p>two</p>')).toBe(true);
    expect(await state.getWidget('w1')).toMatchObject({ html: '<p>two</p>', token: 't' });
    expect(await state.listWidgets()).toEqual(['w1']);
  });

  it('invokes local callbacks and reports failures without throwing', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await state.registerCallback(
      'grid',
      'grid:cell-clicked',
      (data: { row: number }) => data.row * 2,
    );
    await state.registerCallback('grid', 'boom', () => {
      throw new Error('exploded');
    });
    await expect(state.invokeCallback('grid', 'grid:cell-clicked', { row: 21 })).resolves.toEqual({
      handled: true,
      result: 42,
    });
    await expect(state.invokeCallback('grid', 'boom')).resolves.toEqual({
      handled: false,
      reason: 'callback_error',
      error: 'exploded',
    });
    // No callback here and no connection to route to.
    await expect(state.invokeCallback('grid', 'missing')).resolves.toEqual({
      handled: false,
      reason: 'not_connected',
    });
    // The connection is on this worker, which has no such callback.
    await state.registerConnection('grid');
    await expect(state.invokeCallback('grid', 'missing')).resolves.toEqual({
      handled: false,
      reason: 'no_callback',
    });
    jest.restoreAllMocks();
  });

  it('removes a widget with its connection and callbacks', async () => {
    await state.registerWidget('w1', 'x');
    await state.registerConnection('w1', { userId: 'u1' });
    await state.registerCallback('w1', 'e', () => 1);
    expect(await state.removeWidget('w1')).toBe(true);
    expect(await moduleRef.get(WidgetStore).exists('w1')).toBe(false);
    expect(await moduleRef.get(ConnectionRouter).getOwner('w1')).toBeNull();
    expect((await state.invokeCallback('w1', 'e')).handled).toBe(false);
  });

  it('tracks connections and heartbeats; unregisters only its own connections', async () => {
    const info = await state.registerConnection('w1', { userId: 'u1', sessionId: 's1' });
    expect(info).toMatchObject({ workerId: 'worker-a', userId: 'u1', sessionId: 's1' });
    expect(await state.heartbeat('w1')).toBe(true);
    await moduleRef.get(ConnectionRouter).registerConnection('w2', 'worker-b');
    expect(await state.unregisterConnection('w2')).toBe(false);
    expect(await moduleRef.get(ConnectionRouter).getOwner('w2')).toBe('worker-b');
    expect(await state.unregisterConnection('w1')).toBe(true);
    expect(await state.heartbeat('w1')).toBe(false);
  });

  it('delivers broadcast events to the widget event listeners', async () => {
    const received: StateEvent[] = [];
    state.onWidgetEvent((event) => {
      received.push(event);
    });
    await state.broadcastEvent('w1', 'update', { value: 1 });
    await waitFor(() => received.length === 1);
    expect(received[0]).toMatchObject({
      eventType: 'update',
      widgetId: 'w1',
      data: { value: 1 },
      sourceWorkerId: 'worker-a',
      targetWorkerId: null,
    });
  });

  it('sends to the worker holding the connection, or reports not connected', async () => {
    const received: StateEvent[] = [];
    const stop = state.onWidgetEvent((event) => {
      received.push(event);
    });
    await expect(state.sendToWidget('w1', 'refresh')).resolves.toEqual({
      delivered: false,
      reason: 'not_connected',
    });

    await state.registerConnection('w1');
    await expect(state.sendToWidget('w1', 'refresh', { n: 1 })).resolves.toEqual({
      delivered: true,
      workerId: 'worker-a',
    });
    await waitFor(() => received.length === 1);
    expect(received[0]).toMatchObject({ eventType: 'refresh', targetWorkerId: 'worker-a' });

    // A connection held by another worker: this worker's listeners are not involved.
    await moduleRef.get(ConnectionRouter).registerConnection('w2', 'worker-b');
    await expect(state.sendToWidget('w2', 'refresh')).resolves.toEqual({
      delivered: true,
      workerId: 'worker-b',
    });
    await sleep(50);
    expect(received).toHaveLength(1);

    stop();
    await state.broadcastEvent('w1', 'after-stop');
    await sleep(50);
    expect(received).toHaveLength(1);
  });

  it('keeps delivering when a listener throws', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const received: string[] = [];
    state.onWidgetEvent(() => {
      throw new Error('listener failed');
    });
    state.onWidgetEvent((event) => {
      received.push(event.eventType);
    });
    await state.broadcastEvent('w1', 'one');
    await state.broadcastEvent('w1', 'two');
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['one', 'two']);
    jest.restoreAllMocks();
  });

  it('creates and reads sessions', async () => {
    const session = await state.createSession({ userId: 'user-123', roles: ['editor'] });
    expect(await state.getSession(session.sessionId)).toEqual(session);
  });
});
