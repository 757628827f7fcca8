import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChildProcess, waitFor } from '@livegate/state/testing';

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist/apps/demo/apps/demo/src/main.js');

/** The demo's data folder in these runs (the development token secret and the user store). */
const DATA_DIR = mkdtempSync(join(tmpdir(), 'livegate-demo-start-'));

/** The environment of a fresh shell: no LIVEGATE_ variable, the given ones set. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('LIVEGATE_') || key === 'NODE_ENV' || key === 'PLATFORM') {
      delete env[key];
    }
  }
  return { ...env, LIVEGATE_DEMO_DATA_DIR: DATA_DIR, ...extra };
}

/** The demo as `npm run build && npm run start:prod` runs it: a real process on a real port. */
describe('demo app (built and started as a process)', () => {
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  }, 90000);

  afterAll(() => {
    rmSync(DATA_DIR, { recursive: true, force: true });
  });

  afterEach(async () => {
    if (child) {
      await stopChildProcess(child);
      child = undefined;
    }
    output = '';
  });

  function start(env: Record<string, string>): ChildProcess {
    child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return child;
  }

  it.each([
    ['express', {}],
    ['express', { PLATFORM: 'express' }],
    ['fastify', { PLATFORM: 'fastify' }],
  ])(
    'boots on %s (%j) on PORT with the memory default, auth on, and serves /health',
    async (platform, env: Record<string, string>) => {
      const port = await freePort();
      const demo = start({ ...env, PORT: String(port) });

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
      expect(output).toContain(`listening on http://127.0.0.1:${port} (${platform})`);
      expect(output).toContain('Authentication is enabled');
      expect(existsSync(join(DATA_DIR, 'token-secret'))).toBe(true);
      const live = await fetch(`http://127.0.0.1:${port}/live`, { redirect: 'manual' });
      expect([live.status, live.headers.get('location')]).toEqual([303, '/login']);

      // A clean shutdown: Nest runs its shutdown hooks, then re-raises the signal.
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => demo.once('exit', (code, signal) => resolve({ code, signal })),
      );
      demo.kill('SIGTERM');
      const { code, signal } = await exited;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
      expect(output).not.toMatch(/\bERROR\b/);
    },
    30000,
  );

  it('refuses to start with NODE_ENV=production and no TOKEN_SECRET, saying why', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'livegate-demo-prod-'));
    try {
      const demo = start({
        NODE_ENV: 'production',
        LIVEGATE_DEMO_DATA_DIR: folder,
        PORT: String(await freePort()),
      });
      const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain(
        'The demo did not start: NODE_ENV=production needs LIVEGATE_DEPLOY__TOKEN_SECRET',
      );
      expect(existsSync(join(folder, 'token-secret'))).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 30000);

  it('refuses an unknown PLATFORM, naming the variable and the choices', async () => {
    const demo = start({ PLATFORM: 'koa', PORT: String(await freePort()) });
    const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('PLATFORM must be one of express, fastify (got "koa")');
  }, 30000);
});
