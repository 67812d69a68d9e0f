import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run build:web` (also run by `npm start` and `npm test`): builds the web app (web/ into
 * dist/web) with Vite, or skips that build when dist/web was built from exactly the inputs there
 * are now. After a successful build a stamp in dist/web holds a hash of those inputs: every file
 * under web/ (sources, Vite and TypeScript configuration), package-lock.json (the versions of Vite,
 * React and the rest), the VITE_* variables (Vite puts them in the bundle) and this script. The
 * stamp goes before a build starts, so a failed or interrupted build leaves none and the next run
 * builds again. `npm run build:web -- --force` builds whatever the stamp says.
 */
const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist', 'web');
// never served: only dist/web/assets and index.html are (src/http/web-app.ts)
const STAMP = path.join(OUT, '.build-stamp');
// what a build leaves behind besides the stamp; without them, the stamp alone proves nothing
const OUTPUTS = ['index.html', path.join('.vite', 'manifest.json')];

/** Files under `dir`, relative to ROOT, in a stable order. */
function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .sort();
}

/** A hash of everything the web build reads: names and contents, so a rename counts too. */
function webInputsHash(): string {
  const hash = createHash('sha256');
  const files = [...filesUnder('web'), 'package-lock.json', path.relative(ROOT, __filename)];
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(ROOT, file)));
    hash.update('\0');
  }
  const viteVariables = Object.keys(process.env)
    .filter((name) => name.startsWith('VITE_'))
    .sort()
    .map((name) => `${name}=${process.env[name]}`);
  hash.update(viteVariables.join('\0'));
  return hash.digest('hex');
}

function upToDate(inputs: string): boolean {
  return (
    existsSync(STAMP) &&
    readFileSync(STAMP, 'utf8').trim() === inputs &&
    OUTPUTS.every((file) => existsSync(path.join(OUT, file)))
  );
}

function main(): number {
  const inputs = webInputsHash();
  if (!process.argv.includes('--force') && upToDate(inputs)) {
    console.log('web app: dist/web is up to date with web/ (Vite build skipped)');
    return 0;
  }
  rmSync(STAMP, { force: true });
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const build = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) return build.status ?? 1;
  // the hash of the inputs as they were before the build: one edited meanwhile builds again
  writeFileSync(STAMP, `${inputs}\n`);
  return 0;
}

process.exitCode = main();
