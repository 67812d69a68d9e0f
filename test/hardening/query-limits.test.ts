import { Lexer, Source, TokenKind } from 'graphql';
import { createTeam, PASSWORD, signUp, uniqueEmail } from '../helpers/factories';
import { postGraphQL, type GraphQLAnswer } from '../helpers/graphql';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Query limits: every limit on the shape of a document refuses it before anything runs,
 * with a GraphQL error that names the limit and its figure, and without a stack trace. Each
 * figure is the default (depth 10, aliases 15, tokens 2,000, cost 5,000, directives 10) and each
 * can be changed through its environment variable.
 */

type Answer = GraphQLAnswer<unknown>;

/** POST `body` (a string as it is, anything else as JSON) to /graphql. */
const post = <TData = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
) => postGraphQL<TData>(url, typeof body === 'string' ? body : JSON.stringify(body), { headers });

const query = <TData = Record<string, unknown>>(
  url: string,
  q: string,
  headers: Record<string, string> = {},
) => post<TData>(url, { query: q }, headers);

/** No stack, no exception object, no source path in an error answer. */
function expectNoInternals(answer: Answer): void {
  for (const error of answer.errors ?? []) {
    expect(error.extensions?.stacktrace).toBeUndefined();
    expect(error.extensions?.exception).toBeUndefined();
  }
  expect(answer.text).not.toMatch(/\n\s+at |node_modules|\/src\/|\.ts:\d+/);
}

