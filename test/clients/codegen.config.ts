import type { CodegenConfig } from '@graphql-codegen/cli';
import path from 'node:path';
import { TYPED_OPERATIONS } from '../../web/codegen.config';

/**
 * GraphQL Code Generator for the typed client tests: `npm run codegen` writes
 * test/clients/generated/graphql.ts (TypeScript types of the schema's inputs, enums and
 * scalars, the result types of test/clients/operations.graphql and a TypedDocumentNode for
 * each operation) from the committed schema.graphql. The generated file is committed;
 * codegen-fresh.test.ts fails when it is stale.
 */
const ROOT = path.resolve(__dirname, '..', '..');
export const SCHEMA = path.join(ROOT, 'schema.graphql');
export const DOCUMENTS = path.join(ROOT, 'test/clients/operations.graphql');
export const GENERATED = path.join(ROOT, 'test/clients/generated/graphql.ts');

export function clientCodegenConfig(output: string = GENERATED): CodegenConfig {
  return {
    schema: SCHEMA,
    documents: [DOCUMENTS],
    overwrite: true,
    silent: true,
    errorsOnly: true,
    generates: {
      [output]: {
        ...TYPED_OPERATIONS,
      },
    },
  };
}

// CODEGEN_OUTPUT: write elsewhere (codegen-fresh.test.ts regenerates into a temporary folder).
export default clientCodegenConfig(process.env.CODEGEN_OUTPUT || GENERATED);
