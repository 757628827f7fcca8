import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { io } from 'socket.io-client';
import { PostgresTestDatabase } from '@livegate/live-auth/testing';
import { RedisTestServer, freePort, stopChildProcess } from '@livegate/state/testing';
import { OidcTestProvider } from './support/oidc-test-provider';

// The packages as an app outside this repository gets them: `npm run build` and `npm run pack`
// write the tarballs, which are checked entry by entry and then installed, with Nest (and
// TypeORM and pg for @livegate/live-auth) from the registry, into a fresh Nest 11 CommonJS app and
// a fresh Nest 12 ES module app.

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const PACKAGES = join(ROOT, 'dist', 'packages');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CONSUMER_SOURCE = join(__dirname, 'consumers', 'consumer-app.ts');
/** npm's cache, shared by every install of every run (CI may point it elsewhere). */
const NPM_CACHE = process.env.LIVEGATE_NPM_CACHE ?? join(homedir(), '.npm');

const LIBRARIES = ['state', 'auth', 'oauth', 'live-auth'] as const;
type Library = (typeof LIBRARIES)[number];

interface Manifest {
  name: string;
  version: string;
  main: string;
  types: string;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  engines: { node: string };
  dependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifestOf = (library: Library): Manifest =>
  JSON.parse(readFileSync(join(ROOT, 'libs', library, 'package.json'), 'utf8')) as Manifest;

const tarballOf = (library: Library): string => {
  const { name, version } = manifestOf(library);
  return join(PACKAGES, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
};

async function entriesOf(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''));
}