/** The document was refused before it ran, by the named limit. */
function expectLimit(answer: Answer, limit: string, maximum: number, found?: number): void {
  expect(answer.status).toBe(400);
  expect(answer.data).toBeUndefined();
  const error = answer.errors?.find((e) => e.extensions?.limit === limit);
  if (!error) throw new Error(`not refused by the ${limit} limit: ${answer.text}`);
  expect(error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(error.extensions?.maximum).toBe(maximum);
  expect(error.message).toContain(limit);
  expect(error.message).toContain(`maximum of ${maximum}`);
  if (found !== undefined) expect(error.message).toContain(`${found} is more than`);
  expectNoInternals(answer);
}

/** Not refused by any shape limit (it may still fail for other reasons, e.g. unknown fields). */
function expectNoLimit(answer: Answer): void {
  const limited = (answer.errors ?? []).filter(
    (e) => e.extensions?.limit || /limit exceeded|more tha[nt] \d+ tokens/i.test(e.message),
  );
  expect(limited).toEqual([]);
}

/** `{ f1 { f2 { ... fn } } }`: n levels of (unknown) fields, for the depth rule only. */
function nested(n: number): string {
  let doc = 'leaf';
  for (let i = n - 1; i >= 1; i--) doc = `f${i} { ${doc} }`;
  return `{ ${doc} }`;
}

function countTokens(doc: string): number {
  const lexer = new Lexer(new Source(doc));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/**
 * A real query of exactly n tokens: a team's audit log filtered by a long list of actions. One
 * event a page (first: 1), so that it costs 3 and passes MAX_QUERY_COST=20 (the default page of
 * 50 would cost 101).
 */
function tokensOfAuditFilter(teamId: string, n: number): string {
  const doc = (k: number) =>
    `query($a: [String!] = [${Array(k).fill('"apiKey.revoked"').join(' ')}]) { auditEvents(teamId: "${teamId}", filter: { actions: $a }, first: 1) { edges { cursor } } }`;
  const fixed = countTokens(doc(0));
  const result = doc(n - fixed);
  expect(countTokens(result)).toBe(n);
  return result;
}

/** `{ viewer { type @include(if: true) ×n } }`: n directives. */
function directives(n: number): string {
  return `{ viewer { ${Array(n).fill('type @include(if: true)').join(' ')} } }`;
}

/** n aliased viewer fields. */
function aliases(n: number): string {
  return `{ ${Array.from({ length: n }, (_, i) => `v${i}: viewer { type }`).join(' ')} }`;
}

/**
 * A team's audit log, one page of `first` events with 19 fields each (cursor, node and its 17),
 * plus viewer { type }: cost = 1 + first × 19 + 2. first 263 costs exactly 5,000.
 */
function auditPage(teamId: string, first: number): string {
  return `{ viewer { type } auditEvents(teamId: "${teamId}", first: ${first}) { edges { cursor node {
    id occurredAt teamId action outcome actor { type userId apiKeyId label } targetType targetId ip userAgent requestId metadata } } } }`;
}

let t: TestServer;
let tight: TestServer;
beforeAll(async () => {
  [t, tight] = await Promise.all([
    startTestServer(),
    startTestServer({
      MAX_QUERY_DEPTH: '3',
      MAX_QUERY_ALIASES: '2',
      MAX_QUERY_TOKENS: '40',
      MAX_QUERY_COST: '20',
      MAX_QUERY_DIRECTIVES: '1',
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.close(), tight?.close()]);
});

describe('query limits, defaults', () => {
  it('refuses depth 11 when the limit is 10, and lets depth 10 through', async () => {
    expect(t.config.limits.queryDepth).toBe(10);
    expectLimit(await query(t.url, nested(11)), 'depth', 10, 11);
    expectNoLimit(await query(t.url, nested(10)));
    // the deepest real selection of the schema (8 levels) runs
    const user = await signUp(t, 'depth');
    const deep = await query(
      t.url,
      `{ viewer { user { id } } teams { members { grants { grantedBy { id } } role { name } } } }`,
      user.headers,
    );
    expect(deep.status).toBe(200);
    expect(deep.errors).toBeUndefined();
  });

  it('counts depth through fragments and inline fragments', async () => {
    const doc = `query { ...A } fragment A on Query { f1 { ... on X { f2 { ...B } } } } fragment B on X { f3 { f4 { f5 { f6 { f7 { f8 { f9 { f10 { f11 } } } } } } } } }`;
    expectLimit(await query(t.url, doc), 'depth', 10, 11);
  });

  it('refuses 16 aliases when the limit is 15, and answers 15', async () => {
    expect(t.config.limits.queryAliases).toBe(15);
    expectLimit(await query(t.url, aliases(16)), 'aliases', 15, 16);
    const ok = await query(t.url, aliases(15));
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.data!)).toHaveLength(15);
  });

  it('counts aliases of introspection fields too: refuses 16 aliased __schema fields (15 answer 360 KB; 90 would answer 2 MB)', async () => {
    const one = (i: number) =>
      `a${i}: __schema { types { name description fields { name description args { name description } } } }`;
    const many = (n: number) => `{ ${Array.from({ length: n }, (_, i) => one(i)).join(' ')} }`;
    expectLimit(await query(t.url, many(16)), 'aliases', 15, 16);
    expectLimit(await query(t.url, many(90)), 'aliases', 15, 90);
    const ok = await query(t.url, many(15));
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.data!)).toHaveLength(15);
  });

  it('refuses 2,001 tokens when the limit is 2,000, and answers 2,000', async () => {
    expect(t.config.limits.queryTokens).toBe(2000);
    const owner = await signUp(t, 'tokens');
    const team = await createTeam(t, owner, 'Tokens');
    const refused = await query(t.url, tokensOfAuditFilter(team.id, 2001), owner.headers);
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors![0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    // graphql-js says "more that": match either spelling
    expect(refused.errors![0].message).toMatch(/Document contains more tha[nt] 2000 tokens/);
    expectNoInternals(refused);
    const ok = await query(t.url, tokensOfAuditFilter(team.id, 2000), owner.headers);
    // parsed, validated and run: the resolver itself answers (it takes at most 50 actions)
    expect(ok.status).toBe(200);
    expect(ok.errors).toHaveLength(1);
    expect(ok.errors![0]).toMatchObject({
      path: ['auditEvents'],
      extensions: { code: 'BAD_USER_INPUT', field: 'actions' },
    });
  });

  it('refuses cost 5,019 when the limit is 5,000, and answers cost 5,000', async () => {
    expect(t.config.limits.queryCost).toBe(5000);
    const owner = await signUp(t, 'cost');
    const team = await createTeam(t, owner, 'Cost');
    expectLimit(await query(t.url, auditPage(team.id, 264), owner.headers), 'cost', 5000, 5019);
    const ok = await query<{ auditEvents: { edges: unknown[] } }>(
      t.url,
      auditPage(team.id, 263),
      owner.headers,
    );
    expect(ok.status).toBe(200);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.auditEvents.edges.length).toBeGreaterThan(0);
  });

  it('refuses a fragment bomb (2^150 fields in 2,000 tokens) on cost within 3 s (a bomb that got through would not end)', async () => {
    const frags = ['fragment F0 on Viewer { type }'];
    for (let i = 1; i <= 150; i++)
      frags.push(`fragment F${i} on Viewer { ...F${i - 1} ...F${i - 1} }`);
    const started = Date.now();
    const answer = await query(t.url, `query { viewer { ...F150 } } ${frags.join(' ')}`);
    expect(Date.now() - started).toBeLessThan(3_000);
    expectLimit(answer, 'cost', 5000);
    // and the server is still quick for everyone else
    const after = Date.now();
    expect((await query(t.url, '{ viewer { type } }')).status).toBe(200);
    expect(Date.now() - after).toBeLessThan(1_000);
  });

  it('refuses 11 directives when the limit is 10, and answers 10', async () => {
    expect(t.config.limits.queryDirectives).toBe(10);
    expectLimit(await query(t.url, directives(11)), 'directives', 10, 11);
    const ok = await query(t.url, directives(10));
    expect(ok.status).toBe(200);
    expect(ok.data).toEqual({ viewer: { type: 'ANONYMOUS' } });
  });

  it('refuses recursive fragments (A -> B -> A) without running them', async () => {
    const answer = await query(
      t.url,
      `query { viewer { ...A } } fragment A on Viewer { type ...B } fragment B on Viewer { type ...A }`,
    );
    expect(answer.status).toBe(400);
    expect(answer.data).toBeUndefined();
    expect(answer.errors!.map((e) => e.extensions?.code)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(answer.errors!.map((e) => e.message).join('\n')).toMatch(
      /Cannot spread fragment "A" within itself/,
    );
    expectNoInternals(answer);
    const self = await query(t.url, `query { viewer { ...S } } fragment S on Viewer { type ...S }`);
    expect(self.status).toBe(400);
    expect(self.errors![0].message).toMatch(/Cannot spread fragment "S" within itself/);
  });
});

describe('query limits, configured through the environment', () => {
  it('refuses depth 4 with MAX_QUERY_DEPTH=3, and answers depth 3', async () => {
    expect(tight.config.limits.queryDepth).toBe(3);
    const user = await signUp(t, 'tight');
    expectLimit(
      await query(tight.url, `{ teams { members { user { id } } } }`, user.headers),
      'depth',
      3,
      4,
    );
    const ok = await query<{ viewer: { user: { id: string } } }>(
      tight.url,
      `{ viewer { user { id } } }`,
      user.headers,
    );
    expect(ok.status).toBe(200);
    expect(ok.data!.viewer.user.id).toBe(user.id);
    expectLimit(await query(tight.url, nested(4)), 'depth', 3, 4);
    expectNoLimit(await query(tight.url, nested(3)));
  });

  it('refuses 3 aliases with MAX_QUERY_ALIASES=2, and answers 2', async () => {
    expectLimit(await query(tight.url, aliases(3)), 'aliases', 2, 3);
    expect((await query(tight.url, aliases(2))).status).toBe(200);
  });

  it('refuses 41 tokens with MAX_QUERY_TOKENS=40, and answers 40', async () => {
    const owner = await signUp(t, 'tight-tokens');
    const team = await createTeam(t, owner, 'Tight tokens');
    const refused = await query(tight.url, tokensOfAuditFilter(team.id, 41), owner.headers);
    expect(refused.status).toBe(400);
    expect(refused.errors![0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(refused.errors![0].message).toMatch(/more tha[nt] 40 tokens/);
    const ok = await query<{ auditEvents: { edges: unknown[] } }>(
      tight.url,
      tokensOfAuditFilter(team.id, 40),
      owner.headers,
    );
    expect(ok.status).toBe(200);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.auditEvents.edges).toEqual([]);
  });

  it('refuses cost 21 with MAX_QUERY_COST=20, and answers cost 20', async () => {
    // apiKeys costs 1, and its totalCount once per key of the page asked for
    const cost = (first: number) =>
      `{ apiKeys(teamId: "00000000-0000-4000-8000-000000000000", first: ${first}) { totalCount } }`;
    expectLimit(await query(tight.url, cost(20)), 'cost', 20, 21);
    const ok = await query(tight.url, cost(19));
    expectNoLimit(ok);
    expect(ok.status).toBe(200); // it runs: the anonymous caller is then refused by the permission rules
    expect(ok.errors![0].extensions?.code).toMatch(/FORBIDDEN|UNAUTHENTICATED|NOT_FOUND/);
  });

  it('refuses 2 directives with MAX_QUERY_DIRECTIVES=1, and answers 1', async () => {
    expectLimit(await query(tight.url, directives(2)), 'directives', 1, 2);
    expect((await query(tight.url, directives(1))).status).toBe(200);
  });

  it('refuses a bad limit value at start-up, naming the variable', async () => {
    await expect(startTestServer({ MAX_QUERY_DEPTH: 'ten' })).rejects.toThrow(
      'MAX_QUERY_DEPTH must be a whole number',
    );
    await expect(startTestServer({ MAX_QUERY_ALIASES: '0' })).rejects.toThrow(
      /MAX_QUERY_ALIASES must be between 1 and/,
    );
  });
});

describe('operation types', () => {
  it('refuses a subscription (the schema has none) with 400 GRAPHQL_VALIDATION_FAILED, not an internal error', async () => {
    const answer = await query(t.url, `subscription { viewer { type } }`);
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([
      {
        message: 'This service does not support subscription operations',
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
  });
});

describe('HTTP transport', () => {
  it('refuses a batched request (JSON array of 2 operations) with 400 and runs none of them', async () => {
    const email = uniqueEmail('batched');
    const signUpOp = {
      query: `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, name: "b") { token } }`,
      variables: { e: email, p: PASSWORD },
    };
    const answer = await post(t.url, [signUpOp, { query: '{ viewer { type } }' }]);
    expect(answer.status).toBe(400);
    expect(answer.errors![0].extensions?.code).toBe('BAD_REQUEST');
    expect(answer.errors![0].message).toMatch(/batching/i);
    expectNoInternals(answer);
    const users = await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [email]);
    expect(users).toHaveLength(0);
  });

  it('prevents CSRF: a GET without apollo-require-preflight gets 400, with it 200', async () => {
    const url = `${t.url}/graphql?query=${encodeURIComponent('{ viewer { type } }')}`;
    const plain = await fetch(url);
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(await preflighted.json()).toEqual({ data: { viewer: { type: 'ANONYMOUS' } } });
  });

  it('prevents CSRF: a simple text/plain POST of a mutation gets 400 and does not run', async () => {
    const email = uniqueEmail('csrf');
    const body = JSON.stringify({
      query: `mutation { signUp(email: "${email}", password: "${PASSWORD}", name: "c") { token } }`,
    });
    const answer = await post(t.url, body, { 'content-type': 'text/plain' });
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/Cross-Site Request Forgery/);
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const other = await post(t.url, body, { 'content-type': type });
      expect(other.status).toBeGreaterThanOrEqual(400);
      expect(other.status).toBeLessThan(500);
    }
    expect(await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [email])).toHaveLength(
      0,
    );
  });
});

describe('schema discovery', () => {
  let prod: TestServer;
  beforeAll(async () => {
    prod = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => prod?.close());

  const introspection = `{ __schema { queryType { name } types { name } } }`;

  it('turns introspection off when NODE_ENV=production', async () => {
    expect(prod.config.nodeEnv).toBe('production');
    const answer = await query(prod.url, introspection);
    expect(answer.status).toBe(400);
    expect(answer.data).toBeUndefined();
    expect(answer.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.errors![0].message).toMatch(/introspection is not allowed/i);
    expectNoInternals(answer);
    const type = await query(prod.url, `{ __type(name: "Mutation") { fields { name } } }`);
    expect(type.status).toBe(400);
    expect(type.text).not.toContain('createApiKey');
  });

  it('keeps introspection on outside production (NODE_ENV=test)', async () => {
    const answer = await query<{ __schema: { queryType: { name: string } } }>(t.url, introspection);
    expect(answer.status).toBe(200);
    expect(answer.data!.__schema.queryType.name).toBe('Query');
  });

  it('gives no "Did you mean" field suggestions when NODE_ENV=production', async () => {
    const answer = await query(prod.url, `{ viewr { type } me { emial } }`);
    expect(answer.status).toBe(400);
    expect(answer.errors?.length).toBeGreaterThanOrEqual(1);
    expect(answer.text).not.toMatch(/Did you mean/);
    expect(answer.text).not.toContain('"viewer"');
    expect(answer.text).not.toContain('"email"');
    expectNoInternals(answer);
    const argument = await query(prod.url, `{ apiKeys(teamI: "x") { totalCount } }`);
    expect(argument.text).not.toMatch(/Did you mean/);
  });

  it('gives field suggestions outside production (NODE_ENV=test)', async () => {
    const answer = await query(t.url, `{ viewr { type } }`);
    expect(answer.status).toBe(400);
    expect(answer.errors![0].message).toMatch(/Did you mean "viewer"\?/);
  });

  it('still refuses depth 11 in production, with no stack trace', async () => {
    expectLimit(await query(prod.url, nested(11)), 'depth', 10, 11);
  });
});
