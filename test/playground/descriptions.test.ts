import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/**
 * The docs explorer of the playground (and every generated client) shows these descriptions:
 * each type, field, argument, enum value and input field of schema.graphql must have one.
 *
 * Exempt: GraphQL's built-in scalars and introspection types, and the root types Query and
 * Mutation themselves (TypeGraphQL builds them with no way to describe them; every field and
 * argument on them is still checked).
 */
function missingDescriptions(schema: GraphQLSchema): string[] {
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
      Boolean,
    ) as GraphQLNamedType[],
  );
  const described = (d: string | null | undefined) => typeof d === 'string' && d.trim().length > 0;
  const missing: string[] = [];

  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (!roots.has(type) && !described(type.description)) missing.push(`type ${type.name}`);

    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!described(field.description)) missing.push(`field ${type.name}.${field.name}`);
        for (const arg of field.args) {
          if (!described(arg.description))
            missing.push(`argument ${type.name}.${field.name}(${arg.name})`);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!described(field.description)) missing.push(`input field ${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (!described(value.description)) missing.push(`enum value ${type.name}.${value.name}`);
      }
    } else if (isUnionType(type)) {
      // a union has no members of its own to describe
    }
  }
  return missing.sort();
}

describe('schema.graphql is described throughout', () => {
  const schema = buildSchema(
    readFileSync(path.resolve(__dirname, '..', '..', 'schema.graphql'), 'utf8'),
  );

  test('every type, field, argument, enum value and input field has a description', () => {
    const missing = missingDescriptions(schema);
    if (missing.length) {
      console.log(
        `Missing descriptions (add description: to the TypeGraphQL decorators, then npm run schema):\n  ${missing.join('\n  ')}`,
      );
    }
    expect(missing).toEqual([]);
  });

  test('the check itself notices a missing description', () => {
    const bare = buildSchema(`
      """described"""
      type Query { """described""" a(x: Int): B }
      type B { c: Int }
      enum E { """described""" V W }
      """described"""
      input I { f: Int }
      scalar S
    `);
    expect(missingDescriptions(bare)).toEqual([
      'argument Query.a(x)',
      'enum value E.W',
      'field B.c',
      'input field I.f',
      'type B',
      'type E',
      'type S',
    ]);
  });

  test('the custom scalars come described from graphql-scalars', () => {
    for (const name of ['DateTimeISO', 'JSONObject']) {
      const type = schema.getType(name);
      if (type) expect(type.description?.length ?? 0).toBeGreaterThan(10);
    }
  });
});
