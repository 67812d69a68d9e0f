import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config';

export type QueryLimits = Config['limits'];

export function limitError(
  what: string,
  limit: number,
  found: number,
  message?: string,
): GraphQLError {
  return new GraphQLError(
    message ?? `Query ${what} limit exceeded: ${found} is more than the maximum of ${limit}`,
    {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: what, maximum: limit },
    },
  );
}

/** A document may walk one audit chain: each walk has its own rule (one per team at a time, in batches). */
const MAX_CHAIN_WALKS = 1;
const CHAIN_WALK_FIELDS = new Set(['verifyAuditChain']);

/**
 * How many selections one walk may visit. Fragments are entered once per spread, so a few
 * hundred tokens of fragments that spread the one before twice ("fragment bomb") expand to 2^n
 * fields: unbounded, walking them would take the server minutes. Every field costs at least 1,
 * so a document whose walk runs out of this budget is over the cost limit anyway.
 */
export interface Budget {
  left: number;
}

export function budgetFor(limits: QueryLimits): Budget {
  return { left: limits.queryCost * 10 + 1_000 };
}

/** What a walk needs of the document and the schema. */
export interface WalkScope {
  schema: GraphQLSchema;
  fragment(name: string): FragmentDefinitionNode | null | undefined;
}

/** One field met by a walk: where it is, its definition (when the schema has it) and the multiplier above it. */
export interface FieldVisit {
  field: FieldNode;
  definition: GraphQLField<unknown, unknown> | undefined;
  parentType: GraphQLCompositeType | null;
  depth: number;
  multiplier: number;
}

export interface WalkOptions {
  budget: Budget;
  /** count introspection fields too (aliases of __schema do count) */
  withIntrospection?: boolean;
  /** called once the field's selections were walked */
  leave?(visit: FieldVisit): void;
}

function fieldOf(
  parentType: GraphQLCompositeType | null,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  return parentType && (isObjectType(parentType) || isInterfaceType(parentType))
    ? parentType.getFields()[name]
    : undefined;
}

function typeNamed(
  scope: WalkScope,
  name: string | undefined,
  fallback: GraphQLCompositeType | null,
): GraphQLCompositeType | null {
  if (!name) return fallback;
  const type = scope.schema.getType(name);
  return type && isCompositeType(type) ? type : null;
}

/**
 * Walk an operation's selections, entering fragments (each fragment once per path), within the
 * budget. `visit` answers the multiplier of what is below the field.
 */
export function walk(
  scope: WalkScope,
  selectionSet: SelectionSetNode,
  parentType: GraphQLCompositeType | null,
  visit: (v: FieldVisit) => number,
  options: WalkOptions,
  depth = 0,
  multiplier = 1,
  seen = new Set<string>(),
): void {
  for (const selection of selectionSet.selections) {
    if (--options.budget.left < 0) return;
    // Introspection (GraphiQL's schema query is 15 deep) is bounded by the schema, not by the
    // caller, and is off in production: it doesn't count against the depth and cost limits.
    // Aliases of it do count (withIntrospection): 90 aliased __schema fields in 2,000 tokens
    // would answer 2 MB.
    if (
      !options.withIntrospection &&
      selection.kind === Kind.FIELD &&
      selection.name.value.startsWith('__')
    )
      continue;
    if (selection.kind === Kind.FIELD) {
      const definition = fieldOf(parentType, selection.name.value);
      const v: FieldVisit = { field: selection, definition, parentType, depth, multiplier };
      const childMultiplier = visit(v);
      if (selection.selectionSet) {
        const childType = definition ? getNamedType(definition.type) : null;
        const next = childType && isCompositeType(childType) ? childType : null;
        walk(scope, selection.selectionSet, next, visit, options, depth + 1, childMultiplier, seen);
      }
      options.leave?.(v);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = typeNamed(scope, selection.typeCondition?.name.value, parentType);
      walk(scope, selection.selectionSet, type, visit, options, depth, multiplier, seen);
    } else {
      const name = selection.name.value;
      if (seen.has(name)) continue; // a cycle: NoFragmentCyclesRule reports it
      const fragment = scope.fragment(name);
      if (!fragment) continue;
      seen.add(name);
      walk(
        scope,
        fragment.selectionSet,
        typeNamed(scope, fragment.typeCondition.name.value, parentType),
        visit,
        options,
        depth,
        multiplier,
        seen,
      );
      seen.delete(name);
    }
  }
}

