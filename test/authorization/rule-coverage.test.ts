import 'reflect-metadata';
import {
  execute,
  extendSchema,
  GraphQLObjectType,
  isObjectType,
  parse,
  type GraphQLSchema,
} from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { describeOperation } from '../../src/permissions/describe';
import { OPERATIONS, permissionsShield, ruleMap } from '../../src/permissions/rule-map';
import { buildBareSchema } from '../../src/schema';

/**
 * Default deny, checked statically: every root field and every object type of the schema must be
 * named in the rule map. The shield's fallback (deny) would refuse a forgotten field, but a
 * forgotten field is a bug either way: someone added an operation without deciding who may call it.
 */

type RuleTree = Record<string, unknown>;
const tree = ruleMap as unknown as RuleTree;

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildBareSchema();
});

/** Object types of the schema, without GraphQL's own introspection types. */
function objectTypes(s: GraphQLSchema): GraphQLObjectType[] {
  return Object.values(s.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'),
  );
}

/** A field map in the rule tree (`{ field: rule }`), as opposed to one rule for the whole type. */
function fieldMapOf(entry: unknown): RuleTree | null {
  // A rule is a class instance (Rule, RuleAnd, ...); a field map is a plain object.
  return entry !== null &&
    typeof entry === 'object' &&
    Object.getPrototypeOf(entry) === Object.prototype
    ? (entry as RuleTree)
    : null;
}

function rootFieldsWithoutRule(typeName: 'Query' | 'Mutation'): string[] {
  const type = typeName === 'Query' ? schema.getQueryType() : schema.getMutationType();
  if (!type) return [];
  const rules = fieldMapOf(tree[typeName]);
  if (!rules)
    throw new Error(`ruleMap.${typeName} must name each field, not give one rule to all of them`);
  // '*' would be a blanket rule: root fields must each be decided on their own.
  return Object.keys(type.getFields()).filter(
    (field) => !Object.prototype.hasOwnProperty.call(rules, field) || rules[field] == null,
  );
}

describe('rule coverage (default deny)', () => {
  it('the schema has the Query and Mutation fields this test is about', () => {
    expect(schema.getQueryType()).toBeTruthy();
    expect(schema.getMutationType()).toBeTruthy();
    // A sanity check that the walk below sees something.
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(
      expect.arrayContaining(['viewer', 'me', 'teams', 'team']),
    );
  });

  it('every Query field has an explicit rule', () => {
    expect(rootFieldsWithoutRule('Query')).toEqual([]);
  });

  it('every Mutation field has an explicit rule', () => {
    expect(rootFieldsWithoutRule('Mutation')).toEqual([]);
  });

  it('root types have no blanket "*" rule', () => {
    expect(Object.keys(fieldMapOf(tree.Query) ?? {})).not.toContain('*');
    expect(Object.keys(fieldMapOf(tree.Mutation) ?? {})).not.toContain('*');
  });

  it('every object type has an entry, and a field map covers each field (by name or "*")', () => {
    const missingTypes: string[] = [];
    const missingFields: string[] = [];
    for (const type of objectTypes(schema)) {
      const entry = tree[type.name];
      if (entry == null) {
        missingTypes.push(type.name);
        continue;
      }
      const fields = fieldMapOf(entry);
      if (!fields || type.name === 'Query' || type.name === 'Mutation') continue;
      if (fields['*'] != null) continue;
      for (const field of Object.keys(type.getFields())) {
        if (fields[field] == null) missingFields.push(`${type.name}.${field}`);
      }
    }
    expect(missingTypes).toEqual([]);
    expect(missingFields).toEqual([]);
  });

  it('the rule map names no type or field that the schema lacks (no stale or misspelt rules)', () => {
    const stale: string[] = [];
    for (const [typeName, entry] of Object.entries(tree)) {
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type)) {
        stale.push(typeName);
        continue;
      }
      const fields = fieldMapOf(entry);
      if (!fields) continue;
      for (const field of Object.keys(fields)) {
        if (field !== '*' && !(field in type.getFields())) stale.push(`${typeName}.${field}`);
      }
    }
    expect(stale).toEqual([]);
  });

  it("every operation's documentation says who may call it, in the rule map's own words", () => {
    const undocumented: string[] = [];
    for (const type of [schema.getQueryType()!, schema.getMutationType()!]) {
      const rows = OPERATIONS[type.name as 'Query' | 'Mutation'] as Record<
        string,
        Parameters<typeof describeOperation>[0]
      >;
      for (const field of Object.values(type.getFields())) {
        if (!field.description?.endsWith(`Who may call it: ${describeOperation(rows[field.name])}`))
          undocumented.push(`${type.name}.${field.name}`);
      }
    }
    expect(undocumented).toEqual([]);
    expect(describeOperation(OPERATIONS.Mutation.regenerateApiKeySecret)).toMatch(
      /apiKeys:manage.*apiKeys:create.*every permission of this API/,
    );
  });

  it('guards only where a rule decides: fields open to all are left unwrapped, rules and unnamed fields are guarded', () => {
    const extended = extendSchema(
      schema,
      parse(
        `type UnmappedSecret { value: String } extend type Query { unmappedObject: UnmappedSecret }`,
      ),
    );
    const guarded = permissionsShield(extended) as Record<string, Record<string, unknown>>;
    const has = (type: string, field: string) => Boolean(guarded[type]?.[field]);
    // open: no middleware on the fields a page of keys or events is made of
    expect(has('ApiKey', 'name')).toBe(false);
    expect(has('ApiKey', 'secretLast4')).toBe(false);
    expect(guarded.AuditEvent).toBeUndefined();
    expect(guarded.User).toBeUndefined();
    // decided by a rule
    expect(has('ApiKey', 'owner')).toBe(true);
    expect(has('ApiKey', 'usage')).toBe(true);
    expect(has('Team', 'members')).toBe(true);
    expect(has('Team', 'name')).toBe(true); // the type's '*' rule
    expect(has('Query', 'viewer')).toBe(true); // every root field, even those open to anyone
    expect(has('Mutation', 'verifyApiCredentials')).toBe(true);
    // named nowhere: deny
    expect(has('Query', 'unmappedObject')).toBe(true);
    expect(has('UnmappedSecret', 'value')).toBe(true);
  });

  it('a field without a rule is refused with FORBIDDEN (the fallback is deny)', async () => {
    // Add a root field and an object type that the rule map does not know, then run the shield.
    const extended = extendSchema(
      schema,
      parse(`
        type UnmappedSecret { value: String }
        extend type Query { unmappedField: String unmappedObject: UnmappedSecret }
      `),
    );
    const guarded = applyMiddleware(extended, permissionsShield(extended));
    const result = await execute({
      schema: guarded,
      document: parse('{ unmappedField }'),
      rootValue: { unmappedField: 'leaked' },
      contextValue: {},
    });
    expect(result.data?.unmappedField ?? null).toBeNull();
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
