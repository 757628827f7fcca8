import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_ENV_VARIABLES } from '@livegate/auth';
import { STATE_ENV_VARIABLES } from '@livegate/state';

const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

/** The README's configuration tables: variable → its default cell. */
function documentedDefaults(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of README.matchAll(/^\|\s*`(LIVEGATE_[A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/gm)) {
    rows.set(match[1], match[2].replace(/`/g, ''));
  }
  return rows;
}

describe('README configuration tables', () => {
  const documented = documentedDefaults();

  it.each([...STATE_ENV_VARIABLES, ...AUTH_ENV_VARIABLES].map((row) => [row.variable, row]))(
    'documents %s with its default',
    (_name, row) => {
      expect(documented.has(row.variable)).toBe(true);
      expect(documented.get(row.variable)).toBe(row.defaultText.replace(/`/g, ''));
    },
  );

  it('documents no variable that the libraries do not read', () => {
    const known = new Set(
      [...STATE_ENV_VARIABLES, ...AUTH_ENV_VARIABLES].map((row) => row.variable),
    );
    expect([...documented.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});
