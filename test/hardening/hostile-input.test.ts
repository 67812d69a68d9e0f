import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildSchema, isEnumType, isInputObjectType, isObjectType } from 'graphql';
import { CreateRoleDocument } from '../clients/generated/graphql';
import type { AuditColumns } from '../../src/modules/audit/audit-fields';
import { createKey } from '../helpers/api-keys';
import { type SignedInUser, type TeamFixture } from '../helpers/factories';
import type { GraphQLErrorEntry } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, type HttpAnswer } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Hostile input, property-based: at least 2,000 generated requests of four kinds
 * (random GraphQL documents from the schema's own words plus garbage; random variables for
 * real operations: odd unicode, strings up to 100 KB, deep nesting, wrong types; malformed HTTP
 * bodies: bad JSON, wrong content types, empty bodies, huge JSON; hostile headers). Whatever
 * comes, the server never answers 5xx, never reports an INTERNAL_SERVER_ERROR, never shows a
 * stack trace or an `exception`, logs no unexpected error, and still serves a normal query at
 * the end.
 */

const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'));
const WORDS: string[] = (() => {
  const words = new Set<string>([
    'query',
    'mutation',
    'subscription',
    'fragment',
    'on',
    'true',
    'false',
    'null',
    '__typename',
    '__schema',
    '__type',
    'include',
    'skip',
    'if',
    'deprecated',
  ]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    words.add(type.name);
    if (isObjectType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        words.add(field.name);
        for (const arg of 'args' in field ? field.args : []) words.add(arg.name);
      }
    }
    if (isEnumType(type)) for (const value of type.getValues()) words.add(value.name);
  }
  return [...words];
})();
const ROOT_FIELDS = [
  ...Object.keys(schema.getQueryType()!.getFields()),
  ...Object.keys(schema.getMutationType()!.getFields()),
];

// ---------------------------------------------------------------------------------------------
// generators

/** odd strings: unicode of every plane, control characters, lone surrogates, RTL marks, nulls */
const oddString = fc.oneof(
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uDBFF\uDBFF', '\u0000\uD800'),
      fc.string({ maxLength: 10 }),
    )
    .map((parts) => parts.join('')),
  fc.fullUnicodeString({ maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uD800',
    '\uDFFF',
    '\u202E',
    '\uFEFF',
    '💥'.repeat(50),
    'a\u0000b',
    '%00',
    '../../etc/passwd',
    "'; DROP TABLE users; --",
    '${{7*7}}',
    '<script>alert(1)</script>',
    'emps_' + 'A'.repeat(49),
    'empk_' + 'z'.repeat(24),
    'NaN',
    '-0',
    '1e309',
  ),
);

/** a long string, up to ~100 KB, of one repeated odd character */
const hugeString = fc
  .tuple(fc.fullUnicode(), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([c, n]) => c.repeat(Math.max(1, Math.floor(n / c.length))));

/** deep nesting: [[[...]]] or {"a":{"a":...}} up to 3,000 levels */
const deep = fc.tuple(fc.boolean(), fc.integer({ min: 2, max: 3_000 })).map(([list, n]) => {
  let value: unknown = 'x';
  for (let i = 0; i < n; i++) value = list ? [value] : { a: value };
  return value;
});

const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: oddString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: deep },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null,
      true,
      0,
      -1,
      2 ** 31,
      2 ** 53 + 1,
      1.5,
      -1e308,
      [],
      {},
      [null],
      { teamId: null },
    ),
  },
  { weight: 1, arbitrary: fc.uuid() },
  {
    weight: 1,
    arbitrary: fc
      .date({ min: new Date(-8.64e15), max: new Date(8.64e15) })
      .map((d) => d.toISOString()),
  },
);

