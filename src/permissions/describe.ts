import type { GraphQLSchema } from 'graphql';
import { OPERATIONS } from './rule-map';
import { isPolicy, type Operation } from './rules';

/** Who may call an operation, in words, from its row of the rule map. */
export function describeOperation(operation: Operation): string {
  const who = {
    anyone: 'Anyone, signed in or not.',
    signedIn: 'A signed-in user or an API key.',
    person: 'A signed-in user (never an API key).',
    platformAdmin: 'A platform admin only.',
  }[operation.caller];
  const needs = operation.team?.needs;
  if (needs === undefined || operation.caller === 'platformAdmin') return who;
  if (isPolicy(needs)) return `${who} Needs ${needs.describe}.`;
  const anyOf: readonly string[] = typeof needs === 'string' ? [needs] : needs;
  const held = anyOf.length
    ? `Needs ${anyOf.join(' or ')} in the team`
    : 'Needs to be a member of the team';
  const keys = operation.caller === 'signedIn' ? ' (an API key: as a scope its owner holds)' : '';
  return `${who} ${held}${keys}.`;
}

/**
 * Appends "Who may call it" to the description of every Query and Mutation field, from the rule
 * map itself: the schema's documentation can't drift from what the server enforces, and the
 * resolvers don't repeat the rules in prose.
 */
export function documentAccess(schema: GraphQLSchema): GraphQLSchema {
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    if (!type) continue;
    const rows = OPERATIONS[type.name as 'Query' | 'Mutation'] as Record<string, Operation>;
    for (const field of Object.values(type.getFields())) {
      const operation = rows[field.name];
      if (!operation) continue;
      const base = field.description?.trim();
      field.description = `${base ? `${base}\n\n` : ''}Who may call it: ${describeOperation(operation)}`;
    }
  }
  return schema;
}
