import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { printSchemaFile } from '../../src/schema';

/**
 * schema.graphql is what frontend teams, the playground docs and the contract checks read: it
 * must be exactly what the code serves. After changing a resolver or a type, run `npm run schema`
 * and commit the file.
 */
describe('schema.graphql', () => {
  it('is exactly what printSchemaFile() prints from the code', async () => {
    const committed = readFileSync(path.resolve(__dirname, '..', '..', 'schema.graphql'), 'utf8');
    const printed = await printSchemaFile();
    if (committed !== printed) {
      // A readable hint first: the first line that differs.
      const a = committed.split('\n');
      const b = printed.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      const at = line === -1 ? Math.min(a.length, b.length) : line;
      throw new Error(
        `schema.graphql is out of date: run \`npm run schema\` and commit the result.\n` +
          `first difference at line ${at + 1}:\n  committed: ${JSON.stringify(a[at] ?? '<end of file>')}\n  printed:   ${JSON.stringify(b[at] ?? '<end of file>')}`,
      );
    }
    expect(printed).toBe(committed);
  });
});
