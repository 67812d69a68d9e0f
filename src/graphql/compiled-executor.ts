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
    const result = await query.query(undefined, request.context, variables);
    // An answer without data is graphql-jit refusing a variable (its compiled coercion runs first,
    // once). The refusal is made again by graphql-js, whose error Apollo answers as BAD_USER_INPUT
    // (graphql-jit's own would be a 500); good variables are not coerced twice.
    if (!('data' in result)) {
      const defs = request.operation.variableDefinitions ?? [];
      const { errors } = getVariableValues(schema, defs, variables);
      if (errors) return { errors };
    }
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

/**
 * Operations compiled once, by their document's hash and name. When full, one that was not used
 * since the last sweep goes (the "clock" approximation of least recently used): a hit only sets a
 * flag, where keeping an exact order cost a removal and an insertion on every request.
 */
export class CompiledOperations {
  private readonly compiled = new Map<string, { query: Compiled; used: boolean }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly capacity = MAX_COMPILED,
  ) {}

  get size(): number {
    return this.compiled.size;
  }

  of(
    hash: string,
    document: DocumentNode,
    operationName: string | null,
  ): Compiled | ExecutionResult {
    const key = operationName ? `${hash}|${operationName}` : hash;
    const known = this.compiled.get(key);
    if (known) {
      known.used = true;
      return known.query;
    }
    const result = compileQuery(this.schema, document, operationName ?? undefined, {
      // our scalars serialise as graphql-js would; the response is Apollo's to write
      customJSONSerializer: false,
    });
    if (!isCompiledQuery(result)) return result;
    if (this.compiled.size >= this.capacity) this.evictOne();
    this.compiled.set(key, { query: result, used: false });
    return result;
  }

  /** The oldest entry not used since the sweep last passed it; the used ones get a second chance. */
  private evictOne(): void {
    for (const [key, entry] of this.compiled) {
      this.compiled.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.compiled.set(key, entry); // to the back: swept again after the others
    }
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
