import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** Packages only some configurations need, as they appear in `require.cache`. */
const OPTIONAL =
  /node_modules[\\/](ioredis|better-sqlite3-multiple-ciphers|@napi-rs[\\/]keyring)[\\/]/;

let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'livegate-optional-'));
  // Makes Node's resolver answer as it does for a package that is not installed.
  writeFileSync(
    join(directory, 'hide-packages.js'),
    `const Module = require('node:module');
const hidden = (process.env.HIDE_PACKAGES || '').split(',').filter(Boolean);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.some((name) => request === name || request.startsWith(name + '/'))) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/**
 * Runs `script` (JavaScript that may require the TypeScript sources through `@livegate/state`) in
 * a new Node process and returns what it wrote to stdout, parsed as JSON.
 */
function runScript(script: string, hide: string[] = []): Promise<Record<string, unknown>> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    HIDE_PACKAGES: hide.join(','),
  };
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(directory, 'hide-packages.js'),
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      '-e',
      script,
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the script did not finish:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>);
      } catch {
        reject(new Error(`exit ${code}, no JSON on stdout:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The outcome of `body` (an async function expression) as JSON on stdout. */
const report = (body: string) => `
(${body})().then(
  (result) => process.stdout.write(JSON.stringify({ ok: true, result }) + '\\n'),
  (error) => process.stdout.write(JSON.stringify({ ok: false, name: error.name, message: error.message }) + '\\n'),
).finally(() => process.exit(0));
`;

describe('optional packages', () => {
  it('an app on the memory backend loads neither ioredis, nor the SQLite driver, nor the keyring', async () => {
    const outcome = await runScript(
      report(`async () => {
        const { NestFactory } = require('@nestjs/core');
        const { StateModule, WidgetStore } = require('@livegate/state');
        const app = await NestFactory.createApplicationContext(StateModule.forRoot({ backend: 'memory' }), { logger: false });
        await app.get(WidgetStore).register('w', 'x');
        await app.close();
        return Object.keys(require.cache).filter((path) => ${OPTIONAL}.test(path));
      }`),
    );
    expect(outcome).toEqual({ ok: true, result: [] });
  }, 60_000);

  it('names ioredis when the Redis backend is chosen and the package is missing', async () => {
    const outcome = await runScript(
      report(`async () => {
        const { NestFactory } = require('@nestjs/core');
        const { StateModule } = require('@livegate/state');
        await NestFactory.createApplicationContext(
          StateModule.forRoot({ backend: 'redis', redisUrl: 'unix:///nonexistent/redis.sock' }),
          { logger: false, abortOnError: false },
        );
      }`),
      ['ioredis'],
    );
    expect(outcome).toEqual({
      ok: false,
      name: 'StateConfigurationError',
      message: expect.stringMatching(/needs the ioredis package.*npm install ioredis/),
    });
  }, 60_000);

  it('names better-sqlite3-multiple-ciphers when the SQLite backend is chosen and the package is missing', async () => {
    const outcome = await runScript(
      report(`async () => {
        const { NestFactory } = require('@nestjs/core');
        const { StateModule } = require('@livegate/state');
        const { mkdtempSync } = require('node:fs');
        const { join } = require('node:path');
        const { tmpdir } = require('node:os');
        await NestFactory.createApplicationContext(
          StateModule.forRoot({
            backend: 'sqlite',
            sqlitePath: join(mkdtempSync(join(tmpdir(), 'livegate-missing-')), 'state.db'),
          }),
          { logger: false, abortOnError: false },
        );
      }`),
      ['better-sqlite3-multiple-ciphers'],
    );
    expect(outcome).toEqual({
      ok: false,
      name: 'StateConfigurationError',
      message: expect.stringMatching(
        /needs the better-sqlite3-multiple-ciphers package.*npm install better-sqlite3-multiple-ciphers/,
      ),
    });
  }, 60_000);

  it('creates the OS keyring without loading it, and names @napi-rs/keyring when it is missing', async () => {
    const lazy = await runScript(
      report(`async () => {
        const { createOsKeyring } = require('@livegate/state');
        const keyring = createOsKeyring('livegate-tokens');
        return { service: keyring.service, loaded: Object.keys(require.cache).filter((path) => ${OPTIONAL}.test(path)) };
      }`),
    );
    expect(lazy).toEqual({ ok: true, result: { service: 'livegate-tokens', loaded: [] } });

    const missing = await runScript(
      report(`async () => {
        const { createOsKeyring } = require('@livegate/state');
        return createOsKeyring().get('account');
      }`),
      ['@napi-rs/keyring'],
    );
    expect(missing).toEqual({
      ok: false,
      name: 'StateConfigurationError',
      message: expect.stringMatching(/needs the @napi-rs\/keyring package/),
    });
  }, 60_000);
});
