import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { WALKTHROUGH_DOC, walkthroughMarkdown } from '../../scripts/walkthrough-doc';
import {
  WALKTHROUGH,
  WALKTHROUGH_VARIABLES,
  walkthroughDocument,
} from '../../src/http/walkthrough';
import { buildBareSchema } from '../../src/schema';

/**
 * The admin walkthrough has one source, src/http/walkthrough.ts: the playground's first tab is
 * built from it at start-up, and docs/walkthrough.md is written from it by `npm run docs`. Here the
 * committed doc must be exactly what the source prints, and every step must run on the schema.
 */
describe('the admin walkthrough', () => {
  it('docs/walkthrough.md is exactly what `npm run docs` writes', () => {
    const committed = readFileSync(WALKTHROUGH_DOC, 'utf8');
    const printed = walkthroughMarkdown();
    if (committed !== printed) {
      const a = committed.split('\n');
      const b = printed.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      const at = line === -1 ? Math.min(a.length, b.length) : line;
      throw new Error(
        'docs/walkthrough.md is out of date: run `npm run docs` and commit the result.\n' +
          `first difference at line ${at + 1}:\n  committed: ${JSON.stringify(a[at] ?? '<end of file>')}\n` +
          `  printed:   ${JSON.stringify(b[at] ?? '<end of file>')}`,
      );
    }
  });

  it('each step is one operation of its name that validates against the schema, with its variables at hand', async () => {
    const schema = await buildBareSchema();
    for (const step of WALKTHROUGH) {
      const document = parse(step.document);
      const operations = document.definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      );
      expect({ step: step.name, names: operations.map((op) => op.name?.value) }).toEqual({
        step: step.name,
        names: [step.name],
      });
      expect({ step: step.name, errors: validate(schema, document).map((e) => e.message) }).toEqual(
        { step: step.name, errors: [] },
      );
      const variables = operations[0].variableDefinitions?.map((v) => v.variable.name.value) ?? [];
      expect({
        step: step.name,
        missing: variables.filter((name) => !(name in WALKTHROUGH_VARIABLES)),
      }).toEqual({ step: step.name, missing: [] });
    }
  });

  it("the playground's tab holds every step the schema can run, and validates as one document", async () => {
    const schema = await buildBareSchema();
    const tab = walkthroughDocument(schema);
    expect(validate(schema, parse(tab))).toEqual([]);
    for (const step of WALKTHROUGH) expect(tab).toContain(step.document);
    // the comment at the top numbers the steps in the order of the operations below it
    WALKTHROUGH.forEach((step, i) => expect(tab).toContain(`# ${i + 1}. ${step.name}: `));
  });
});