async function fileIn(tarball: string, entry: string): Promise<string> {
  const { stdout } = await run('tar', ['-xzOf', tarball, `package/${entry}`], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

beforeAll(async () => {
  rmSync(PACKAGES, { recursive: true, force: true });
  await run('npm', ['run', '--silent', 'build:libraries'], { cwd: ROOT, timeout: 180_000 });
  await run('npm', ['run', '--silent', 'pack'], { cwd: ROOT, timeout: 120_000 });
}, 300_000);

describe.each(LIBRARIES)('the @livegate/%s tarball', (library) => {
  const manifest = manifestOf(library);
  let entries: string[];

  beforeAll(async () => {
    entries = await entriesOf(tarballOf(library));
  });

  it('holds the built entries named by its manifest, with declarations and source maps', () => {
    expect(entries).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    const targets = Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : [target.types, target.default],
    );
    for (const target of [manifest.main, manifest.types, ...targets]) {
      expect(entries).toContain(target.replace(/^\.\//, ''));
    }
    const scripts = entries.filter((entry) => entry.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(5);
    for (const script of scripts) {
      expect(entries).toContain(`${script}.map`);
      expect(entries).toContain(script.replace(/\.js$/, '.d.ts'));
    }
  });

  it('holds no specs, no test helpers outside testing, no sources and no build leftovers', () => {
    const unwanted = entries.filter(
      (entry) =>
        /\.(spec|e2e-spec)\.(js|ts|d\.ts|js\.map)$/.test(entry) ||
        /test\.helpers|test-helpers/.test(entry) ||
        (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) ||
        /(^|\/)(src|test|node_modules)\//.test(entry) ||
        /tsbuildinfo|tsconfig/.test(entry),
    );
    expect(unwanted).toEqual([]);
    const everything = new Set(['package.json', 'README.md', 'LICENSE']);
    expect(entries.filter((entry) => !everything.has(entry) && !entry.startsWith('dist/'))).toEqual(
      [],
    );
  });

  it('maps its scripts to sources it carries, by relative paths only', async () => {
    const map = JSON.parse(await fileIn(tarballOf(library), 'dist/index.js.map')) as {
      sources: string[];
      sourcesContent?: string[];
    };
    expect(map.sources).toEqual(['../src/index.ts']);
    expect(map.sourcesContent?.[0]).toContain('export');
    const index = await fileIn(tarballOf(library), 'dist/index.js');
    expect(index).not.toContain(ROOT);
  });

  it('takes Nest 11 or 12 as peers, its drivers as optional peers, and Node from 20.19 or 22.12', () => {
    expect(manifest.engines.node).toBe('^20.19.0 || >=22.12.0');
    for (const peer of ['@nestjs/common', '@nestjs/core']) {
      expect(manifest.peerDependencies[peer]).toBe('^11.0.0 || ^12.0.0');
    }
    expect(manifest.peerDependencies['reflect-metadata']).toBeDefined();
    expect(manifest.peerDependencies.rxjs).toBeDefined();
    const optional = Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional)
      .map(([name]) => name)
      .sort();
    expect(optional).toEqual(
      {
        state: ['@napi-rs/keyring', 'better-sqlite3-multiple-ciphers', 'fast-check', 'ioredis'],
        auth: ['@nestjs/websockets', 'socket.io'],
        oauth: [],
        'live-auth': ['better-sqlite3-multiple-ciphers', 'pg'],
      }[library],
    );
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(
      {
        state: [],
        auth: ['@livegate/state'],
        oauth: ['@livegate/auth', '@livegate/state', 'jose', 'openid-client'],
        'live-auth': [
          '@livegate/auth',
          '@livegate/oauth',
          '@livegate/state',
          '@node-rs/argon2',
          '@socket.io/redis-adapter',
        ],
      }[library],
    );
  });
});

describe('the @livegate/auth package', () => {
  it('depends on @livegate/state by its version and requires it by name, never a copy', async () => {
    const auth = manifestOf('auth');
    expect(auth.dependencies?.['@livegate/state']).toBe(manifestOf('state').version);
    const entries = await entriesOf(tarballOf('auth'));
    const stateOnly = ['dist/state.module.js', 'dist/backends/', 'dist/sessions/', 'dist/chat/'];
    expect(entries.filter((entry) => stateOnly.some((path) => entry.startsWith(path)))).toEqual([]);
    const service = await fileIn(tarballOf('auth'), 'dist/auth.service.js');
    expect(service).toContain('require("@livegate/state")');
    expect(service).not.toMatch(/require\("\.\.?\/(\.\.\/)*state/);
  });
});

// ---------------------------------------------------------------------------------------------
// Consumer apps

interface ConsumerKind {
  name: string;
  nest: string;
  config: string;
  esm: boolean;
}

const CONSUMERS: ConsumerKind[] = [
  { name: 'Nest 11, CommonJS', nest: '^11.1.0', config: '^4.0.0', esm: false },
  { name: 'Nest 12, ES modules', nest: '^12.0.0', config: '^12.0.0', esm: true },
];

/** Writes a fresh app, installs the tarballs and Nest from the registry, and compiles it. */
async function prepareConsumer(kind: ConsumerKind, directory: string): Promise<void> {
  mkdirSync(join(directory, 'src'), { recursive: true });
  const nest = (name: string) => [name, kind.nest];
  writeFileSync(
    join(directory, 'package.json'),
    JSON.stringify(
      {
        name: `livegate-consumer-${kind.esm ? 'esm' : 'cjs'}`,
        private: true,
        ...(kind.esm ? { type: 'module' } : {}),
        dependencies: {
          '@livegate/state': `file:${tarballOf('state')}`,
          '@livegate/auth': `file:${tarballOf('auth')}`,
          '@livegate/oauth': `file:${tarballOf('oauth')}`,
          '@livegate/live-auth': `file:${tarballOf('live-auth')}`,
          ...Object.fromEntries(
            [
              '@nestjs/common',
              '@nestjs/core',
              '@nestjs/platform-express',
              '@nestjs/platform-fastify',
              '@nestjs/platform-socket.io',
              '@nestjs/websockets',
            ].map(nest),
          ),
          '@nestjs/config': kind.config,
          ioredis: '^5.4.0',
          // The PostgreSQL user store (better-sqlite3-multiple-ciphers would compile for minutes).
          pg: '^8.5.1',
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.0',
          'socket.io': '4.8.3',
          typeorm: '^1.1.3',
        },
        devDependencies: { '@types/node': '^20.19.0' },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(directory, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: kind.esm ? 'nodenext' : 'commonjs',
        moduleResolution: kind.esm ? 'nodenext' : 'node10',
        target: 'ES2022',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }),
  );
  writeFileSync(join(directory, 'src', 'main.ts'), readFileSync(CONSUMER_SOURCE, 'utf8'));
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      '--cache',
      NPM_CACHE,
    ],
    { cwd: directory, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  await run(process.execPath, [TSC, '-p', join(directory, 'tsconfig.json')], {
    cwd: directory,
    timeout: 120_000,
  });
}

/** Every installed copy of a package in a consumer's tree, by the path of its manifest. */
function copiesOf(directory: string, name: string): string[] {
  const found: string[] = [];
  const visit = (modules: string) => {
    let names: string[];
    try {
      names = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of names) {
      const folders = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((inner) => `${entry}/${inner}`)
        : [entry];
      for (const folder of folders) {
        if (folder === name) {
          found.push(join(modules, folder));
        }
        visit(join(modules, folder, 'node_modules'));
      }
    }
  };
  visit(join(directory, 'node_modules'));
  return found;
}

interface Started {
  child: ChildProcess;
  url: string;
  viewer: string;
  admin: string;
  platform: string;
  backend: string;
}

/** Starts a compiled consumer and waits (at most 30 s) for the line it prints when listening. */
async function startConsumer(directory: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [join(directory, 'dist', 'main.js')], {
    cwd: directory,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<Started>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The consumer did not start within 30 s: ${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line && stdout.includes('\n')) {
        clearTimeout(timer);
        resolve({ child, ...(JSON.parse(line) as Omit<Started, 'child'>) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The consumer exited with ${code}: ${stderr}`));
    });
  });
}

async function status(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Whether a socket.io handshake with these auth fields connects (bounded by 5 s). */
function handshake(url: string, auth: Record<string, string>): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = io(url, { auth, transports: ['websocket'], reconnection: false, timeout: 5000 });
    const done = (outcome: string) => {
      socket.close();
      resolve(outcome);
    };
    socket.once('connect', () => done('connected'));
    socket.once('connect_error', (error: Error & { data?: { message?: string } }) =>
      done(error.data?.message ?? error.message),
    );
  });
}

describe.each(CONSUMERS)('a fresh $name app with the packed tarballs', (kind) => {
  let directory: string;
  let redis: RedisTestServer;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), `livegate-consumer-${kind.esm ? 'esm' : 'cjs'}-`));
    redis = await RedisTestServer.start();
    await prepareConsumer(kind, directory);
  }, 900_000);

  afterAll(async () => {
    await redis?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('has exactly one copy of @nestjs/core, @nestjs/common and each @livegate package in its tree', () => {
    for (const name of [
      '@nestjs/core',
      '@nestjs/common',
      '@livegate/state',
      '@livegate/auth',
      '@livegate/oauth',
      '@livegate/live-auth',
    ]) {
      expect(copiesOf(directory, name)).toEqual([join(directory, 'node_modules', name)]);
    }
    const core = JSON.parse(
      readFileSync(join(directory, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8'),
    ) as { version: string; type?: string };
    expect(core.version.split('.')[0]).toBe(kind.nest.replace(/^\^/, '').split('.')[0]);
    expect(core.type === 'module').toBe(kind.esm);
  });

  it('stops at boot naming the driver to install when the sqlite backend is chosen without it', async () => {
    const failure = startConsumer(directory, {
      CONSUMER_BACKEND: 'sqlite',
      LIVEGATE_DEPLOY__SQLITE_PATH: join(directory, 'state.db'),
    });
    await expect(failure).rejects.toThrow(
      /The consumer exited with 1: .*needs the better-sqlite3-multiple-ciphers package, which is not installed: npm install better-sqlite3-multiple-ciphers/s,
    );
  });

  describe.each(['express', 'fastify'])('signing in through @livegate/oauth on %s', (platform) => {
    let idp: OidcTestProvider;
    let app: Started;

    beforeAll(async () => {
      const port = await freePort();
      const callback = `http://127.0.0.1:${port}/auth/callback`;
      idp = await OidcTestProvider.start([
        { client_id: 'consumer', client_secret: 'consumer-secret', redirect_uris: [callback] },
      ]);
      app = await startConsumer(directory, {
        CONSUMER_PLATFORM: platform,
        CONSUMER_PORT: String(port),
        LIVEGATE_OAUTH2__PROVIDER: 'oidc',
        LIVEGATE_OAUTH2__CLIENT_ID: 'consumer',
        LIVEGATE_OAUTH2__CLIENT_SECRET: 'consumer-secret',
        LIVEGATE_OAUTH2__ISSUER_URL: idp.issuer,
        LIVEGATE_OAUTH2__ALLOW_INSECURE_ISSUER: 'true',
        LIVEGATE_OAUTH2__REDIRECT_URI: callback,
      });
    }, 60_000);

    afterAll(async () => {
      if (app) {
        await stopChildProcess(app.child);
      }
      await idp?.stop();
    });

    it('runs the whole login: provider, callback, session', async () => {
      const start = await fetch(`${app.url}/auth/login?returnTo=/public`, { redirect: 'manual' });
      expect(start.status).toBe(302);
      const transaction = start.headers.getSetCookie()[0].split(';')[0];
      const callback = await idp.login(start.headers.get('location')!);
      const finished = await fetch(callback, {
        headers: { cookie: transaction },
        redirect: 'manual',
      });
      expect(finished.status).toBe(303);
      expect(finished.headers.get('location')).toBe('/public');
      const session = finished.headers
        .getSetCookie()
        .find((line) => line.startsWith('livegate_session='))!
        .split(';')[0];
      expect(await status(`${app.url}/auth/status`, { cookie: session })).toEqual({
        status: 200,
        body: expect.objectContaining({ authenticated: true, user_id: 'oidc:alice' }),
      });
    });
  });

  describe.each(['express', 'fastify'])(
    'signing up and in through @livegate/live-auth on PostgreSQL on %s',
    (platform) => {
      const PASSWORD = 'correct horse battery staple';
      let database: PostgresTestDatabase;
      let app: Started;

      beforeAll(async () => {
        database = await PostgresTestDatabase.create('livegate_consumer');
        app = await startConsumer(directory, {
          CONSUMER_PLATFORM: platform,
          CONSUMER_USERS_DATABASE_URL: database.url,
        });
      }, 60_000);

      afterAll(async () => {
        if (app) {
          await stopChildProcess(app.child);
        }
        await database?.drop();
      });

      /** A JSON POST to the local identity provider from the app's own page. */
      const post = async (route: string, body: unknown) => {
        const response = await fetch(`${app.url}/auth/local/${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: app.url },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
          cookies: response.headers.getSetCookie(),
        };
      };

      it('registers, logs in with a cookie, issues a token and verifies it', async () => {
        const registered = await post('register', { username: 'Consumer', password: PASSWORD });
        expect(registered).toMatchObject({
          status: 201,
          body: { user_id: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'Consumer' },
        });
        const userId = registered.body.user_id as string;
        // The row is in the app's PostgreSQL database, made by the shipped migrations.
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ id: string }>('SELECT id FROM livegate_users');
          expect(rows).toEqual([{ id: userId }]);
        } finally {
          await client.end();
        }

        const login = await post('login', { username: 'consumer', password: PASSWORD });
        expect(login).toMatchObject({
          status: 200,
          body: { user_id: userId, username: 'Consumer', roles: ['viewer'] },
        });
        const cookie = login.cookies
          .find((line) => line.startsWith('livegate_session='))!
          .split(';')[0];
        expect(await status(`${app.url}/me`, { cookie })).toEqual({
          status: 200,
          body: { user_id: userId, name: 'Consumer' },
        });
        expect((await status(`${app.url}/admin`, { cookie })).status).toBe(403);

        const token = await post('token', { username: 'consumer', password: PASSWORD });
        expect(token).toEqual({
          status: 200,
          body: {
            access_token: expect.stringMatching(/^[\w-]{32,}$/),
            token_type: 'Bearer',
            expires_in: expect.any(Number),
          },
          cookies: [],
        });
        const accessToken = token.body.access_token as string;
        expect(await post('verify-token', { token: accessToken })).toMatchObject({
          status: 200,
          body: { active: true, user_id: userId, name: 'Consumer', roles: ['viewer'] },
        });
        expect(await status(`${app.url}/me`, { authorization: `Bearer ${accessToken}` })).toEqual({
          status: 200,
          body: { user_id: userId, name: 'Consumer' },
        });

        expect(await post('login', { username: 'consumer', password: 'not the password' })).toEqual(
          {
            status: 401,
            body: { error: 'unauthorized', message: 'The username or password is wrong' },
            cookies: [],
          },
        );
        expect(await post('verify-token', { token: 'never-issued-token' })).toMatchObject({
          status: 401,
        });
      });
    },
  );

  describe.each([
    ['express', 'memory'],
    ['fastify', 'memory'],
    ['express', 'redis'],
    ['fastify', 'redis'],
  ])('on %s with the %s backend', (platform, backend) => {
    let app: Started;

    beforeAll(async () => {
      app = await startConsumer(directory, {
        CONSUMER_PLATFORM: platform,
        CONSUMER_BACKEND: backend,
        CONSUMER_REDIS_URL: redis.url,
      });
    }, 60_000);

    afterAll(async () => {
      if (app) {
        await stopChildProcess(app.child);
      }
    });

    it('runs on the platform and backend asked for', () => {
      expect({ platform: app.platform, backend: app.backend }).toEqual({ platform, backend });
    });

    it('answers anonymous 401, viewer 403, admin 200 on an admin route, and 200 on a public one', async () => {
      const cookie = (session: string) => ({ cookie: `livegate_session=${session}` });
      expect(await status(`${app.url}/admin`)).toEqual({
        status: 401,
        body: { error: 'unauthorized', message: expect.any(String) },
      });
      expect(await status(`${app.url}/admin`, cookie(app.viewer))).toEqual({
        status: 403,
        body: { error: 'forbidden', message: expect.any(String) },
      });
      expect(await status(`${app.url}/admin`, cookie(app.admin))).toEqual({
        status: 200,
        body: { area: 'admin' },
      });
      expect(await status(`${app.url}/admin`, { authorization: `Bearer ${app.admin}` })).toEqual({
        status: 200,
        body: { area: 'admin' },
      });
      expect(await status(`${app.url}/public`)).toEqual({ status: 200, body: { area: 'public' } });
    });

    it('rejects a socket.io handshake without a session and accepts one with it', async () => {
      expect(await handshake(app.url, {})).toBe('Authentication required');
      expect(await handshake(app.url, { token: 'not-a-session' })).toBe(
        'The session is invalid or has expired',
      );
      expect(await handshake(app.url, { token: app.viewer })).toBe('connected');
    });
  });
});
