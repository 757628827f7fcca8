import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_WIDGET_ID } from '../apps/demo/src/demo-widgets';
import { freePort, RedisTestServer, stopChildProcess, waitFor } from '@livegate/state/testing';

const ROOT = join(__dirname, '..');
/** What the Redis driver says when it cannot write: it must never reach a client. */
const DRIVER_TEXT =
  /Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ENOENT|Command timed out/;

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}

/** The demo as a real process on a private Redis that is not running when it boots. */
describe('demo app on Redis that is away at boot', () => {
  let redis: RedisTestServer;
  let child: ChildProcess | undefined;
  let output = '';
  let base: string;

  async function get(path: string): Promise<Answer> {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      text: await response.text(),
    };
  }

  /** Waits until `path` answers with `status`, at most `timeoutMs`. */
  async function until(path: string, status: number, timeoutMs: number): Promise<Answer> {
    let last: Answer | undefined;
    await waitFor(
      async () => {
        try {
          last = await get(path);
          return last.status === status;
        } catch {
          return false;
        }
      },
      { timeoutMs, intervalMs: 100, description: `${path} answering ${status}` },
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last: ${JSON.stringify(last)})\n${output}`);
    });
    return last!;
  }

  const count = (pattern: RegExp) => output.split('\n').filter((line) => pattern.test(line)).length;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    await redis.stop();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NO_COLOR: '1',
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LIVEGATE_DEPLOY__STATE_BACKEND: 'redis',
      LIVEGATE_DEPLOY__REDIS_URL: redis.url,
      LIVEGATE_DEPLOY__REDIS_PREFIX: `demo-outage-${port}`,
      LIVEGATE_DEMO_DATA_DIR: join(redis.directory, 'demo-data'),
    };
    child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(ROOT, 'apps/demo/src/main.ts'),
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });

  afterAll(async () => {
    if (child) {
      await stopChildProcess(child);
    }
    await redis?.dispose();
  });

  it('boots anyway and reports 503 on /health and on state routes, without driver text', async () => {
    const health = await until('/health', 503, 30_000);
    expect(JSON.parse(health.text)).toEqual({
      status: 'unavailable',
      backend: 'redis',
      message: expect.any(String),
    });
    expect(health.retryAfter).toBe('2');
    expect(health.text).not.toMatch(DRIVER_TEXT);

    const widget = await get(`/widgets/${DEMO_WIDGET_ID}`);
    expect(widget.status).toBe(503);
    expect(widget.retryAfter).toBe('2');
    expect(JSON.parse(widget.text)).toEqual({
      error: 'backend_unavailable',
      message: expect.any(String),
    });
    expect(widget.text).not.toMatch(DRIVER_TEXT);
    expect(child!.exitCode).toBeNull();
  }, 40_000);

  it('answers 200 once Redis is there, and seeds its widget by itself', async () => {
    await redis.restart();
    const health = await until('/health', 200, 5000);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok', backend: 'redis' });
    expect(health.retryAfter).toBeNull();
    const widget = await until(`/widgets/${DEMO_WIDGET_ID}`, 200, 15_000);
    expect(widget.text).toContain('Hello from Livegate');
  }, 30_000);

  it('goes 503 when Redis is lost, 200 when it is back, and logs each change once', async () => {
    await redis.stop();
    await until('/health', 503, 2000);
    // Several reconnect attempts fail in this time; none of them is logged.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await redis.restart();
    await until('/health', 200, 5000);

    // Two outages: the one at boot and this one.
    expect(count(/Redis is unavailable/)).toBe(2);
    expect(count(/Redis is available/)).toBe(2);
    expect(count(/Demo widget hello-livegate not registered yet/)).toBe(1);
    expect(count(/Demo widget hello-livegate registered/)).toBe(1);
    expect(output).not.toMatch(/\bERROR\b/);
    expect(child!.exitCode).toBeNull();
  }, 30_000);
});
