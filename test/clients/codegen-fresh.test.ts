import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GENERATED } from './codegen.config';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * test/clients/generated/graphql.ts is committed, so the client tests run without a codegen
 * step. It must be exactly what `npm run codegen` makes from today's schema.graphql and
 * operations.graphql: a renamed field or a changed type fails here, not silently in a client.
 * (The same CLI as `npm run codegen`, in a child process: it loads ESM-only modules that jest
 * can't require.)
 */
describe('generated client types', () => {
  test('test/clients/generated/graphql.ts is up to date (npm run codegen)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'empress-codegen-'));
    try {
      const fresh = path.join(dir, 'graphql.ts');
      await run(
        process.execPath,
        [
          path.join(ROOT, 'node_modules/.bin/graphql-codegen'),
          '--config',
          'test/clients/codegen.config.ts',
        ],
        {
          cwd: ROOT,
          env: { ...process.env, CODEGEN_OUTPUT: fresh },
          timeout: 60_000,
        },
      );
      const expected = readFileSync(fresh, 'utf8');
      const committed = readFileSync(GENERATED, 'utf8');
      if (committed !== expected) {
        throw new Error(
          `${path.relative(ROOT, GENERATED)} is stale: run \`npm run codegen\` and commit the result`,
        );
      }
      expect(committed).toContain('export const CreateApiKeyDocument');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
