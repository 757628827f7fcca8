// Builds and packs the Livegate libraries as npm packages.
//
//   node scripts/packages.mjs build   compiles each library into libs/<name>/dist, in dependency
//                                     order, each against its siblings' built public entries
//   node scripts/packages.mjs pack    writes one tarball per library into dist/packages
//
// `pack` needs `build` first. The tarballs are what an app installs: `npm install
// ./dist/packages/livegate-state-<version>.tgz ./dist/packages/livegate-auth-<version>.tgz`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The libraries, each after the ones it depends on. */
export const LIBRARIES = ['state', 'auth', 'oauth', 'live-auth'];

const PACKAGES_DIRECTORY = join(ROOT, 'dist', 'packages');

function say(line) {
  process.stdout.write(`${line}\n`);
}

function manifestOf(library) {
  return JSON.parse(readFileSync(join(ROOT, 'libs', library, 'package.json'), 'utf8'));
}

function build() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const library of LIBRARIES) {
    const folder = join(ROOT, 'libs', library);
    rmSync(join(folder, 'dist'), { recursive: true, force: true });
    execFileSync(process.execPath, [tsc, '-p', join(folder, 'tsconfig.lib.json')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    say(`built ${manifestOf(library).name} into ${relative(ROOT, join(folder, 'dist'))}`);
  }
}

function pack() {
  mkdirSync(PACKAGES_DIRECTORY, { recursive: true });
  const written = [];
  for (const library of LIBRARIES) {
    const folder = join(ROOT, 'libs', library);
    const manifest = manifestOf(library);
    if (!existsSync(join(folder, manifest.main))) {
      throw new Error(`${manifest.name} is not built: run npm run build first`);
    }
    // npm packs the LICENSE of the package folder; the one of record is the repository's.
    copyFileSync(join(ROOT, 'LICENSE'), join(folder, 'LICENSE'));
    const output = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', PACKAGES_DIRECTORY],
      { cwd: folder, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [result] = JSON.parse(output);
    written.push(result);
    say(
      `packed ${result.name}@${result.version}: ${relative(ROOT, join(PACKAGES_DIRECTORY, result.filename))}` +
        ` (${(result.size / 1024).toFixed(1)} KiB, ${result.entryCount} files, ` +
        `${(result.unpackedSize / 1024).toFixed(1)} KiB unpacked)`,
    );
  }
  return written;
}

const command = process.argv[2];
if (command === 'build') {
  build();
} else if (command === 'pack') {
  pack();
} else {
  process.stderr.write('usage: node scripts/packages.mjs build|pack\n');
  process.exit(2);
}
