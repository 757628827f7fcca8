import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SecretServiceTestBus } from './support/secret-service';

const ROOT = join(__dirname, '..');

/**
 * The keyring token store on a real Secret Service. The suite runs in a Jest process of its own
 * whose environment has the private bus: this process stays headless, as the SQLite key tests
 * beside it expect.
 */
describe('KeyringTokenStore on a real Secret Service (gnome-keyring on a private D-Bus)', () => {
  let bus: SecretServiceTestBus;

  beforeAll(async () => {
    bus = await SecretServiceTestBus.start();
  });

  afterAll(async () => {
    await bus?.stop();
  });

  it('passes the token store contract, keeps tokens across processes and fails closed when locked', async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/jest/bin/jest.js'),
        '--ci',
        '--runInBand',
        '--colors=false',
        '--testRegex',
        '\\.secret-service-suite\\.ts$',
      ],
      { cwd: ROOT, env: { ...process.env, ...bus.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);

    if (code !== 0) {
      throw new Error(`The Secret Service suite failed (exit ${code}):\n${output}`);
    }
    expect(output).toMatch(/TokenStore contract \(keyring on the Secret Service\)/);
    expect(output).toMatch(/on a locked keyring/);
    const passed = Number(/Tests:\s+(\d+) passed, \1 total/.exec(output)?.[1] ?? 0);
    expect(passed).toBeGreaterThanOrEqual(12);
  }, 180_000);
});
