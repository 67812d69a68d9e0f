import { randomBytes } from 'node:crypto';
import { CreateRoleDocument } from '../clients/generated/graphql';
import { createKey } from '../helpers/api-keys';
import { createTeam, PASSWORD, type SignedInUser, uniqueEmail } from '../helpers/factories';
import { codeOf, type GraphQLAnswer, graphqlClient, typed } from '../helpers/graphql';
import { uniqueLoopback } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Bad input is refused cleanly everywhere: BAD_USER_INPUT (HTTP 400 outside GraphQL), never an
 * internal error, and nothing changes.
 * - cursors whose numbers pass their pattern but not the database's range, cursors of another
 *   list, page sizes and times at and past the edges of what the database holds;
 * - names (user, team, role, key) holding bidirectional controls, zero-width or other invisible
 *   characters ("Acme\u202Egnp.exe" shows as "Acmeexe.png"); descriptions holding bidirectional
 *   controls or invisible tag characters. Accents, CJK, right-to-left scripts and emoji, ZWJ
 *   sequences included, stay welcome.
 */

let t: TestServer;
let owner: SignedInUser;
let teamId: string;
let otherTeamId: string;
let keyId: string;
let roleId: string;
beforeAll(async () => {
  ({
    t,
    owner,
    team: { id: teamId },
    kept: { id: keyId },
  } = await seed()
    .owner('bad-input-sec')
    .team('Bad input')
    .key('kept', { name: 'kept key', description: 'kept description' })
    .key('second', { name: 'second key' }));
  otherTeamId = (await createTeam(t, owner, 'Other')).id;
  await createKey(t, owner, otherTeamId, { name: 'other team key' });
  const role = await t.gql(
    CreateRoleDocument,
    { teamId, name: 'Kept role', permissions: ['team:read'], description: 'kept description' },
    owner.headers,
  );
  roleId = role.data!.createRole.id;
});
afterAll(() => t?.close());

const cursor = (text: string) => Buffer.from(text).toString('base64url');

function expectBadInput(res: GraphQLAnswer, field?: string): void {
  expect(res.errors?.length).toBeGreaterThan(0);
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
  if (field) expect(res.errors![0].extensions?.field).toBe(field);
  expect(JSON.stringify(res.errors)).not.toMatch(
    /out of range|bigint|QueryFailed|timestamp|stacktrace/i,
  );
}

const AUDIT_PAGE = typed<{
  auditEvents: { edges: { cursor: string }[]; pageInfo: { endCursor: string | null } };
}>(
  `query($t: ID!, $a: String, $f: Int) { auditEvents(teamId: $t, after: $a, first: $f) { edges { cursor } pageInfo { endCursor } } }`,
);
const KEY_PAGE = typed<{
  apiKeys: { totalCount: number; edges: { cursor: string; node: { name: string } }[] };
}>(
  `query($t: ID!, $a: String, $f: Int) { apiKeys(teamId: $t, after: $a, first: $f) { totalCount edges { cursor node { name } } } }`,
);

describe('cursors', () => {
  it.each([
    ['one past the largest bigint', 'AuditEvent:9223372036854775808'],
    ['19 nines', 'AuditEvent:9999999999999999999'],
    ['20 digits', 'AuditEvent:12345678901234567890'],
    ['negative', 'AuditEvent:-1'],
    ['another list', 'ApiKey:1'],
    ['empty number', 'AuditEvent:'],
  ])('refuses an audit cursor holding %s with BAD_USER_INPUT', async (_label, text) => {
    expectBadInput(await t.gql(AUDIT_PAGE, { t: teamId, a: cursor(text) }, owner.headers), 'after');
  });

  it('still takes the largest bigint, and the cursors it hands out', async () => {
    const top = await t.gql(
      AUDIT_PAGE,
      { t: teamId, a: cursor('AuditEvent:9223372036854775807'), f: 1 },
      owner.headers,
    );
    expect(top.errors).toBeUndefined();
    const next = await t.gql(
      AUDIT_PAGE,
      { t: teamId, a: top.data!.auditEvents.pageInfo.endCursor, f: 1 },
      owner.headers,
    );
    expect(next.errors).toBeUndefined();
    expect(next.data!.auditEvents.edges).toHaveLength(1);
  });

  it("refuses an API key cursor that is not one of this team's keys (another team's, made up, malformed)", async () => {
    const theirs = await t.gql(KEY_PAGE, { t: otherTeamId, f: 1 }, owner.headers);
    const theirCursor = theirs.data!.apiKeys.edges[0].cursor;
    expectBadInput(await t.gql(KEY_PAGE, { t: teamId, a: theirCursor }, owner.headers), 'after');
    expectBadInput(
      await t.gql(
        KEY_PAGE,
        { t: teamId, a: cursor('ApiKey:ffffffff-ffff-ffff-ffff-ffffffffffff') },
        owner.headers,
      ),
      'after',
    );
    expectBadInput(
      await t.gql(KEY_PAGE, { t: teamId, a: cursor('ApiKey:not-a-uuid') }, owner.headers),
      'after',
    );
    expectBadInput(
      await t.gql(KEY_PAGE, { t: teamId, a: cursor('AuditEvent:1') }, owner.headers),
      'after',
    );
  });

  it('walks an API key list with its own cursors', async () => {
    const first = await t.gql(KEY_PAGE, { t: teamId, f: 1 }, owner.headers);
    const second = await t.gql(
      KEY_PAGE,
      { t: teamId, f: 1, a: first.data!.apiKeys.edges[0].cursor },
      owner.headers,
    );
    expect(second.errors).toBeUndefined();
    expect(second.data!.apiKeys.edges).toHaveLength(1);
    expect(second.data!.apiKeys.edges[0].node.name).not.toBe(
      first.data!.apiKeys.edges[0].node.name,
    );
  });
});

