import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Lints each snippet as if it were the file named, in one ESLint process (Jest cannot load its config). */
function lint(cases: readonly (readonly [file: string, code: string])[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const [file, code] of cases) {
        const [result] = await eslint.lintText(code, { filePath: file });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const output = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    input: JSON.stringify(cases.map(([file, code]) => [join(ROOT, file), code])),
  });
  return JSON.parse(output.toString()) as string[][];
}

const DEEP_IMPORTS = [
  [
    'libs/auth/src/probe.ts',
    "import { sessionKeyOf } from '@livegate/state/backends/redis/redis-keys';",
  ],
  [
    'libs/auth/src/probe.ts',
    "import { freezeSession } from '../../state/src/sessions/session.validation';",
  ],
  [
    'libs/auth/src/decorators/probe.ts',
    "export { assertName } from '../../../state/src/common/validation';",
  ],
  [
    'apps/demo/src/probe.ts',
    "import type { RedisKeys } from '../../../libs/state/src/backends/redis/redis-keys';",
  ],
  ['test/probe.e2e-spec.ts', "import { AccessGuard } from '@livegate/auth/access.guard';"],
  [
    'test/probe.e2e-spec.ts',
    "import { RedisKeys } from '../libs/state/src/backends/redis/redis-keys';",
  ],
  ['bench/probe.ts', "import { freePort } from '@livegate/state/testing/free-port';"],
  ['bench/probe.ts', "export * from '@livegate/auth/src';"],
] as const;

const PUBLIC_IMPORTS = [
  ['libs/auth/src/probe.ts', "import { SessionStore } from '@livegate/state';"],
  ['test/probe.e2e-spec.ts', "import { RedisTestServer } from '@livegate/state/testing';"],
  ['libs/state/src/sessions/probe.ts', "import { assertId } from '../common/validation';"],
  ['apps/demo/src/probe.ts', "import { AuthModule } from '@livegate/auth';"],
] as const;

describe('public API of each library', () => {
  jest.setTimeout(60_000);
  let deep: string[][];
  let allowed: string[][];

  beforeAll(() => {
    const results = lint(
      [...DEEP_IMPORTS, ...PUBLIC_IMPORTS].map(([file, code]) => [file, `${code}\n`] as const),
    );
    deep = results.slice(0, DEEP_IMPORTS.length);
    allowed = results.slice(DEEP_IMPORTS.length);
  });

  it.each(DEEP_IMPORTS.map((entry, index) => [...entry, index] as const))(
    'a deep import in %s fails the lint: %s',
    (_file, _code, index) => {
      expect(deep[index]).toHaveLength(1);
    },
  );

  it.each(PUBLIC_IMPORTS.map((entry, index) => [...entry, index] as const))(
    'an import through the public entry passes: %s %s',
    (_file, _code, index) => {
      expect(allowed[index]).toEqual([]);
    },
  );

  it('no source requires another library by path', () => {
    const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT })
      .toString()
      .trim()
      .split('\n');
    const offenders = files.filter((file) =>
      /require\(['"][^'"]*(libs\/[^/'"]+\/src|@livegate\/[^/'"]+\/(?!testing['"]))/.test(
        readFileSync(join(ROOT, file), 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
