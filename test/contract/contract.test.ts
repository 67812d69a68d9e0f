import { ChangeType, CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  Kind,
  parse,
  print,
  visit,
  lexicographicSortSchema,
  printSchema,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The public contract against what we serve: every type, field, argument and enum value it names
 * must exist with a compatible type, and argument defaults must be the same. Additions are
 * allowed. Checked for schema.graphql (the generated file that clients and the playground read)
 * and for the schema the running server answers introspection with; and schema.graphql must be
 * exactly what the server serves (not a stale copy).
 *
 * The contract lives beside the project (CONTRACT_DIR, by default ../shared): the base file plus
 * the additions of the areas this service has built, parsed together. A clone with nothing beside
 * it has no contract to compare with: the comparisons are skipped, saying why; CI sets
 * CONTRACT_DIR so they always run there.
 */
const CONTRACT_DIR = path.resolve(__dirname, '../..', process.env.CONTRACT_DIR ?? '../shared');
const CONTRACT_FILES = [
  'api-contract.graphql',
  'contract-additions/trust.graphql',
  'contract-additions/governance.graphql',
  'contract-additions/webhooks.graphql',
].map((file) => path.join(CONTRACT_DIR, file));
const SERVED_FILE = path.resolve(__dirname, '../../schema.graphql');
const contractPresent = existsSync(CONTRACT_FILES[0]);
// Named on purpose (CI does): then it must be there.
if (!contractPresent && process.env.CONTRACT_DIR)
  throw new Error(`CONTRACT_DIR=${process.env.CONTRACT_DIR} holds no api-contract.graphql`);
if (!contractPresent) {
  console.log(
    `contract test skipped: no contract at ${CONTRACT_FILES[0]} (set CONTRACT_DIR to the folder that holds api-contract.graphql)`,
  );
}
const withContract = contractPresent ? describe : describe.skip;

// Not BREAKING for graphql-inspector (a client keeps working), but the contract fixes them.
const ALSO_REFUSED = new Set<string>([
  ChangeType.FieldArgumentDefaultChanged,
  ChangeType.InputFieldDefaultValueChanged,
]);

async function violations(served: GraphQLSchema): Promise<string[]> {
  const contract = buildSchema(CONTRACT_FILES.map((file) => readFileSync(file, 'utf8')).join('\n'));
  const changes: Change[] = await diff(contract, served);
  return changes
    .filter((c) => c.criticality.level === CriticalityLevel.Breaking || ALSO_REFUSED.has(c.type))
    .map((c) => `${c.type}: ${c.message}${c.path ? ` (${c.path})` : ''}`)
    .sort();
}

let t: TestServer;
let live: GraphQLSchema;

beforeAll(async () => {
  // default limits: the standard introspection query (15 deep) must get through them
  t = await startTestServer();
  const res = await t.gql<IntrospectionQuery>(
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      inputValueDeprecation: true,
    }),
  );
  if (!res.data) throw new Error(`introspection failed: ${JSON.stringify(res.errors)}`);
  live = buildClientSchema(res.data);
});
afterAll(() => t.close());

describe('schema.graphql', () => {
  it('is exactly the schema the server serves (regenerate it with `npm run schema`)', () => {
    const file = buildSchema(readFileSync(SERVED_FILE, 'utf8'));
    expect(printSchema(lexicographicSortSchema(file))).toBe(
      printSchema(lexicographicSortSchema(live)),
    );
  });
});

withContract('public GraphQL contract', () => {
  it('the contract files are where the product keeps them', () => {
    for (const file of CONTRACT_FILES) expect(existsSync(file)).toBe(true);
    expect(readFileSync(CONTRACT_FILES[0], 'utf8')).toMatch(/type Query/);
  });

  it('schema.graphql holds every type, field, argument and enum value of the contract, compatibly', async () => {
    expect(await violations(buildSchema(readFileSync(SERVED_FILE, 'utf8')))).toEqual([]);
  });

  it('the running server serves every type, field, argument and enum value of the contract, compatibly', async () => {
    expect(await violations(live)).toEqual([]);
  });

  it('the checker itself catches a missing type, field, argument, enum value and a changed default', async () => {
    // Guard against a check that passes whatever it is given: damage the served schema on purpose.
    const damaged = visit(parse(readFileSync(SERVED_FILE, 'utf8')), {
      ObjectTypeDefinition(node) {
        if (node.name.value === 'PageInfo') return null;
        if (node.name.value === 'ApiKey')
          return { ...node, fields: node.fields?.filter((f) => f.name.value !== 'secretLast4') };
        return undefined;
      },
      FieldDefinition(node) {
        if (node.name.value === 'verifyApiCredentials')
          return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'clientIp') };
        return undefined;
      },
      EnumValueDefinition(node) {
        return node.name.value === 'RATE_LIMITED' ? null : undefined;
      },
      InputValueDefinition(node) {
        if (node.name.value === 'first' && node.defaultValue?.kind === Kind.INT)
          return { ...node, defaultValue: { kind: Kind.INT, value: '10' } };
        return undefined;
      },
    });
    // PageInfo is gone: keep the damaged SDL buildable by replacing its uses with a stand-in type
    const sdl = print(damaged).replace(/: PageInfo!/g, ': Boolean!');
    const found = (await violations(buildSchema(sdl))).join('\n');
    expect(found).toMatch(/PageInfo/);
    expect(found).toMatch(/ApiKey\.secretLast4/);
    expect(found).toMatch(/verifyApiCredentials\.clientIp/);
    expect(found).toMatch(/RATE_LIMITED/);
    expect(found).toMatch(new RegExp(`${ChangeType.FieldArgumentDefaultChanged}.*first`));
  });
});
