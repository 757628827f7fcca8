/**
 * Store micro-benchmarks on one backend, in a process of their own:
 * `store-bench.main.ts <backend id> <config json>`. Each operation runs `count` times, one
 * after another, and is reported as operations per second with p50/p99 latency.
 */
import { NestFactory } from '@nestjs/core';
import { SessionStore, StateModule, WidgetStore } from '@livegate/state';
import { serveBenchRequests } from '../support/bench-process';
import { benchStateOptions, type BenchStateConfig } from '../support/bench-state';
import { summarizeMicros, type LatencySummary } from '../support/stats';
import { storeBackend } from './store-backends';

const WIDGET_HTML = `<section class="widget">${'<p>Livegate widget</p>'.repeat(20)}</section>`;

async function timeEach(
  count: number,
  operation: (index: number) => Promise<unknown>,
): Promise<LatencySummary> {
  const micros: number[] = new Array<number>(count);
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) {
    const before = process.hrtime.bigint();
    await operation(index);
    micros[index] = Number(process.hrtime.bigint() - before) / 1000;
  }
  return summarizeMicros(micros, Number(process.hrtime.bigint() - started) / 1e6);
}

/** Ids in a shuffled order, so that no read follows its own write. */
function shuffled<T>(values: readonly T[]): T[] {
  const copy = [...values];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

async function main(): Promise<void> {
  const backend = storeBackend(process.argv[2]);
  const config = JSON.parse(process.argv[3]) as BenchStateConfig;
  const options = benchStateOptions(
    `stores-${backend.id}`,
    backend.backend,
    config,
    backend.noSessionCache,
  );
  const app = await NestFactory.createApplicationContext(StateModule.forRoot(options), {
    logger: ['error', 'warn'],
  });
  const sessions = app.get(SessionStore);
  const widgets = app.get(WidgetStore);

  const run = async (message: Record<string, unknown>) => {
    const count = Number(message.count);
    const ids: string[] = [];
    const createSession = await timeEach(count, async (index) => {
      const session = await sessions.createSession({
        userId: `user-${index % 500}`,
        roles: ['editor'],
        metadata: { permissions: { [`widget:w-${index}`]: ['write'] }, theme: 'dark' },
      });
      ids.push(session.sessionId);
    });
    const order = shuffled(ids.map((_, index) => index));
    // A first pass fills a session cache where the backend has one; the second is measured.
    for (const index of order) {
      await sessions.getSession(ids[index]);
    }
    const getSession = await timeEach(count, (index) => sessions.getSession(ids[order[index]]));
    const checkPermission = await timeEach(count, (index) =>
      sessions.checkPermission(ids[order[index]], 'widget', `w-${order[index]}`, 'write'),
    );
    const register = await timeEach(count, (index) =>
      widgets.register(`bench-widget-${index}`, WIDGET_HTML, { metadata: { index } }),
    );
    const widgetOrder = shuffled(order);
    const get = await timeEach(count, (index) => widgets.get(`bench-widget-${widgetOrder[index]}`));
    return { getSession, createSession, checkPermission, register, get };
  };

  serveBenchRequests({}, { run }, () => app.close());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
