import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordHasher, createUserStore } from '@livegate/live-auth';
import { TS_SCRIPT_ENV, tsScriptArgs } from './support/worker-process';

const ROOT = join(__dirname, '..');

/** `npm run users -- <args>` with `input` on standard input; its output and exit code. */
function users(args: string[], input: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      tsScriptArgs('apps/demo/scripts/users.ts', ...args),
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          ...TS_SCRIPT_ENV,
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
    );
    child.stdin!.end(input);
  });
}

describe('npm run users', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-users-command-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('creates the first admin with a password from standard input, and lists the users', async () => {
    const env = { LIVEGATE_LIVE_AUTH__SQLITE_PATH: join(folder, 'users.db') };
    const created = await users(['create-admin', 'Root'], 'correct horse battery\n', env);
    expect(created).toEqual({
      code: 0,
      stdout: expect.stringMatching(
        /^Created the admin Root \([0-9a-f-]{36}\) in the sqlite user store\.\n$/,
      ),
    });
    expect(created.stdout).not.toContain('correct horse');

    const store = await createUserStore({
      userStore: 'sqlite',
      sqlitePath: env.LIVEGATE_LIVE_AUTH__SQLITE_PATH,
      sqliteEncrypted: true,
      keyring: null,
    });
    try {
      const root = await store.findByUsername('root');
      expect(root?.claims).toEqual([{ type: 'role', value: 'admin' }]);
      expect(await new PasswordHasher().verify(root!.passwordHash!, 'correct horse battery')).toBe(
        true,
      );
    } finally {
      await store.close();
    }

    const listed = await users(['list'], '', env);
    expect(listed.stdout).toMatch(/^Root\t[0-9a-f-]{36}\tadmin\n$/);
    // Twice: the username is taken; a short password is refused before anything is written.
    expect(await users(['create-admin', 'ROOT'], 'correct horse battery\n', env)).toMatchObject({
      code: 1,
      stdout: 'StateConflictError: The username is taken\n',
    });
    expect(await users(['create-admin', 'other'], 'short\n', env)).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/password: must be 8 to 1024/),
    });
    expect((await users(['list'], '', env)).stdout.trim().split('\n')).toHaveLength(1);
  }, 90_000);
});
