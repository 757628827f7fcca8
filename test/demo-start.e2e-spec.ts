import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, stopChildProcess, waitFor } from '@livegate/state/testing';

const ROOT = join(__dirname, '..');

/** The demo as `npm run build && npm run start:prod` runs it: a real process on a real port. */
describe('demo app (built and started as a process)', () => {
  let child: ChildProcess | undefined;
  let output = '';

  afterEach(async () => {
    if (child) {
      await stopChildProcess(child);
    }
  });

  it('builds, boots on PORT with the memory default and serves /health', async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    for (const key of Object.keys(env)) {
      if (key.startsWith('LIVEGATE_')) {
        delete env[key];
      }
    }
    child = spawn(process.execPath, [join(ROOT, 'dist/apps/demo/apps/demo/src/main.js')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    let health: unknown;
    await waitFor(
      async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/health`);
          health = await response.json();
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 15000, intervalMs: 100, description: 'the demo answering /health' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    expect(health).toEqual({ status: 'ok', backend: 'memory' });

    // A clean shutdown: Nest runs its shutdown hooks, then re-raises the signal.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(output).not.toMatch(/\bERROR\b/);
  }, 90000);
});
