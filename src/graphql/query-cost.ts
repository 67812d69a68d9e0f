import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getVariableValues,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { GraphQLContext } from '../modules/graphql-context';
import { LIST_SIZES, type ListSize } from './list-bounds';
import {
  budgetFor,
  limitError,
  rootTypeOf,
  walk,
  type FieldVisit,
  type QueryLimits,
} from './query-limits';

/**
 * The cost of one operation: every field costs 1 per time it may be resolved, and a list field
 * multiplies what is below it by its size (list-bounds.ts): a page by the `first` it was really
 * given, in the document or in the variables, clamped as its service clamps it. A page of 500
 * audit events with 10 fields each costs ~5,000.
 *
 * Variables are known only once the document is valid, so the check runs when Apollo has
 * resolved the operation (didResolveOperation), before anything executes, and answers like a
 * validation rule: HTTP 400, GRAPHQL_VALIDATION_FAILED naming the limit.
 */
export interface OperationCost {
  total: number;
  /** per measured list field: the cost of one more item (charged by the list meter as it resolves) */
  perItem: Map<FieldNode, number>;
}

/** The multiplier a list field puts on what is below it, from its row and its arguments. */
function listSize(size: ListSize, args: Record<string, unknown>): number {
  switch (size.kind) {
    case 'page': {
      const first = typeof args.first === 'number' ? args.first : 1;
      return Math.max(1, Math.min(first, size.max));
    }
    case 'bound':
      return size.max;
    case 'byArgs':
      return Math.max(1, Math.min(size.size(args), size.max));
    default:
      return 1; // inPage: counted by its page; measured: one item now, the rest as it resolves
  }
}

function argumentsOf(v: FieldVisit, variables: Record<string, unknown>): Record<string, unknown> {
  if (!v.definition) return {};
  try {
    return getArgumentValues(v.definition, v.field, variables);
  } catch {
    return {}; // an argument execution will refuse: nothing below it runs
  }
}

function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): OperationCost {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  let total = 0;
  const perItem = new Map<FieldNode, number>();
  const before = new Map<FieldVisit, number>();
  const budget = budgetFor(limits);
  const sizeOf = (v: FieldVisit) =>
    v.parentType ? LIST_SIZES[`${v.parentType.name}.${v.field.name.value}`] : undefined;
  walk(
    { schema, fragment: (name) => fragments.get(name) },
    operation.selectionSet,
    rootTypeOf(schema, operation),
    (v) => {
      total += v.multiplier;
      const size = sizeOf(v);
      if (!size) return v.multiplier;
      if (size.kind === 'measured') before.set(v, total);
      return v.multiplier * listSize(size, argumentsOf(v, variables));
    },
    {
      budget,
      leave(v) {
        const start = before.get(v);
        if (start === undefined) return;
        before.delete(v);
        // what one item cost below this field, whichever multiplier it sits under
        perItem.set(v.field, Math.max(perItem.get(v.field) ?? 0, (total - start) / v.multiplier));
      },
    },
  );
  // Out of budget: the walk stopped early, and what it counted is a floor of the real cost.
  if (budget.left < 0) total = Math.max(total, limits.queryCost + 1);
  return { total, perItem };
}

/**
 * The running cost of an operation: measured lists (a team's members) add what their items
 * really cost as they resolve; past the limit, the list answers the cost error instead.
 */
export class CostMeter {
  constructor(
    private readonly limit: number,
    private total: number,
    private readonly perItem: Map<FieldNode, number>,
  ) {}

  /** A measured list resolved to `items` items: one was counted before the operation ran. */
  charge(field: FieldNode, items: number): void {
    const each = this.perItem.get(field);
    if (!each || items <= 1) return;
    this.total += (items - 1) * each;
    if (this.total > this.limit) throw limitError('cost', this.limit, this.total);
  }
}

function costError(limit: number, found: number): GraphQLError {
  const error = limitError('cost', limit, found);
  // thrown from didResolveOperation: a refusal of the request, as a validation error is
  (error.extensions as Record<string, unknown>).http = { status: 400 };
  return error;
}

export function queryCostPlugin(limits: QueryLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return;
          const coerced = getVariableValues(
            schema,
            operation.variableDefinitions ?? [],
            request.variables ?? {},
          );
          // Variables that don't fit their types: execution refuses them and runs nothing.
          if (coerced.errors) return;
          const { total, perItem } = operationCost(
            schema,
            document,
            operation,
            coerced.coerced,
            limits,
          );
          if (total > limits.queryCost) throw costError(limits.queryCost, total);
          contextValue.cost = new CostMeter(limits.queryCost, total, perItem);
        },
      };
    },
  };
}
