import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run docs:screenshots`: the pictures of docs/dashboard.md and the README, taken by the
 * browser tests of the web app (a real server, a real Chromium) and copied from test-artifacts/web
 * to docs/images, so that the documentation shows the app as it is today.
 */
const ROOT = path.resolve(__dirname, '..');
const TAKEN = path.join(ROOT, 'test-artifacts', 'web');
const DOCS = path.join(ROOT, 'docs', 'images');

/** The test's picture → the documentation's name for it. */
export const PICTURES: Record<string, string> = {
  'sign-in.png': 'sign-in.png',
  'dashboard-1280.png': 'dashboard.png',
  'settings-1280.png': 'settings.png',
  'profile-1280.png': 'profile.png',
  'team-1280.png': 'team.png',
  'roles-1280.png': 'roles.png',
  'api-access-1280.png': 'api-access.png',
  'dialog-create-key-1280.png': 'create-key.png',
  'dialog-secret-1280.png': 'secret.png',
  'dialog-close-without-storing-1280.png': 'close-without-storing.png',
  'dialog-regenerate-1280.png': 'regenerate.png',
  'dialog-revoke-1280.png': 'revoke.png',
  'key-1280.png': 'key.png',
  'activity-1280.png': 'activity.png',
  'api-access-375.png': 'api-access-phone.png',
  'webhooks-tab.png': 'webhooks.png',
};

/** the browser tests that take them */
const TESTS = ['test/web/accessibility.test.ts', 'test/web/webhooks.test.ts'];

function main(): void {
  execFileSync('npm', ['run', '-s', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync('npx', ['jest', '--maxWorkers=1', ...TESTS], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  mkdirSync(DOCS, { recursive: true });
  for (const [taken, name] of Object.entries(PICTURES)) {
    const from = path.join(TAKEN, taken);
    if (!existsSync(from)) throw new Error(`the test run took no ${taken}`);
    copyFileSync(from, path.join(DOCS, name));
  }
  process.stdout.write(`${Object.keys(PICTURES).length} pictures in docs/images\n`);
}

if (require.main === module) main();
