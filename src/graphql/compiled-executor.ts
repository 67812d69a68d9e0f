import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type OperationDefinitionNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** compiled operations kept; past it, the least recently used is dropped */
const MAX_COMPILED = 1_000;

type Compiled = CompiledQuery<Record<string, unknown>, Record<string, unknown>>;

/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter: each distinct
 * operation is compiled once into a function (the first request pays it), and later requests run
 * that function. A page of 50 keys is about a thousand fields: interpreting them again on every
 * request was most of its cost. Apollo still parses and validates (with our limits), runs the
 * plugins and formats errors; only execution changes, through its executor hook (a gateway that
 * serves this one schema). Resolvers, the shield and the other middleware run as before.
 */
export function compiledExecution(schema: GraphQLSchema): GatewayInterface {
  const compiled = new CompiledOperations(schema);
  const executor: GatewayExecutor = async (request) => {
    // no operation of that name (or several, and no name): graphql-js answers without running
    // anything, and Apollo turns its error into a 400
    if (!request.operation) {
      const { document, request: asked } = request;
      return execute({ schema, document, operationName: asked.operationName }) as ExecutionResult;
    }
    if (!compilable(request.operation)) {
      const { document, operationName, context: contextValue } = request;
      const variableValues = request.request.variables;
      return execute({ schema, document, operationName, contextValue, variableValues });
    }
    const query = compiled.of(request.queryHash, request.document, request.operationName);
    if (!isCompiledQuery(query)) return query;
    const variables = request.request.variables ?? {};
    // Variables are coerced as graphql-js does it, so that a bad one is refused with graphql-js's
    // error, which Apollo answers as BAD_USER_INPUT (graphql-jit's own error would be a 500).
    const { errors } = getVariableValues(
      schema,
      request.operation.variableDefinitions ?? [],
      variables,
    );
    if (errors) return { errors };
    const result = await query.query(undefined, request.context, variables);
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };
  return {
    load: () => Promise.resolve({ executor }),
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    stop: () => Promise.resolve(),
  };
}

/**
 * Whether graphql-jit may run an operation. A mutation of several fields may not: they must run
 * one after the other and stop at the first that fails, as graphql-js runs them (fifteen aliased
 * logIn guesses in one document cost one attempt); graphql-jit runs on. A single field is the
 * common case, verifyApiCredentials among them.
 */
function compilable(operation: OperationDefinitionNode): boolean {
  const { selections } = operation.selectionSet;
  return (
    operation.operation !== OperationTypeNode.MUTATION ||
    (selections.length === 1 && selections[0].kind === Kind.FIELD)
  );
}

/** Operations compiled once, by their document's hash and name; the least recently used go first. */
class CompiledOperations {
  private readonly compiled = new Map<string, Compiled>();

  constructor(private readonly schema: GraphQLSchema) {}

  of(
    hash: string,
    document: DocumentNode,
    operationName: string | null,
  ): Compiled | ExecutionResult {
    const key = `${hash}|${operationName ?? ''}`;
    const known = this.compiled.get(key);
    if (known) {
      this.compiled.delete(key); // most recently used last
      this.compiled.set(key, known);
      return known;
    }
    const result = compileQuery(this.schema, document, operationName ?? undefined, {
      // our scalars serialise as graphql-js would; the response is Apollo's to write
      customJSONSerializer: false,
    });
    if (!isCompiledQuery(result)) return result;
    if (this.compiled.size >= MAX_COMPILED)
      this.compiled.delete(this.compiled.keys().next().value!);
    this.compiled.set(key, result);
    return result;
  }
}

/**
 * graphql-jit makes the error of a resolver that threw something other than a GraphQLError (a
 * database error, a bug) without the `extensions` graphql-js always gives: Apollo reads them, and
 * would answer a bare 500 instead of our formatted error (a 503 for the database, say). Such an
 * error is made again as graphql-js makes it, keeping its path and what was thrown.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  return new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
  });
}
