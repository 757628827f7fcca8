import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

/**
 * The primary: tries the memory backend itself, then forks one `node:cluster` worker and prints
 * both outcomes as one JSON line.
 */
const PRIMARY = `
const cluster = require('node:cluster');
const { createMemoryBackend } = require(process.env.MEMORY_BACKEND);
const options = { widgetTtl: 60, connectionTtl: 60, sessionTtl: 60, workerId: 'primary', sweepInterval: 60 };
(async () => {
  const backend = await createMemoryBackend(options);
  await backend.widgets.register('w', 'x');
  const primary = { name: backend.name, html: await backend.widgets.getHtml('w') };
  await backend.close();
  cluster.setupPrimary({ exec: process.env.WORKER_SCRIPT, execArgv: ${JSON.stringify(TS_NODE)} });
  const worker = cluster.fork();
  const timer = setTimeout(() => { worker.kill('SIGKILL'); process.exit(2); }, 30000);
  worker.on('exit', (code) => {
    process.stdout.write('worker exited with ' + code + '\\n');
    process.exit(3);
  });
  worker.on('message', (outcome) => {
    clearTimeout(timer);
    process.stdout.write(JSON.stringify({ primary, worker: outcome }) + '\\n');
    worker.removeAllListeners('exit');
    worker.kill();
    process.exit(0);
  });
})();
`;

/** The worker: the memory backend directly, and through the module, as an app would boot it. */
const WORKER = `
const { NestFactory } = require('@nestjs/core');
const { StateModule } = require('@livegate/state');
const { createMemoryBackend } = require(process.env.MEMORY_BACKEND);
const outcome = (error) => ({ name: error.name, message: error.message });
(async () => {
  const result = {};
  try {
    await createMemoryBackend({ widgetTtl: 60, connectionTtl: 60, sessionTtl: 60, workerId: 'w', sweepInterval: 60 });
    result.direct = 'started';
  } catch (error) {
    result.direct = outcome(error);
  }
  try {
    const app = await NestFactory.createApplicationContext(StateModule.forRoot({ backend: 'memory' }), { logger: false, abortOnError: false });
    await app.close();
    result.module = 'started';
  } catch (error) {
    result.module = outcome(error);
  }
  process.send(result);
})();
`;

describe('memory backend in a node:cluster worker', () => {
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'livegate-cluster-'));
    writeFileSync(join(directory, 'primary.js'), PRIMARY);
    writeFileSync(join(directory, 'worker.js'), WORKER);
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('starts in the primary but refuses a worker, naming the Redis and SQLite backends', async () => {
    const child = spawn(process.execPath, [...TS_NODE, join(directory, 'primary.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        // The scripts live in a temporary directory, outside the project's node_modules.
        NODE_PATH: join(ROOT, 'node_modules'),
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        MEMORY_BACKEND: join(__dirname, 'memory.backend.ts'),
        WORKER_SCRIPT: join(directory, 'worker.js'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, output }).toMatchObject({ code: 0 });

    const { primary, worker } = JSON.parse(output.trim().split('\n').pop()!) as {
      primary: unknown;
      worker: Record<string, { name: string; message: string }>;
    };
    expect(primary).toEqual({ name: 'memory', html: 'x' });
    for (const refused of [worker.direct, worker.module]) {
      expect(refused.name).toBe('StateConfigurationError');
      expect(refused.message).toMatch(/node:cluster worker/);
      expect(refused.message).toMatch(/Redis backend \(LIVEGATE_DEPLOY__STATE_BACKEND=redis\)/);
      expect(refused.message).toMatch(/SQLite\s+backend \(LIVEGATE_DEPLOY__STATE_BACKEND=sqlite\)/);
    }
  }, 60_000);
});
