import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config';

/**
 * Limits on the shape of a document, enforced at validation time, before anything runs. Each
 * refusal is a GRAPHQL_VALIDATION_FAILED error that names the limit and its value. Token count is
 * limited by the parser itself (parseOptions.maxTokens in server.ts); recursive fragments by
 * GraphQL's own NoFragmentCyclesRule.
 */
export type QueryLimits = Config['limits'];

function limitError(what: string, limit: number, found: number): GraphQLError {
  return new GraphQLError(`Query ${what} limit exceeded: ${found} is more than the maximum of ${limit}`, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: what, maximum: limit },
  });
}

/**
 * How many selections one walk may visit. Fragments are entered once per spread, so a few
 * hundred tokens of fragments that spread the one before twice ("fragment bomb") expand to 2^n
 * fields: unbounded, walking them would take the server minutes. Every field costs at least 1,
 * so a document whose walk runs out of this budget is over the cost limit anyway.
 */
interface Budget {
  left: number;
}

function budgetFor(limits: QueryLimits): Budget {
  return { left: limits.queryCost * 10 + 1_000 };
}

/** Walk an operation's selections, entering fragments (each fragment once per path), within `budget`. */
function walk(
  context: ValidationContext,
  selectionSet: SelectionSetNode,
  visit: (field: import('graphql').FieldNode, depth: number, multiplier: number) => number,
  depth: number,
  multiplier: number,
  seen: Set<string>,
  budget: Budget,
  withIntrospection = false,
): void {
  for (const selection of selectionSet.selections) {
    if (--budget.left < 0) return;
    // Introspection (GraphiQL's schema query is 15 deep) is bounded by the schema, not by the
    // caller, and is off in production: it doesn't count against the depth and cost limits.
    // Aliases of it do count (withIntrospection): 90 aliased __schema fields in 2,000 tokens
    // would answer 2 MB.
    if (!withIntrospection && selection.kind === Kind.FIELD && selection.name.value.startsWith('__')) continue;
    if (selection.kind === Kind.FIELD) {
      const childMultiplier = visit(selection, depth, multiplier);
      if (selection.selectionSet) walk(context, selection.selectionSet, visit, depth + 1, childMultiplier, seen, budget, withIntrospection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      walk(context, selection.selectionSet, visit, depth, multiplier, seen, budget, withIntrospection);
    } else {
      const name = selection.name.value;
      if (seen.has(name)) continue; // a cycle: NoFragmentCyclesRule reports it
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      if (!fragment) continue;
      seen.add(name);
      walk(context, fragment.selectionSet, visit, depth, multiplier, seen, budget, withIntrospection);
      seen.delete(name);
    }
  }
}

/** Page size a list field asks for: its `first` argument when literal, else the default 50. */
function pageSize(field: import('graphql').FieldNode): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  return first ? 100 : 1;
}

const LIST_FIELDS = new Set(['apiKeys', 'auditEvents', 'teams', 'members', 'roles', 'grants', 'edges', 'usage', 'permissionCatalog']);

export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const perOperation = (check: (context: ValidationContext, operation: OperationDefinitionNode) => GraphQLError | null): ValidationRule =>
    (context: ValidationContext): ASTVisitor => ({
      OperationDefinition(operation) {
        const error = check(context, operation);
        if (error) context.reportError(error);
      },
    });

  const depth = perOperation((context, operation) => {
    let max = 0;
    walk(context, operation.selectionSet, (_f, d, m) => ((max = Math.max(max, d + 1)), m), 0, 1, new Set(), budgetFor(limits));
    return max > limits.queryDepth ? limitError('depth', limits.queryDepth, max) : null;
  });

  const aliases = perOperation((context, operation) => {
    let count = 0;
    walk(context, operation.selectionSet, (f, _d, m) => ((count += f.alias ? 1 : 0), m), 0, 1, new Set(), budgetFor(limits), true);
    return count > limits.queryAliases ? limitError('aliases', limits.queryAliases, count) : null;
  });

  // Cost: every field costs 1 per time it may be resolved; a list field multiplies what is below
  // it by the page it asks for. A page of 500 audit events with 10 fields each costs ~5,000.
  const cost = perOperation((context, operation) => {
    let total = 0;
    const budget = budgetFor(limits);
    walk(
      context,
      operation.selectionSet,
      (f, _d, m) => {
        total += m;
        return LIST_FIELDS.has(f.name.value) && f.name.value !== 'edges' ? m * pageSize(f) : m;
      },
      0,
      1,
      new Set(),
      budget,
    );
    // Out of budget: the walk stopped early, and what it counted is a floor of the real cost.
    if (budget.left < 0) total = Math.max(total, limits.queryCost + 1);
    return total > limits.queryCost ? limitError('cost', limits.queryCost, total) : null;
  });

  const directives = (context: ValidationContext): ASTVisitor => {
    let count = 0;
    let reported = false;
    return {
      Directive() {
        count++;
        if (count > limits.queryDirectives && !reported) {
          reported = true;
          context.reportError(limitError('directives', limits.queryDirectives, count));
        }
      },
    };
  };

  // graphql-js 16 lets `subscription { ... }` through validation although the schema has no
  // Subscription type; execution then fails like a bug would (an INTERNAL_SERVER_ERROR). Refuse
  // an operation type the schema lacks here, as graphql-js 17's KnownOperationTypesRule does.
  const knownOperationType = (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const schema = context.getSchema();
      const root = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[operation.operation];
      if (!root) {
        context.reportError(
          new GraphQLError(`This service does not support ${operation.operation} operations`, { nodes: operation, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        );
      }
    },
  });

  return [depth, aliases, cost, directives, knownOperationType];
}
