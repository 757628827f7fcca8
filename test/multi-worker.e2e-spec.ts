import type { CallbackOutcome, UserSession } from '@livegate/state';
import { RedisTestServer, sleep, waitFor } from '@livegate/state/testing';
import { WorkerProcess } from './support/worker-process';

const CONNECTION_TTL = 2;

/**
 * Three worker processes sharing one private Redis (append-only file on), as a production
 * deployment runs: state written on one worker is seen on the others, callbacks are routed to
 * the worker that holds them, a killed worker's connections expire, and a Redis restart loses
 * no session.
 */
describe('several workers on one Redis', () => {
  let redis: RedisTestServer;
  const workers: WorkerProcess[] = [];
  let env: Record<string, string>;

  async function startWorker(workerId: string): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start(workerId, env);
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    redis = await RedisTestServer.start({ appendOnly: true });
    env = {
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
      LIVEGATE_DEPLOY__REDIS_PREFIX: 'multi',
      LIVEGATE_DEPLOY__CONNECTION_TTL: String(CONNECTION_TTL),
    };
    await Promise.all(['worker-a', 'worker-b', 'worker-c'].map((id) => startWorker(id)));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await redis?.dispose();
  });

  const worker = (id: string) => workers.find((candidate) => candidate.workerId === id)!;

  it('validates a session created on one worker on every other', async () => {
    const created = await worker('worker-a').request<UserSession>('POST', '/sessions', {
      userId: 'user-1',
      roles: ['editor'],
    });
    expect(created.status).toBe(201);
    for (const id of ['worker-b', 'worker-c']) {
      const read = await worker(id).request<UserSession>(
        'GET',
        `/sessions/${created.body.sessionId}`,
      );
      expect(read).toEqual({ status: 200, body: created.body });
    }
  });

  it('lists a widget registered on one worker on all of them', async () => {
    await worker('worker-b').request('POST', '/widgets/shared-chart', { html: '<p>chart</p>' });
    for (const id of ['worker-a', 'worker-b', 'worker-c']) {
      const listed = await worker(id).request<{ widgets: string[] }>('GET', '/widgets');
      expect(listed.body.widgets).toContain('shared-chart');
    }
  });

  it("runs a callback invoked on worker B on worker A, returning A's result", async () => {
    const a = worker('worker-a');
    await a.request('POST', '/callbacks/grid/grid:cell-clicked');
    await a.request('POST', '/connections/grid');

    const outcome = await worker('worker-b').request<CallbackOutcome>(
      'POST',
      '/invoke/grid/grid:cell-clicked',
      { data: { row: 7 } },
    );
    expect(outcome.body).toEqual({
      handled: true,
      result: { ranOn: 'worker-a', pid: a.child.pid, data: { row: 7 } },
    });
  });

  it('delivers sendToWidget to the worker holding the connection, and broadcasts to all', async () => {
    type Events = { events: { eventType: string; widgetId: string; data: unknown }[] };
    const received = async (id: string, eventType: string) =>
      (await worker(id).request<Events>('GET', '/events')).body.events.filter(
        (event) => event.eventType === eventType,
      );
    await worker('worker-a').request('POST', '/connections/live-widget');

    const sent = await worker('worker-b').request('POST', '/send/live-widget/refresh', {
      data: { n: 1 },
    });
    expect(sent.body).toEqual({ delivered: true, workerId: 'worker-a' });
    await waitFor(async () => (await received('worker-a', 'refresh')).length === 1, {
      description: 'worker A receiving the targeted event',
    });
    expect(await received('worker-a', 'refresh')).toEqual([
      expect.objectContaining({ widgetId: 'live-widget', data: { n: 1 } }),
    ]);
    await sleep(100);
    expect(await received('worker-c', 'refresh')).toEqual([]);
    expect(await received('worker-b', 'refresh')).toEqual([]);

    await worker('worker-c').request('POST', '/broadcast/live-widget/update', { data: 'all' });
    for (const id of ['worker-a', 'worker-b', 'worker-c']) {
      await waitFor(async () => (await received(id, 'update')).length === 1, {
        description: `${id} receiving the broadcast`,
      });
    }
    const missing = await worker('worker-b').request('POST', '/send/nobody-here/refresh', {});
    expect(missing.body).toEqual({ delivered: false, reason: 'not_connected' });
  });

  it("keeps a live worker's connections through heartbeats", async () => {
    await sleep(CONNECTION_TTL * 1000 * 1.5);
    const owner = await worker('worker-c').request('GET', '/connections/grid');
    expect(owner.body).toEqual({ owner: 'worker-a' });
  });

  it("forgets a killed worker's connections within the connection TTL", async () => {
    const victim = await startWorker('worker-d');
    await victim.request('POST', '/callbacks/doomed/ping');
    await victim.request('POST', '/connections/doomed');
    const b = worker('worker-b');
    expect((await b.request('GET', '/connections/doomed')).body).toEqual({ owner: 'worker-d' });

    await victim.stop('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      async () =>
        (await b.request<{ owner: string | null }>('GET', '/connections/doomed')).body.owner ===
        null,
      { timeoutMs: CONNECTION_TTL * 1000 + 1500, intervalMs: 100, description: 'expiry' },
    );
    expect(Date.now() - killedAt).toBeLessThanOrEqual(CONNECTION_TTL * 1000 + 1500);
    expect((await b.request('POST', '/invoke/doomed/ping', {})).body).toEqual({
      handled: false,
      reason: 'not_connected',
    });
  });

  it('unregisters the connections of a worker that shuts down cleanly, at once', async () => {
    const leaving = await startWorker('worker-e');
    await leaving.request('POST', '/connections/leaving-widget');
    await leaving.stop('SIGTERM');
    expect((await worker('worker-b').request('GET', '/connections/leaving-widget')).body).toEqual({
      owner: null,
    });
  });

  it('loses no session when Redis restarts, and recovers without restarting the workers', async () => {
    const created = await worker('worker-a').request<UserSession>('POST', '/sessions', {
      userId: 'user-2',
      roles: ['viewer'],
    });
    await redis.restart();

    const b = worker('worker-b');
    let read: { status: number; body: unknown } | undefined;
    await waitFor(
      async () => {
        read = await b.request('GET', `/sessions/${created.body.sessionId}`);
        return read.status === 200;
      },
      { timeoutMs: 10_000, intervalMs: 200, description: 'worker B reading after the restart' },
    );
    expect(read!.body).toEqual(created.body);

    // The subscribers came back too: a cross-worker callback works again.
    let outcome: CallbackOutcome | undefined;
    await waitFor(
      async () => {
        outcome = (await b.request<CallbackOutcome>('POST', '/invoke/grid/grid:cell-clicked', {}))
          .body;
        return outcome.handled;
      },
      { timeoutMs: 10_000, intervalMs: 200, description: 'cross-worker callback after restart' },
    );
    expect(outcome).toMatchObject({ handled: true, result: { ranOn: 'worker-a' } });
  });
});
