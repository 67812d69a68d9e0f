import type { CodegenConfig } from '@graphql-codegen/cli';
import path from 'node:path';

/**
 * GraphQL Code Generator for the web app: `npm run codegen:web` writes web/src/graphql/generated.ts
 * (the types of the schema's inputs, enums and scalars, the result type of every operation in
 * web/src/**\/*.graphql and a TypedDocumentNode for each) from the committed schema.graphql. The
 * generated file is committed; every API result type of the app comes from it. Prettier formats it
 * after writing, so `prettier --check web` holds for it too.
 */
const WEB = __dirname;
export const SCHEMA = path.join(WEB, '..', 'schema.graphql');
export const DOCUMENTS = path.join(WEB, 'src', '**', '*.graphql');
export const GENERATED = path.join(WEB, 'src', 'graphql', 'generated.ts');
const PRETTIER_CONFIG = path.join(WEB, '..', '.prettierrc.json');

/**
 * What a client's generated file holds: the types its operations use (enums, inputs, scalars),
 * each operation's result type and a TypedDocumentNode for it. The web app and the tests' typed
 * client both generate with it.
 */
export const TYPED_OPERATIONS = {
  plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
  config: {
    onlyOperationTypes: true,
    strictScalars: true,
    scalars: {
      ID: 'string',
      DateTimeISO: 'string',
      JSONObject: 'Record<string, unknown>',
    },
    enumsAsTypes: true,
    useTypeImports: true,
    avoidOptionals: false,
  },
};

export function webCodegenConfig(output: string = GENERATED): CodegenConfig {
  return {
    schema: SCHEMA,
    documents: [DOCUMENTS],
    overwrite: true,
    silent: true,
    errorsOnly: true,
    // the project's settings wherever the file is written (the freshness test writes elsewhere)
    hooks: { afterOneFileWrite: [`prettier --write --config ${PRETTIER_CONFIG}`] },
    generates: {
      [output]: {
        ...TYPED_OPERATIONS,
      },
    },
  };
}

// CODEGEN_OUTPUT: write elsewhere (a freshness check can regenerate into a temporary folder).
export default webCodegenConfig(process.env.CODEGEN_OUTPUT || GENERATED);
