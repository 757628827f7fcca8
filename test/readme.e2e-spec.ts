import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_ENV_VARIABLES } from '@livegate/auth';
import { LIVE_AUTH_ENV_VARIABLES } from '@livegate/live-auth';
import { OAUTH_ENV_VARIABLES } from '@livegate/oauth';
import { STATE_ENV_VARIABLES } from '@livegate/state';

const ROOT = join(__dirname, '..');

/** A README's configuration tables: variable → its default cell. */
function documentedDefaults(readme: string): Map<string, string> {
  const text = readFileSync(join(ROOT, readme), 'utf8');
  const rows = new Map<string, string>();
  for (const match of text.matchAll(/^\|\s*`(LIVEGATE_[A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/gm)) {
    rows.set(match[1], match[2].replace(/`/g, ''));
  }
  return rows;
}

type Variables = typeof STATE_ENV_VARIABLES;

/** Each README and the variables whose table it holds. */
const READMES: [string, Variables][] = [
  ['README.md', [...STATE_ENV_VARIABLES, ...AUTH_ENV_VARIABLES]],
  ['libs/state/README.md', STATE_ENV_VARIABLES],
  ['libs/auth/README.md', AUTH_ENV_VARIABLES],
  ['libs/oauth/README.md', OAUTH_ENV_VARIABLES],
  ['libs/live-auth/README.md', LIVE_AUTH_ENV_VARIABLES],
];

describe.each(READMES)('the configuration tables of %s', (readme, variables) => {
  const documented = documentedDefaults(readme);

  it.each(variables.map((row) => [row.variable, row]))(
    'document %s with its default',
    (_name, row) => {
      expect(documented.has(row.variable)).toBe(true);
      expect(documented.get(row.variable)).toBe(row.defaultText.replace(/`/g, ''));
    },
  );

  it('document no variable that the library does not read', () => {
    const known = new Set(variables.map((row) => row.variable));
    expect([...documented.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});
