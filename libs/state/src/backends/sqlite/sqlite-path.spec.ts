import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopChildProcess } from '../../testing/child-process';

const ROOT = resolve(__dirname, '..', '..', '..', '..', '..');
/** Longest the whole series of boots may take: each refusal is immediate, a hang is not. */
const CHILD_DEADLINE_MS = 60_000;
/** Longest one refused boot may take inside the child. */
const BOOT_LIMIT_MS = 3000;

interface BootCase {
  name: string;
  /** The `sqlitePath` option, or, with `fromEnvironment`, `LIVEGATE_DEPLOY__SQLITE_PATH`. */
  path: string;
  fromEnvironment?: boolean;
}

interface BootOutcome {
  name: string;
  outcome: 'booted' | 'refused';
  errorName?: string;
  message?: string;
  ms: number;
}

const MARK = '@@boot ';

/**
 * Boots StateModule once per case in a child process, one after the other, and reports each
 * outcome. A boot that blocks (opening a named pipe blocks the whole thread) cannot be timed out
 * from inside the process, so the parent kills the child at the deadline and names the case that
 * was running.
 */
const CHILD = `
const { Logger } = require('@nestjs/common');
const { Test } = require('@nestjs/testing');
const { StateModule } = require(${JSON.stringify(join(ROOT, 'libs/state/src/state.module'))});
Logger.overrideLogger(false);
const say = (line) => process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify(line) + '\\n');
(async () => {
  for (const item of JSON.parse(process.env.BOOT_CASES)) {
    say({ started: item.name });
    const started = Date.now();
    const options = { backend: 'sqlite', workerId: 'path-test' };
    if (item.fromEnvironment) {
      process.env.LIVEGATE_DEPLOY__STATE_BACKEND = 'sqlite';
      process.env.LIVEGATE_DEPLOY__SQLITE_PATH = item.path;
      delete options.backend;
    } else {
      options.sqlitePath = item.path;
    }
    try {
      const moduleRef = await Test.createTestingModule({ imports: [StateModule.forRoot(options)] }).compile();
      await moduleRef.close();
      say({ name: item.name, outcome: 'booted', ms: Date.now() - started });
    } catch (error) {
      say({ name: item.name, outcome: 'refused', errorName: error && error.constructor.name,
        message: String(error && error.message), ms: Date.now() - started });
    } finally {
      delete process.env.LIVEGATE_DEPLOY__STATE_BACKEND;
      delete process.env.LIVEGATE_DEPLOY__SQLITE_PATH;
    }
  }
})();
`;

async function bootAll(cases: BootCase[]): Promise<Map<string, BootOutcome>> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', CHILD],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        BOOT_CASES: JSON.stringify(cases),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<boolean>((done) => child.once('exit', () => done(true)));
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    exited,
    new Promise<boolean>((done) => {
      timer = setTimeout(() => done(false), CHILD_DEADLINE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!inTime) {
    await stopChildProcess(child, 'SIGKILL', 1000);
  }
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith(MARK))
    .map((line) => JSON.parse(line.slice(MARK.length)) as BootOutcome & { started?: string });
  const outcomes = new Map(
    lines.filter((line) => line.started === undefined).map((line) => [line.name, line]),
  );
  if (!inTime) {
    const running = lines.filter((line) => line.started !== undefined).pop()?.started;
    throw new Error(`The boot of case "${running}" hung for ${CHILD_DEADLINE_MS} ms\n${output}`);
  }
  if (outcomes.size !== cases.length) {
    throw new Error(`The boot child ended early\n${output}`);
  }
  return outcomes;
}

