import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GENERATED as WEB_GENERATED } from '../../web/codegen.config';
import { GENERATED } from './codegen.config';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The generated client types are committed, so the client tests and the web app build without a
 * codegen step. Each file must be exactly what its codegen makes from today's schema.graphql and
 * operations: a renamed field or a changed type fails here, not silently in a client. (The same
 * CLI as the npm scripts, in a child process: it loads ESM-only modules that jest can't require.)
 */
const CLIENTS = [
  {
    script: 'codegen',
    config: 'test/clients/codegen.config.ts',
    committed: GENERATED,
    file: 'test/clients/generated/graphql.ts',
  },
  {
    script: 'codegen:web',
    config: 'web/codegen.config.ts',
    committed: WEB_GENERATED,
    file: 'web/src/graphql/generated.ts',
  },
];

describe('generated client types', () => {
  test.each(CLIENTS)(
    '$file is up to date (npm run $script)',
    async (client) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'empress-codegen-'));
      try {
        const fresh = path.join(dir, 'graphql.ts');
        await run(
          process.execPath,
          [path.join(ROOT, 'node_modules/.bin/graphql-codegen'), '--config', client.config],
          { cwd: ROOT, env: { ...process.env, CODEGEN_OUTPUT: fresh }, timeout: 60_000 },
        );
        const expected = readFileSync(fresh, 'utf8');
        const committed = readFileSync(client.committed, 'utf8');
        if (committed !== expected) {
          const name = path.relative(ROOT, client.committed);
          throw new Error(
            `${name} is stale: run \`npm run ${client.script}\` and commit the result`,
          );
        }
        expect(committed).toContain('Document = {');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