describe('page sizes', () => {
  it.each([
    ['-1', -1],
    ['-2^31', -(2 ** 31)],
    ['2^31 (past Int)', 2 ** 31],
    ['2^53', 2 ** 53],
    ['1.5', 1.5],
    ['a string', '10'],
  ])('refuses first = %s on every paged list with BAD_USER_INPUT', async (_label, first) => {
    expectBadInput(await t.gql(AUDIT_PAGE, { t: teamId, f: first }, owner.headers));
    expectBadInput(await t.gql(KEY_PAGE, { t: teamId, f: first }, owner.headers));
  });

  it('answers the largest Int with a full page (capped), not an error', async () => {
    const audit = await t.gql(AUDIT_PAGE, { t: teamId, f: 2 ** 31 - 1 }, owner.headers);
    expect(audit.errors).toBeUndefined();
    const keys = await t.gql(KEY_PAGE, { t: teamId, f: 2 ** 31 - 1 }, owner.headers);
    expect(keys.errors).toBeUndefined();
    expect(keys.data!.apiKeys.edges.length).toBeGreaterThanOrEqual(2);
  });
});

describe('times', () => {
  const exportFrom = (query: string) =>
    fetch(`${t.url}/v1/audit/export?teamId=${teamId}&${query}`, { headers: owner.headers });

  it.each([
    ['from', '-004714-01-01T00:00:00Z'],
    ['from', '-271821-04-20T00:00:00Z'],
    ['to', '-100000-01-01T00:00:00Z'],
    ['from', '+275760-09-13T00:00:00Z'],
    ['to', '+100000-01-01T00:00:00Z'],
  ])(
    'refuses an export with %s=%s (outside years 0000-9999) with 400 BAD_USER_INPUT, writing no audit row',
    async (name, value) => {
      const [before] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1`,
        [teamId],
      );
      const res = await exportFrom(`${name}=${encodeURIComponent(value)}`);
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(text).not.toContain(value);
      const [after] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1`,
        [teamId],
      );
      expect(after.n).toBe(before.n);
    },
  );

  it('exports with the edges of the range: from=0000-01-01, to=9999-12-31', async () => {
    const res = await exportFrom(`from=0000-01-01T00:00:00Z&to=9999-12-31T23:59:59Z`);
    expect(res.status).toBe(200);
    expect((await res.text()).split('\n').filter(Boolean).length).toBeGreaterThan(0);
  });

  it('refuses times outside years 0000-9999 in every GraphQL time argument, and answers at the edges', async () => {
    const filter = `query($t: ID!, $f: AuditEventFilter) { auditEvents(teamId: $t, filter: $f) { edges { cursor } } }`;
    const usage = typed<{ apiKey: { usage: { day: string; count: number }[] } }>(
      `query($id: ID!, $f: DateTimeISO!, $to: DateTimeISO!) { apiKey(id: $id) { usage(from: $f, to: $to) { day count } } }`,
    );
    const create = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`;
    for (const far of [
      '-004714-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      '10000-01-01T00:00:00Z',
    ]) {
      expectBadInput(await t.gql(filter, { t: teamId, f: { from: far } }, owner.headers));
      expectBadInput(await t.gql(filter, { t: teamId, f: { to: far } }, owner.headers));
      expectBadInput(
        await t.gql(usage, { id: keyId, f: far, to: '2020-01-01T00:00:00Z' }, owner.headers),
      );
      expectBadInput(
        await t.gql(create, { i: { teamId, name: 'far', expiresAt: far } }, owner.headers),
      );
    }
    expect(
      (
        await t.gql(
          filter,
          { t: teamId, f: { from: '0000-01-01T00:00:00Z', to: '9999-12-31T23:59:59Z' } },
          owner.headers,
        )
      ).errors,
    ).toBeUndefined();
    const early = await t.gql(
      usage,
      { id: keyId, f: '0000-01-01T00:00:00Z', to: '0000-12-01T00:00:00Z' },
      owner.headers,
    );
    expect(early.errors).toBeUndefined();
    expect(early.data!.apiKey.usage).toEqual([]);
    const late = await t.gql(
      create,
      { i: { teamId, name: 'late', expiresAt: '9999-12-31T23:59:59Z' } },
      owner.headers,
    );
    expect(late.errors).toBeUndefined();
  });
});

/** One of each kind of character that changes what a name looks like without being seen. */
const INVISIBLE: [string, string][] = [
  ['RIGHT-TO-LEFT OVERRIDE', '\u202E'],
  ['LEFT-TO-RIGHT OVERRIDE', '\u202D'],
  ['LEFT-TO-RIGHT EMBEDDING', '\u202A'],
  ['RIGHT-TO-LEFT EMBEDDING', '\u202B'],
  ['POP DIRECTIONAL FORMATTING', '\u202C'],
  ['LEFT-TO-RIGHT ISOLATE', '\u2066'],
  ['RIGHT-TO-LEFT ISOLATE', '\u2067'],
  ['FIRST STRONG ISOLATE', '\u2068'],
  ['POP DIRECTIONAL ISOLATE', '\u2069'],
  ['LEFT-TO-RIGHT MARK', '\u200E'],
  ['RIGHT-TO-LEFT MARK', '\u200F'],
  ['ARABIC LETTER MARK', '\u061C'],
  ['ZERO WIDTH SPACE', '\u200B'],
  ['ZERO WIDTH NON-JOINER between Latin letters', '\u200C'],
  ['ZERO WIDTH JOINER between Latin letters', '\u200D'],
  ['WORD JOINER', '\u2060'],
  ['ZERO WIDTH NO-BREAK SPACE (BOM)', '\uFEFF'],
  ['SOFT HYPHEN', '\u00AD'],
  ['COMBINING GRAPHEME JOINER', '\u034F'],
  ['MONGOLIAN VOWEL SEPARATOR', '\u180E'],
  ['INVISIBLE TIMES', '\u2062'],
  ['INHIBIT SYMMETRIC SWAPPING', '\u206A'],
  ['HANGUL FILLER', '\u3164'],
  ['HANGUL CHOSEONG FILLER', '\u115F'],
  ['HALFWIDTH HANGUL FILLER', '\uFFA0'],
  ['KHMER VOWEL INHERENT AQ', '\u17B4'],
  ['BRAILLE PATTERN BLANK', '\u2800'],
  ['VARIATION SELECTOR-1', '\uFE00'],
  ['VARIATION SELECTOR-16 after a Latin letter', '\uFE0F'],
  ['VARIATION SELECTOR-17', '\u{E0100}'],
  ['INTERLINEAR ANNOTATION ANCHOR', '\uFFF9'],
  ['TAG LATIN CAPITAL LETTER A', '\u{E0041}'],
  ['LANGUAGE TAG', '\u{E0001}'],
  ['MUSICAL SYMBOL BEGIN BEAM', '\u{1D173}'],
  ['SHORTHAND FORMAT LETTER OVERLAP', '\u{1BCA0}'],
];

/** Text people write: accents, other scripts, emoji with their joiners and selectors. */
const WELCOME: [string, string][] = [
  ['accents', 'Café Müller Zoë Ångström'],
  ['a combining accent', 'Cafe\u0301'],
  ['CJK', '東京チーム 서울'],
  ['Greek and Cyrillic', 'Ελληνικά Команда'],
  ['Hebrew', 'צוות אלפא'],
  ['Arabic', 'فريق العمل'],
  ['Persian with its ZERO WIDTH NON-JOINER', 'می\u200Cخواهم'],
  ['Devanagari with a ZERO WIDTH JOINER', 'क्\u200Dष टीम'],
  ['an emoji', '🚀 Launch'],
  ['a ZWJ emoji sequence', '👩\u200D💻 Devs'],
  ['a family ZWJ sequence with skin tones', '👩🏽\u200D👩🏽\u200D👧🏽 Family'],
  ['an emoji with VARIATION SELECTOR-16', '❤\uFE0F Love'],
  ['a keycap', '1\uFE0F\u20E3 First'],
  ['a flag', '🇫🇷 France'],
  ['an ideographic variation sequence', '葛\u{E0100}飾'],
];

interface NameField {
  label: string;
  /** try to set the name; the answer */
  set(name: string): Promise<GraphQLAnswer>;
  /** how many rows carry this exact name (0 after a refusal) */
  count(name: string): Promise<number>;
}

const countWhere =
  (table: string, column = 'name') =>
  async (name: string) =>
    (
      await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [
        name,
      ])
    )[0].n as number;

const NAME_FIELDS: NameField[] = [
  {
    label: 'signUp(name)',
    set: (name) =>
      graphqlClient(t.url, { from: uniqueLoopback() })(
        `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token } }`,
        {
          e: uniqueEmail('invisible'),
          p: PASSWORD,
          n: name,
        },
      ),
    count: countWhere('users'),
  },
  {
    label: 'createTeam(name)',
    set: (name) =>
      t.gql(`mutation($n: String!) { createTeam(name: $n) { id } }`, { n: name }, owner.headers),
    count: countWhere('teams'),
  },
  {
    label: 'updateTeam(name)',
    set: (name) =>
      t.gql(
        `mutation($id: ID!, $n: String!) { updateTeam(id: $id, name: $n) { id } }`,
        { id: otherTeamId, n: name },
        owner.headers,
      ),
    count: countWhere('teams'),
  },
  {
    label: 'createRole(name)',
    set: (name) =>
      t.gql(
        `mutation($t: ID!, $n: String!) { createRole(teamId: $t, name: $n, permissions: ["team:read"]) { id } }`,
        { t: teamId, n: name },
        owner.headers,
      ),
    count: countWhere('roles'),
  },
  {
    label: 'updateRole(name)',
    set: (name) =>
      t.gql(
        `mutation($id: ID!, $n: String) { updateRole(id: $id, name: $n) { id } }`,
        { id: roleId, n: name },
        owner.headers,
      ),
    count: countWhere('roles'),
  },
  {
    label: 'createApiKey(name)',
    set: (name) =>
      t.gql(
        `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`,
        { i: { teamId, name } },
        owner.headers,
      ),
    count: countWhere('api_keys'),
  },
  {
    label: 'updateApiKey(name)',
    set: (name) =>
      t.gql(
        `mutation($id: ID!, $i: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $i) { id } }`,
        { id: keyId, i: { name } },
        owner.headers,
      ),
    count: countWhere('api_keys'),
  },
];

const DESCRIPTION_FIELDS: NameField[] = [
  {
    label: 'createRole(description)',
    set: (text) =>
      t.gql(
        `mutation($t: ID!, $n: String!, $d: String) { createRole(teamId: $t, name: $n, permissions: ["team:read"], description: $d) { id } }`,
        { t: teamId, n: `described ${randomBytes(3).toString('hex')}`, d: text },
        owner.headers,
      ),
    count: countWhere('roles', 'description'),
  },
  {
    label: 'updateRole(description)',
    set: (text) =>
      t.gql(
        `mutation($id: ID!, $d: String) { updateRole(id: $id, description: $d) { id } }`,
        { id: roleId, d: text },
        owner.headers,
      ),
    count: countWhere('roles', 'description'),
  },
  {
    label: 'createApiKey(description)',
    set: (text) =>
      t.gql(
        `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`,
        { i: { teamId, name: 'described', description: text } },
        owner.headers,
      ),
    count: countWhere('api_keys', 'description'),
  },
  {
    label: 'updateApiKey(description)',
    set: (text) =>
      t.gql(
        `mutation($id: ID!, $i: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $i) { id } }`,
        { id: keyId, i: { description: text } },
        owner.headers,
      ),
    count: countWhere('api_keys', 'description'),
  },
];

describe('names refuse invisible and bidirectional characters', () => {
  it('refuses "Acme\\u202Egnp.exe" and a lone "\\u200B" in every name field', async () => {
    for (const field of NAME_FIELDS) {
      for (const name of ['Acme\u202Egnp.exe', '\u200B']) {
        const res = await field.set(name);
        expect({ field: field.label, name: JSON.stringify(name), code: codeOf(res) }).toEqual({
          field: field.label,
          name: JSON.stringify(name),
          code: 'BAD_USER_INPUT',
        });
        expect(await field.count(name)).toBe(0);
      }
    }
  });

  it('refuses them in an email address too (it is shown to people as a name is)', async () => {
    for (const char of ['\u202E', '\u200B', '\u2066', '\u{E0041}']) {
      const email = `invisible.${randomBytes(3).toString('hex')}${char}@example.com`;
      const res = await graphqlClient(t.url, { from: uniqueLoopback() })(
        `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, name: "Hidden") { token } }`,
        {
          e: email,
          p: PASSWORD,
        },
      );
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(await countWhere('users', 'email')(email.toLowerCase())).toBe(0);
    }
  });

  it.each(NAME_FIELDS.map((f) => [f.label, f] as const))(
    '%s refuses each kind, inside a name and as the whole name, and stores nothing',
    async (_label, field) => {
      const refusedWith = new Map<string, string | undefined>();
      for (const [kind, char] of INVISIBLE) {
        for (const name of [`Ac${char}me ${kind.length}`, char, `Acme${char}`]) {
          const res = await field.set(name);
          if (codeOf(res) !== 'BAD_USER_INPUT')
            refusedWith.set(`${kind} in ${JSON.stringify(name)}`, codeOf(res) ?? 'accepted');
          expect(await field.count(name)).toBe(0);
          expect(JSON.stringify(res.errors ?? [])).not.toContain(char);
        }
      }
      expect(Object.fromEntries(refusedWith)).toEqual({});
    },
  );

  it.each(NAME_FIELDS.map((f) => [f.label, f] as const))(
    '%s keeps accepting accents, other scripts and emoji',
    async (_label, field) => {
      for (const [kind, text] of WELCOME) {
        // role names are unique in a team and at most 50 characters: make each one its own
        const name = `${text} ${randomBytes(4).toString('hex')}`;
        const res = await field.set(name);
        expect({ kind, errors: res.errors }).toEqual({ kind, errors: undefined });
        expect(await field.count(name)).toBe(1);
      }
    },
  );
});

/** Characters that reorder or hide text; a description may hold line breaks and marks, not these. */
const NOT_IN_TEXT = INVISIBLE.filter(([kind]) =>
  /OVERRIDE|EMBEDDING|ISOLATE|POP DIRECTIONAL|TAG/.test(kind),
);

describe('descriptions refuse bidirectional controls and invisible tags', () => {
  it.each(DESCRIPTION_FIELDS.map((f) => [f.label, f] as const))(
    '%s refuses each bidirectional control and tag character',
    async (_label, field) => {
      expect(NOT_IN_TEXT.length).toBe(11);
      const accepted: string[] = [];
      for (const [kind, char] of NOT_IN_TEXT) {
        const text = `Runs the nightly ${char}export job`;
        const res = await field.set(text);
        if (codeOf(res) !== 'BAD_USER_INPUT') accepted.push(kind);
        expect(await field.count(text)).toBe(0);
      }
      expect(accepted).toEqual([]);
    },
  );

  it.each(DESCRIPTION_FIELDS.map((f) => [f.label, f] as const))(
    '%s keeps line breaks, marks in right-to-left text and emoji',
    async (_label, field) => {
      const text = `Nightly export 🚀\nצוות\u200F (team) — café ${randomBytes(2).toString('hex')}`;
      const res = await field.set(text);
      expect(res.errors).toBeUndefined();
      expect(await field.count(text)).toBe(1);
    },
  );
});

describe('the refused changes changed nothing', () => {
  it('left no hidden or reordering character in any name or description of this file', async () => {
    const hidden = '[\u202A-\u202E\u2066-\u2069\u200B\u2060\uFEFF\u00AD\u3164\u2800]';
    const rows = await t.dataSource.query(
      `SELECT name FROM users WHERE email LIKE 'invisible.%' AND name ~ $1
       UNION ALL SELECT name FROM teams WHERE id IN ($2, $3) AND name ~ $1
       UNION ALL SELECT name FROM roles WHERE team_id = $2 AND (name ~ $1 OR description ~ $1)
       UNION ALL SELECT name FROM api_keys WHERE team_id = $2 AND (name ~ $1 OR description ~ $1)`,
      [hidden, teamId, otherTeamId],
    );
    expect(rows).toEqual([]);
  });
});