/** tokens of the GraphQL grammar, the schema's words, and garbage */
const token = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WORDS) },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '{',
      '}',
      '(',
      ')',
      ':',
      '!',
      '$',
      '@',
      '...',
      '[',
      ']',
      '=',
      ',',
      '|',
      '&',
    ),
  },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: oddString.map((s) => JSON.stringify(s)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"""',
      '"unterminated',
      '#comment\n',
      '\u0000',
      '\\u{D800}',
      '"\\uD800"',
      '0x1F',
      '1e',
      '.5',
    ),
  },
  { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 5 }) },
);
const garbageDocument = fc.array(token, { maxLength: 120 }).map((t) => t.join(' '));

/** a selection set of real field names, nested, with random arguments: gets past the parser */
const selection: fc.Memo<string> = fc.memo((n) =>
  fc
    .array(
      fc.tuple(
        fc.option(fc.constantFrom('a', 'b', 'x1'), { freq: 4 }),
        fc.constantFrom(...WORDS),
        fc.option(
          fc.array(
            fc.tuple(
              fc.constantFrom(...WORDS),
              fc.oneof(
                fc.integer().map(String),
                oddString.map((s) => JSON.stringify(s)),
                fc.constantFrom('$v', 'true', 'null', '[]', '{}', 'ACTIVE'),
              ),
            ),
            { maxLength: 3 },
          ),
          { freq: 2 },
        ),
        n > 1 ? fc.option(selection(n - 1), { freq: 2 }) : fc.constant(null),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map(
      (fields) =>
        `{ ${fields
          .map(
            ([alias, name, args, sub]) =>
              `${alias ? `${alias}: ` : ''}${name}${args && args.length ? `(${args.map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}${sub ? ` ${sub}` : ''}`,
          )
          .join(' ')} }`,
    ),
);
const structuredDocument = fc
  .tuple(
    fc.constantFrom(
      '',
      'query',
      'mutation',
      'query Q($v: String)',
      'mutation M($v: ID!)',
      'subscription',
    ),
    fc.constantFrom(...ROOT_FIELDS),
    selection(4),
  )
  .map(([head, root, sel]) => `${head} { ${root} ${sel} }`);

interface Request {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const json = (kind: string, payload: unknown, headers: Record<string, string> = {}): Request => ({
  kind,
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(payload),
});

let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let keyId: string;
let roleId: string;
const from = uniqueLoopback();
const serverLog: string[] = [];

/** real operations, each with a generator of hostile variables */
function operations(): fc.Arbitrary<Request>[] {
  const asOwner = () => owner.headers;
  const ops: {
    query: string;
    vars: fc.Arbitrary<Record<string, unknown>>;
    auth?: boolean;
    weight?: number;
  }[] = [
    {
      query: `mutation($k: String!, $s: String!, $r: [String!], $ip: String) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r, clientIp: $ip) { valid code } }`,
      vars: fc.record(
        {
          k: wrongValue,
          s: wrongValue,
          r: fc.oneof(wrongValue, fc.array(oddString, { maxLength: 80 })),
          ip: fc.oneof(wrongValue, fc.ipV4(), fc.ipV6()),
        },
        { requiredKeys: [] },
      ),
      weight: 3,
    },
    {
      query: `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
      vars: fc.record({
        i: fc.oneof(
          wrongValue,
          fc.record(
            {
              teamId: fc.oneof(fc.constant('TEAM'), wrongValue),
              name: fc.oneof(oddString, hugeString, wrongValue),
              description: fc.oneof(oddString, hugeString),
              scopes: fc.oneof(fc.array(oddString, { maxLength: 60 }), wrongValue),
              allowedIps: fc.oneof(
                fc.array(
                  fc.oneof(
                    oddString,
                    fc.ipV4(),
                    fc.ipV6(),
                    fc.constant('0.0.0.0/0'),
                    fc.constant('::/0'),
                    fc.constant('10.0.0.0/33'),
                  ),
                  { maxLength: 20 },
                ),
                wrongValue,
              ),
              expiresAt: wrongValue,
            },
            { requiredKeys: [] },
          ),
        ),
      }),
      auth: true,
      weight: 3,
    },
    {
      query: `query($t: ID!, $f: AuditEventFilter, $first: Int, $after: String) { auditEvents(teamId: $t, filter: $f, first: $first, after: $after) { edges { cursor node { id action } } pageInfo { hasNextPage } } }`,
      vars: fc.record(
        {
          t: fc.oneof(fc.constant('TEAM'), wrongValue),
          f: fc.oneof(
            wrongValue,
            fc.record(
              {
                actions: fc.array(oddString, { maxLength: 60 }),
                from: wrongValue,
                to: wrongValue,
                outcome: wrongValue,
                actorUserId: wrongValue,
                apiKeyId: wrongValue,
                targetId: wrongValue,
              },
              { requiredKeys: [] },
            ),
          ),
          first: fc.oneof(fc.integer(), wrongValue),
          after: fc.oneof(oddString, fc.base64String({ maxLength: 200 }), wrongValue),
        },
        { requiredKeys: [] },
      ),
      auth: true,
      weight: 3,
    },
    {
      query: `mutation($t: ID!, $n: String!, $p: [String!]!, $d: String) { createRole(teamId: $t, name: $n, permissions: $p, description: $d) { id } }`,
      vars: fc.record(
        {
          t: fc.oneof(fc.constant('TEAM'), wrongValue),
          n: fc.oneof(oddString, hugeString),
          p: fc.oneof(fc.array(oddString, { maxLength: 40 }), wrongValue),
          d: fc.oneof(oddString, hugeString, wrongValue),
        },
        { requiredKeys: [] },
      ),
      auth: true,
      weight: 2,
    },
    {
      query: `mutation($id: ID!, $i: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $i) { id } }`,
      vars: fc.record({
        id: fc.oneof(fc.constant('KEY'), wrongValue),
        i: fc.oneof(
          wrongValue,
          fc.record(
            {
              name: oddString,
              scopes: fc.array(oddString),
              allowedIps: fc.array(oddString),
              expiresAt: wrongValue,
              description: hugeString,
            },
            { requiredKeys: [] },
          ),
        ),
      }),
      auth: true,
      weight: 2,
    },
    {
      query: `query($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { apiKey(id: $id) { id usage(from: $from, to: $to) { day count outcome } } }`,
      vars: fc.record({
        id: fc.oneof(fc.constant('KEY'), wrongValue),
        from: wrongValue,
        to: wrongValue,
      }),
      auth: true,
    },
    {
      query: `mutation($t: ID!, $e: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
      vars: fc.record({
        t: fc.oneof(fc.constant('TEAM'), wrongValue),
        e: fc.oneof(oddString, fc.emailAddress(), hugeString),
        r: fc.oneof(fc.constant('ROLE'), wrongValue),
      }),
      auth: true,
    },
    {
      query: `mutation($id: ID!, $n: String, $p: [String!]) { updateRole(id: $id, name: $n, permissions: $p) { id } }`,
      vars: fc.record(
        {
          id: fc.oneof(fc.constant('ROLE'), wrongValue),
          n: wrongValue,
          p: fc.oneof(fc.array(oddString), wrongValue),
        },
        { requiredKeys: [] },
      ),
      auth: true,
    },
    {
      query: `query($id: ID!) { team(id: $id) { id name members { user { email } } roles { name } viewerPermissions } }`,
      vars: fc.record({ id: fc.oneof(fc.constant('TEAM'), wrongValue) }),
      auth: true,
    },
    {
      // sign-in is argon2 work: a few
      query: `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
      vars: fc.record(
        {
          e: fc.oneof(oddString, fc.emailAddress(), hugeString, wrongValue),
          p: fc.oneof(oddString, hugeString, wrongValue),
        },
        { requiredKeys: [] },
      ),
      weight: 1,
    },
  ];
  // the real team, key and role ids, where the generators put placeholders (never deep inside)
  const substitute = (value: unknown, depth = 0): unknown => {
    if (value === 'TEAM') return team.id;
    if (value === 'KEY') return keyId;
    if (value === 'ROLE') return roleId;
    if (depth > 3) return value;
    if (Array.isArray(value)) return value.map((v) => substitute(v, depth + 1));
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, substitute(v, depth + 1)]),
      );
    return value;
  };
  return ops.map((op) =>
    fc.record({ vars: op.vars, named: fc.boolean() }).map(({ vars, named }) =>
      json(
        `variables:${op.query.slice(0, 40)}`,
        {
          query: op.query,
          variables: substitute(vars),
          ...(named ? { operationName: null } : {}),
        },
        op.auth ? asOwner() : {},
      ),
    ),
  );
}

function requests(): fc.Arbitrary<Request> {
  const documents = fc.oneof(garbageDocument, structuredDocument).chain((query) =>
    fc.oneof(
      fc.constant(json('document', { query })),
      fc.constant(json('document as owner', { query }, owner.headers)),
      fc.constant(json('document with variables', { query, variables: { v: 'x' } })),
      fc.constant<Request>({
        kind: 'document via GET',
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent(query)}`,
        headers: { 'apollo-require-preflight': 'true' },
      }),
    ),
  );
  const badBodies: fc.Arbitrary<Request> = fc.oneof(
    fc.string({ maxLength: 200 }).map((body) => ({
      kind: 'bad JSON',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: `{${body}`,
    })),
    fc.fullUnicodeString({ maxLength: 200 }).map((body) => ({
      kind: 'unicode body',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
    })),
    fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'text/html',
          'application/xml',
          'application/graphql',
          'multipart/form-data',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'application/json; charset=utf-16',
          'application/jsonx',
          '*/*',
          ';;;',
          'application/octet-stream',
        ),
        fc.constantFrom(
          '{"query":"{ viewer { type } }"}',
          'query=%7Bviewer%7Btype%7D%7D',
          '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--',
          '',
        ),
      )
      .map(([type, body]) => ({
        kind: `content-type ${type}`,
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': type },
        body,
      })),
    fc.constantFrom('application/json', '').map((type): Request => ({
      kind: 'empty body',
      method: 'POST',
      path: '/graphql',
      headers: type ? { 'content-type': type } : {},
      body: '',
    })),
    fc.jsonValue({ maxDepth: 4 }).map((value) => json('JSON of the wrong shape', value)),
    fc
      .record(
        {
          query: wrongValue,
          variables: wrongValue,
          operationName: wrongValue,
          extensions: wrongValue,
        },
        { requiredKeys: [] },
      )
      .map((payload) => json('fields of the wrong type', payload)),
    fc.constantFrom(
      json('persisted query, unknown hash', {
        extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
      }),
      json('persisted query, bad version', {
        extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } },
      }),
      json('persisted query, hash mismatch', {
        query: '{ viewer { type } }',
        extensions: { persistedQuery: { version: 1, sha256Hash: '00'.repeat(32) } },
      }),
      json('batched', [{ query: '{ viewer { type } }' }, { query: '{ viewer { type } }' }]),
      json('subscription', { query: 'subscription { viewer { type } }' }),
      json(
        'incremental delivery',
        { query: '{ viewer { ... @defer { type } } }' },
        { accept: 'multipart/mixed; deferSpec=20220824' },
      ),
    ),
    fc.integer({ min: 200_000, max: 1_200_000 }).map((n) => ({
      kind: 'huge JSON',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { type } }', variables: { pad: 'p'.repeat(n) } }),
    })),
    fc.integer({ min: 1, max: 60_000 }).map((n) => ({
      kind: 'huge JSON array',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: `[${Array(n).fill('{}').join(',')}]`,
    })),
    fc.string({ maxLength: 300 }).map((q) => ({
      kind: 'GET garbage query string',
      method: 'GET',
      path: `/graphql?${encodeURI(q)}`,
      headers: { 'apollo-require-preflight': 'x' },
    })),
    fc
      .tuple(
        fc.constantFrom('variables', 'extensions', 'operationName'),
        fc.string({ maxLength: 100 }),
      )
      .map(([name, value]) => ({
        kind: `GET bad ${name}`,
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent('query($v: String) { viewer { type } }')}&${name}=${encodeURIComponent(value)}`,
        headers: { 'apollo-require-preflight': 'x' },
      })),
    fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS').map((method) => ({
      kind: `method ${method}`,
      method,
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })),
    fc.constant<Request>({ kind: 'method HEAD', method: 'HEAD', path: '/graphql', headers: {} }),
  );
  const hostileHeaders: fc.Arbitrary<Request> = fc
    .record(
      {
        authorization: fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
          fc.string({ maxLength: 100 }).map((s) => `Basic ${s}`),
          fc.string({ maxLength: 100 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
          fc
            .tuple(oddString, oddString)
            .map(([k, s]) => `Basic ${Buffer.from(`${k}:${s}`).toString('base64')}`),
          fc.constant(
            `Basic ${Buffer.from(`empk_${'a'.repeat(24)}:emps_${'b'.repeat(49)}`).toString('base64')}`,
          ),
          fc.constant(`Bearer emst_${'c'.repeat(43)}`),
        ),
        'x-api-key': oddString,
        'x-api-secret': oddString,
        'x-request-id': fc.string({ maxLength: 100 }),
        'x-forwarded-for': fc.oneof(fc.ipV4(), fc.string({ maxLength: 50 })),
        'apollo-require-preflight': fc.string({ maxLength: 10 }),
      },
      { requiredKeys: [] },
    )
    .chain((headers) =>
      fc.constantFrom(
        json('hostile headers', { query: '{ viewer { type } }' }, sanitize(headers)),
        {
          kind: 'hostile headers on authorize',
          method: 'GET',
          path: '/v1/authorize',
          headers: sanitize(headers),
        } as Request,
        {
          kind: 'hostile headers on export',
          method: 'GET',
          path: `/v1/audit/export?teamId=${team.id}`,
          headers: sanitize(headers),
        } as Request,
      ),
    );
  const otherRoutes: fc.Arbitrary<Request> = fc
    .tuple(
      fc.constantFrom(
        '/v1/audit/export',
        '/v1/authorize',
        '/metrics',
        '/readyz',
        '/healthz',
        '/graphql',
        '/v1/authorize/../metrics',
      ),
      fc.dictionary(
        fc.constantFrom(
          'teamId',
          'format',
          'from',
          'to',
          'outcome',
          'actions',
          'actorUserId',
          'apiKeyId',
          'targetId',
        ),
        fc.oneof(fc.string({ maxLength: 50 }), fc.constant('TEAM')),
      ),
    )
    .map(([route, query]) => ({
      kind: `query string on ${route}`,
      method: 'GET',
      path: `${route}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, v === 'TEAM' ? team.id : v])).toString()}`,
      headers: route === '/v1/audit/export' ? owner.headers : {},
    }));
  return fc.oneof(
    { weight: 6, arbitrary: documents },
    { weight: 6, arbitrary: fc.oneof(...operations()) },
    { weight: 5, arbitrary: badBodies },
    { weight: 2, arbitrary: hostileHeaders },
    { weight: 1, arbitrary: otherRoutes },
  );
}

/** header values Node's HTTP client can send at all (no CR/LF, latin1 only) */
function sanitize(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '?')]),
  );
}

// ---------------------------------------------------------------------------------------------

const seen = new Map<string, number>();
let sent = 0;

async function send(request: Request): Promise<HttpAnswer> {
  sent++;
  seen.set(request.kind.split(':')[0], (seen.get(request.kind.split(':')[0]) ?? 0) + 1);
  return httpRequest(`${t.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    localAddress: from,
  });
}

/** what must hold for every answer */
function check(request: Request, answer: HttpAnswer): void {
  const where = `${request.kind} ${request.method} ${request.path.slice(0, 120)} ${(request.body ?? '').slice(0, 300)}\n-> ${answer.status} ${answer.text.slice(0, 500)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${where}`);
  if (/(\n|\\n)\s+at |node_modules|\.ts:\d+:\d+|\/work\/|stacktrace|"exception"/.test(answer.text))
    throw new Error(`internals in the answer: ${where}`);
  if (
    /INTERNAL_SERVER_ERROR|Internal server error/i.test(
      request.path.startsWith('/metrics') ? '' : answer.text,
    )
  )
    throw new Error(`internal error: ${where}`);
  if (
    /^application\/json/.test(String(answer.headers['content-type'] ?? '')) &&
    request.method !== 'HEAD'
  ) {
    let body: { errors?: GraphQLErrorEntry[] } | null;
    try {
      body = JSON.parse(answer.text);
    } catch {
      throw new Error(`content-type JSON but not JSON: ${where}`);
    }
    for (const error of body?.errors ?? []) {
      if (error.extensions?.stacktrace || error.extensions?.exception)
        throw new Error(`stack trace: ${where}`);
    }
  }
}

beforeAll(async () => {
  const capture = new Writable({
    write(chunk, _encoding, done) {
      serverLog.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  ({
    t,
    owner,
    team,
    key: { id: keyId },
  } = await seed({ LOG_LEVEL: 'warn' }, { logStream: capture })
    .owner('hostile')
    .team('Hostile')
    .key('key', { scopes: ['team:read'] }));
  const role = await t.gql(
    CreateRoleDocument,
    { teamId: team.id, name: 'fuzzed', permissions: ['team:read'] },
    owner.headers,
  );
  roleId = role.data!.createRole.id;
});
afterAll(() => t?.close());

describe('hostile input', () => {
  it('answers 2,000+ generated hostile requests (8 at a time) without a 5xx, an internal error or a stack trace, in under 60 s', async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(requests(), { minLength: 8, maxLength: 8 }), async (batch) => {
        const answers = await Promise.all(batch.map((request) => send(request)));
        batch.forEach((request, i) => check(request, answers[i]));
      }),
      {
        numRuns: 260,
        seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31),
        verbose: 1,
        endOnFailure: true,
      },
    );
    const elapsed = Date.now() - started;
    expect(sent).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(60_000);
    // every kind of input was tried
    for (const kind of [
      'document',
      'variables',
      'bad JSON',
      'empty body',
      'huge JSON',
      'JSON of the wrong shape',
      'hostile headers',
    ]) {
      expect({ kind, tried: (seen.get(kind) ?? 0) > 0 }).toEqual({ kind, tried: true });
    }
    if (process.env.HOSTILE_STATS)
      console.log(`${sent} requests in ${elapsed} ms`, Object.fromEntries(seen));
  }, 120_000);

  it('logged no unexpected error while it lasted, and counted no operation as an internal error', async () => {
    expect(serverLog.filter((line) => /unexpected error/.test(line))).toEqual([]);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(
      metrics.split('\n').filter((line) => /INTERNAL_SERVER_ERROR|status="5\d\d"/.test(line)),
    ).toEqual([]);
  });

  it('refuses NUL and lone surrogates in every free-text input (names, descriptions, emails) with BAD_USER_INPUT, never an internal error', async () => {
    const cases: [string, string, (v: string) => Record<string, unknown>][] = [
      ['createTeam name', `mutation($v: String!) { createTeam(name: $v) { id } }`, (v) => ({ v })],
      [
        'createRole name',
        `mutation($t: ID!, $v: String!) { createRole(teamId: $t, name: $v, permissions: ["team:read"]) { id } }`,
        (v) => ({ t: team.id, v }),
      ],
      [
        'createRole description',
        `mutation($t: ID!, $v: String) { createRole(teamId: $t, name: "described", permissions: ["team:read"], description: $v) { id } }`,
        (v) => ({ t: team.id, v }),
      ],
      [
        'createApiKey name',
        `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
        (v) => ({ i: { teamId: team.id, name: v } }),
      ],
      [
        'createApiKey description',
        `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
        (v) => ({ i: { teamId: team.id, name: 'ok', description: v } }),
      ],
      [
        'updateApiKey name',
        `mutation($id: ID!, $v: String) { updateApiKey(id: $id, input: { name: $v }) { id } }`,
        (v) => ({ id: keyId, v }),
      ],
      [
        'updateApiKey description',
        `mutation($id: ID!, $v: String) { updateApiKey(id: $id, input: { description: $v }) { id } }`,
        (v) => ({ id: keyId, v }),
      ],
      [
        'updateRole name',
        `mutation($id: ID!, $v: String) { updateRole(id: $id, name: $v) { id } }`,
        (v) => ({ id: roleId, v }),
      ],
      [
        'inviteTeamMember email',
        `mutation($t: ID!, $v: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $v, roleId: $r) { id } }`,
        (v) => ({ t: team.id, v: `x${v}@example.com`, r: roleId }),
      ],
      [
        'signUp name',
        `mutation($v: String!) { signUp(email: "${`hostile.${Date.now()}@example.com`}", password: "correct horse battery staple", name: $v) { token } }`,
        (v) => ({ v }),
      ],
      [
        'signUp email',
        `mutation($v: String!) { signUp(email: $v, password: "correct horse battery staple", name: "n") { token } }`,
        (v) => ({ v: `y${v}${Date.now()}@example.com` }),
      ],
      [
        'updateProfile name',
        `mutation($v: String!) { updateProfile(name: $v) { id } }`,
        (v) => ({ v }),
      ],
    ];
    const failures: string[] = [];
    for (const [what, query, variables] of cases) {
      for (const [label, value] of [
        ['NUL', 'a\u0000b'],
        ['lone high surrogate', 'a\ud800b'],
        ['lone low surrogate', '\udfffz'],
      ]) {
        const res = await httpRequest(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...owner.headers },
          body: JSON.stringify({ query, variables: variables(value) }),
          localAddress: from,
        });
        const code = JSON.parse(res.text).errors?.[0]?.extensions?.code;
        if (res.status >= 500 || code !== 'BAD_USER_INPUT')
          failures.push(`${what} with ${label}: ${res.status} ${code}`);
      }
    }
    // sign-in with such an email: the one answer of every failed sign-in
    for (const value of ['a\u0000b@example.com', 'a\ud800b@example.com', '\udfff@example.com']) {
      const res = await httpRequest(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
          variables: { e: value, p: 'whatever-password' },
        }),
        localAddress: uniqueLoopback(),
      });
      const body = JSON.parse(res.text);
      if (res.status !== 200 || body.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED')
        failures.push(`logIn email ${JSON.stringify(value)}: ${res.status} ${res.text}`);
    }
    expect(failures).toEqual([]);
  });

  it('counts key uses whose operation name, required scopes, X-Request-Id and user agent are hostile, and keeps writing the usage rows after them (usage not poisoned)', async () => {
    const key = await createKey(t, owner, team.id, { scopes: ['team:read'] });
    const basic = {
      authorization: `Basic ${Buffer.from(`${key.key}:${key.secret}`).toString('base64')}`,
    };
    // in the JSON body: NUL and lone surrogates
    const hostile = ['\u0000', '\udfff', 'a\ud800b', '\u0000\ud83d'];
    // in headers, what HTTP lets through: tab, C1 controls, the bytes of a lone surrogate and of
    // an overlong NUL in UTF-8 (the server reads header bytes as Latin-1); a long value
    const headerValues = [
      'hostile-0\t\x80\x9f',
      'hostile-1\xed\xa0\x80',
      'hostile-2\xc0\x80',
      `hostile-3${'x'.repeat(2_000)}\xff`,
    ];
    type Use = { address: string; code: string; via: string; count: number };
    const usesOf = async (): Promise<{ seq: string; count: number; uses: Use[] }[]> =>
      t.dataSource.query(
        `SELECT chain_seq AS seq, (metadata->>'count')::int AS count, metadata->'uses' AS uses
           FROM audit_events WHERE action = 'apiKey.used' AND api_key_id = $1 ORDER BY chain_seq`,
        [key.id],
      );
    /** address|code|via -> uses, over the rows */
    const byName = (rows: { uses: Use[] }[]) => {
      const counted: Record<string, number> = {};
      for (const { address, code, via, count } of rows.flatMap((r) => r.uses)) {
        const name = `${address}|${code}|${via}`;
        counted[name] = (counted[name] ?? 0) + count;
      }
      return counted;
    };
    const droppedBefore = t.server.services.usage.dropped;
    let firstRequestId = '';
    for (const [i, name] of hostile.entries()) {
      const headers = { 'x-request-id': headerValues[i], 'user-agent': headerValues[i] };
      // the client's operationName: a request with a key whose operation is nonsense
      const res = await httpRequest(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...basic, ...headers },
        body: JSON.stringify({ query: `query { viewer { type } }`, operationName: name }),
        localAddress: from,
      });
      expect(res.status).toBeLessThan(500);
      if (i === 0) firstRequestId = res.headers['x-request-id'] as string;
      // and the scopes a gateway asks about: the answer is still right
      const verified = await httpRequest(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          query: `mutation($k: String!, $s: String!, $r: [String!]) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r) { code } }`,
          variables: { k: key.key, s: key.secret, r: [name, 'team:read'] },
        }),
        localAddress: from,
      });
      expect(JSON.parse(verified.text).data.verifyApiCredentials.code).toBe('INSUFFICIENT_SCOPE');
    }
    await t.server.services.usage.flush(true);
    const hostileRows = await usesOf();
    expect(hostileRows.reduce((n, r) => n + r.count, 0)).toBe(8);
    expect(byName(hostileRows)).toEqual({
      [`${from}|VALID|graphql`]: 4,
      [`${from}|INSUFFICIENT_SCOPE|verifyApiCredentials`]: 4,
    });
    // the first use's request, agent and (cleaned) client request id
    const [first]: AuditColumns[] = await t.dataSource.query(
      `SELECT * FROM audit_events WHERE action = 'apiKey.used' AND api_key_id = $1 ORDER BY chain_seq LIMIT 1`,
      [key.id],
    );
    expect(first).toMatchObject({
      request_id: firstRequestId,
      ip: from,
      user_agent: expect.stringMatching(/^hostile-0\t/),
    });
    expect(first.metadata).toMatchObject({ clientRequestId: 'hostile-0' });
    const fresh: AuditColumns[] = await t.dataSource.query(
      `SELECT * FROM audit_events WHERE action = 'apiKey.usedFromNewAddress' AND api_key_id = $1`,
      [key.id],
    );
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({
      request_id: firstRequestId,
      ip: from,
      user_agent: expect.stringMatching(/^hostile-0\t/),
    });

    // the uses after them are written too
    for (let i = 0; i < 5; i++) {
      const res = await httpRequest(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...basic },
        body: JSON.stringify({ query: '{ viewer { type } }' }),
        localAddress: from,
      });
      expect(res.status).toBe(200);
    }
    await t.server.services.usage.flush(true);
    const after = (await usesOf()).filter((r) => BigInt(r.seq) > BigInt(hostileRows.at(-1)!.seq));
    expect(after.reduce((n, r) => n + r.count, 0)).toBe(5);
    expect(byName(after)).toEqual({ [`${from}|VALID|graphql`]: 5 });
    expect(t.server.services.usage.depth).toBe(0);
    expect(t.server.services.usage.dropped).toBe(droppedBefore);
    expect(serverLog.filter((line) => /key usage/.test(line))).toEqual([]);
  });

  it('still serves a normal query, a signed-in query and a key verification at the end', async () => {
    const anonymous = await httpRequest(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { type } }' }),
    });
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.text)).toEqual({ data: { viewer: { type: 'ANONYMOUS' } } });
    const me = await t.gql(`{ me { id } team(id: "${team.id}") { name } }`, {}, owner.headers);
    expect(me.data).toEqual({ me: { id: owner.id }, team: { name: 'Hostile' } });
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });
});