/** The root type an operation starts from. */
export function rootTypeOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): GraphQLCompositeType | null {
  const roots = {
    query: schema.getQueryType(),
    mutation: schema.getMutationType(),
    subscription: schema.getSubscriptionType(),
  };
  return roots[operation.operation] ?? null;
}

/**
 * Limits on the shape of a document, enforced at validation time, before anything runs. Each
 * refusal is a GRAPHQL_VALIDATION_FAILED error that names the limit and its value. Token count is
 * limited by the parser itself (parseOptions.maxTokens, apollo-options.ts); recursive fragments by
 * GraphQL's own NoFragmentCyclesRule. The cost limit needs the variables, known only once the
 * document is valid: query-cost.ts checks it then, with the same walk and the same error.
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    depthRule(limits),
    aliasRule(limits),
    chainWalkRule(limits),
    directiveRule(limits),
    knownOperationTypeRule,
  ];
}

/** A rule that checks each operation of the document on its own. */
function perOperation(
  check: (context: ValidationContext, operation: OperationDefinitionNode) => GraphQLError | null,
): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const error = check(context, operation);
      if (error) context.reportError(error);
    },
  });
}

/** Visits every field of the operation, fragments entered, within the budget of one walk. */
function walkOperation(
  limits: QueryLimits,
  context: ValidationContext,
  operation: OperationDefinitionNode,
  visit: (v: FieldVisit) => void,
  withIntrospection = false,
): void {
  const scope: WalkScope = {
    schema: context.getSchema(),
    fragment: (name) => context.getFragment(name),
  };
  walk(
    scope,
    operation.selectionSet,
    rootTypeOf(context.getSchema(), operation),
    (v) => (visit(v), v.multiplier),
    {
      budget: budgetFor(limits),
      withIntrospection,
    },
  );
}

function depthRule(limits: QueryLimits): ValidationRule {
  return perOperation((context, operation) => {
    let max = 0;
    walkOperation(limits, context, operation, (v) => (max = Math.max(max, v.depth + 1)));
    return max > limits.queryDepth ? limitError('depth', limits.queryDepth, max) : null;
  });
}

function aliasRule(limits: QueryLimits): ValidationRule {
  return perOperation((context, operation) => {
    let count = 0;
    walkOperation(limits, context, operation, (v) => (count += v.field.alias ? 1 : 0), true);
    return count > limits.queryAliases ? limitError('aliases', limits.queryAliases, count) : null;
  });
}

/** 15 aliased walks would be 15 walks at once: a document gets one (see ChainVerifier). */
function chainWalkRule(limits: QueryLimits): ValidationRule {
  return perOperation((context, operation) => {
    let count = 0;
    walkOperation(
      limits,
      context,
      operation,
      (v) => (count += v.depth === 0 && CHAIN_WALK_FIELDS.has(v.field.name.value) ? 1 : 0),
    );
    const message = `A document may check at most ${MAX_CHAIN_WALKS} audit chain (verifyAuditChain); this one asks for ${count}`;
    return count > MAX_CHAIN_WALKS
      ? limitError('chainWalks', MAX_CHAIN_WALKS, count, message)
      : null;
  });
}

/** Directives of the whole document, reported once. */
function directiveRule(limits: QueryLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
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
}

/**
 * graphql-js 16 lets `subscription { ... }` through validation although the schema has no
 * Subscription type; execution then fails like a bug would (an INTERNAL_SERVER_ERROR). Refuse
 * an operation type the schema lacks here, as graphql-js 17's KnownOperationTypesRule does.
 */
const knownOperationTypeRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(operation) {
    if (!rootTypeOf(context.getSchema(), operation)) {
      const message = `This service does not support ${operation.operation} operations`;
      context.reportError(
        new GraphQLError(message, {
          nodes: operation,
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      );
    }
  },
});