describe('StateModule with an unusable SQLITE_PATH', () => {
  let directory: string;
  let outcomes: Map<string, BootOutcome>;
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'livegate-sqlite-path-'));
    const fifo = (path: string) => execFileSync('mkfifo', ['-m', '600', path]);
    writeFileSync(join(directory, 'file'), 'not a directory');
    fifo(join(directory, 'fifo.db'));
    mkdirSync(join(directory, 'key-fifo'));
    fifo(join(directory, 'key-fifo', 'state.db.key'));
    mkdirSync(join(directory, 'wal-fifo'));
    fifo(join(directory, 'wal-fifo', 'state.db-wal'));
    mkdirSync(join(directory, 'a-directory.db'));
    Object.assign(paths, {
      'a file as the parent directory': join(directory, 'file', 'state.db'),
      'a file further up the path': join(directory, 'file', 'deeper', 'state.db'),
      'a directory as the database': join(directory, 'a-directory.db'),
      'a named pipe as the database': join(directory, 'fifo.db'),
      'a named pipe as the key file': join(directory, 'key-fifo', 'state.db'),
      'a named pipe as the WAL file': join(directory, 'wal-fifo', 'state.db'),
      '/dev/null': '/dev/null',
      'a new directory under /proc': `/proc/livegate-${randomBytes(4).toString('hex')}/state.db`,
      'a file on procfs': '/proc/self/environ',
      'a file on sysfs': `/sys/livegate-${randomBytes(4).toString('hex')}.db`,
    });
    outcomes = await bootAll([
      ...Object.entries(paths).map(([name, path]) => ({ name, path })),
      {
        name: 'a named pipe from the environment',
        path: join(directory, 'fifo.db'),
        fromEnvironment: true,
      },
      { name: 'a usable path', path: join(directory, 'new', 'nested', 'state.db') },
    ]);
  }, CHILD_DEADLINE_MS + 10_000);

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  const refusals = [
    'a file as the parent directory',
    'a file further up the path',
    'a directory as the database',
    'a named pipe as the database',
    'a named pipe as the key file',
    'a named pipe as the WAL file',
    '/dev/null',
    'a new directory under /proc',
    'a file on procfs',
    'a file on sysfs',
  ];

  it.each(refusals)('stops the boot at once for %s, naming the variable and the path', (name) => {
    const outcome = outcomes.get(name)!;
    expect(outcome).toMatchObject({ outcome: 'refused', errorName: 'StateConfigurationError' });
    expect(outcome.message).toContain('LIVEGATE_DEPLOY__SQLITE_PATH');
    expect(outcome.message).toContain('sqlitePath');
    expect(outcome.message).toContain(paths[name]);
    expect(outcome.ms).toBeLessThan(BOOT_LIMIT_MS);
  });

  it('says what is wrong with the path', () => {
    const reason = (name: string) => outcomes.get(name)!.message;
    expect(reason('a file as the parent directory')).toContain(
      `is under ${join(directory, 'file')}, which is a file, not a directory`,
    );
    expect(reason('a file further up the path')).toContain('which is a file, not a directory');
    expect(reason('a directory as the database')).toContain('is a directory, not a database file');
    expect(reason('a named pipe as the database')).toContain('is a named pipe (FIFO)');
    expect(reason('a named pipe as the key file')).toContain('state.db.key beside it');
    expect(reason('a named pipe as the WAL file')).toContain('state.db-wal beside it');
    expect(reason('/dev/null')).toContain('is a character device');
    expect(reason('a new directory under /proc')).toContain('is on a proc filesystem');
    expect(reason('a file on procfs')).toContain('is on a proc filesystem');
    expect(reason('a file on sysfs')).toContain('is on a sysfs filesystem');
  });

  it('names the variable when the path came from the environment', () => {
    const outcome = outcomes.get('a named pipe from the environment')!;
    expect(outcome).toMatchObject({ outcome: 'refused', errorName: 'StateConfigurationError' });
    expect(outcome.message).toContain('LIVEGATE_DEPLOY__SQLITE_PATH');
    expect(outcome.message).toContain(join(directory, 'fifo.db'));
    expect(outcome.ms).toBeLessThan(BOOT_LIMIT_MS);
  });

  it('creates nothing when it refuses, and still boots on a usable path', () => {
    expect(readdirSync(directory).sort()).toEqual([
      'a-directory.db',
      'fifo.db',
      'file',
      'key-fifo',
      'new',
      'wal-fifo',
    ]);
    expect(readdirSync(join(directory, 'key-fifo'))).toEqual(['state.db.key']);
    expect(readdirSync(join(directory, 'wal-fifo'))).toEqual(['state.db-wal']);
    expect(readdirSync(join(directory, 'a-directory.db'))).toEqual([]);
    expect(outcomes.get('a usable path')).toMatchObject({ outcome: 'booted' });
    // Each directory it had to make is owner-only.
    for (const made of ['new', join('new', 'nested')]) {
      expect(statSync(join(directory, made)).mode & 0o777).toBe(0o700);
    }
  });
});
