import { randomBytes } from 'node:crypto';
import { CreateRoleDocument } from '../clients/generated/graphql';
import { PASSWORD, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { codeOf, type GraphQLAnswer } from '../helpers/graphql';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Bad input is refused with BAD_USER_INPUT, whose message names the field but never repeats the
 * value (it may be a pasted secret, or 10,000 characters), and it changes nothing. Never a 500,
 * never a stack trace (the server runs with NODE_ENV=test).
 */

const PROBE = 'bad-input-probe';
const BIG = 10_000;
const bigName = 'N'.repeat(BIG);
const bigId = 'K'.repeat(BIG);

let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let membershipId: string;
let customRoleId: string;
let grantId: string;

beforeAll(async () => {
  ({
    t,
    owner,
    team,
    member: {
      membershipId,
      grantIds: [grantId],
    },
  } = await seed()
    .owner('bad-input-owner')
    .team('Bad input team')
    .member('member', 'Member', { prefix: 'bad-input-member', grants: ['members:manage'] }));
  const role = await t.gql(
    CreateRoleDocument,
    { teamId: team.id, name: 'Custom', permissions: ['team:read'], description: 'kept' },
    owner.headers,
  );
  customRoleId = role.data!.createRole.id;
});
afterAll(() => t?.close());

const probeEmail = () => `${PROBE}.${randomBytes(4).toString('hex')}@example.com`;

/** Every row this file could have touched, as text: equal before and after means nothing changed. */
async function snapshot(): Promise<unknown> {
  const [row] = await t.dataSource.query(
    `SELECT (SELECT count(*) FROM teams WHERE created_by_id = $1)::int AS teams,
            (SELECT name FROM teams WHERE id = $2) AS team_name,
            (SELECT string_agg(id || '|' || name || '|' || coalesce(description, '') || '|' || array_to_string(permissions, ','), ';' ORDER BY id)
               FROM roles WHERE team_id = $2) AS roles,
            (SELECT string_agg(id || ':' || role_id, ';' ORDER BY id) FROM memberships WHERE team_id = $2) AS memberships,
            (SELECT string_agg(g.id || ':' || g.permission, ';' ORDER BY g.id)
               FROM permission_grants g JOIN memberships m ON m.id = g.membership_id WHERE m.team_id = $2) AS grants,
            (SELECT string_agg(id || ':' || state || ':' || expires_at, ';' ORDER BY id) FROM invitations WHERE team_id = $2) AS invitations,
            (SELECT count(*) FROM users WHERE email LIKE $3 OR name LIKE $3 OR length(email) > 254 OR length(name) > 100)::int AS probe_users`,
    [owner.id, team.id, `${PROBE}%`],
  );
  return row;
}

type Caller = 'owner' | 'anonymous';
interface BadInputCase {
  label: string;
  document: string;
  variables: () => Record<string, unknown>;
  /** the distinctive part of the bad value: it must not come back anywhere in the response */
  echo?: string;
  as?: Caller;
}

const signUpDoc = `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token } }`;
const createTeamDoc = `mutation($n: String!) { createTeam(name: $n) { id } }`;
const createRoleDoc = `mutation($t: ID!, $n: String!, $p: [String!]!, $d: String) { createRole(teamId: $t, name: $n, permissions: $p, description: $d) { id } }`;
const updateRoleDoc = `mutation($id: ID!, $n: String, $p: [String!], $d: String) { updateRole(id: $id, name: $n, permissions: $p, description: $d) { id } }`;
const inviteDoc = `mutation($t: ID!, $e: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`;
const acceptDoc = `mutation($id: ID!) { acceptInvitation(id: $id) { id } }`;
const declineDoc = `mutation($id: ID!) { declineInvitation(id: $id) }`;
const revokeInvitationDoc = `mutation($id: ID!) { revokeInvitation(id: $id) }`;
const changeRoleDoc = `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id } }`;
const grantDoc = `mutation($m: ID!, $p: String!) { grantPermission(membershipId: $m, permission: $p) { id } }`;

const CASES: BadInputCase[] = [
  // Malformed ids: every id argument of the schema.
  {
    label: 'team(id) not a UUID',
    document: `query($id: ID!) { team(id: $id) { id } }`,
    variables: () => ({ id: 'not-a-uuid-XYZZY' }),
    echo: 'XYZZY',
  },
  {
    label: 'team(id) 10,000 characters',
    document: `query($id: ID!) { team(id: $id) { id } }`,
    variables: () => ({ id: bigId }),
    echo: bigId.slice(0, 20),
  },
  {
    label: 'team(id) SQL',
    document: `query($id: ID!) { team(id: $id) { id } }`,
    variables: () => ({ id: "'; DROP TABLE users; --" }),
    echo: 'DROP TABLE',
  },
  {
    label: 'inviteTeamMember(teamId) malformed',
    document: inviteDoc,
    variables: () => ({ t: 'team-FROBOZZ', e: probeEmail(), r: team.roles.Member }),
    echo: 'FROBOZZ',
  },
  {
    label: 'inviteTeamMember(roleId) malformed',
    document: inviteDoc,
    variables: () => ({ t: team.id, e: probeEmail(), r: 'role-FROBOZZ' }),
    echo: 'FROBOZZ',
  },
  {
    label: 'acceptInvitation(id) malformed',
    document: acceptDoc,
    variables: () => ({ id: 'invitation-FROBOZZ' }),
    echo: 'FROBOZZ',
  },
  {
    label: 'declineInvitation(id) malformed',
    document: declineDoc,
    variables: () => ({ id: bigId }),
    echo: bigId.slice(0, 20),
  },
  {
    label: 'revokeInvitation(id) malformed',
    document: revokeInvitationDoc,
    variables: () => ({ id: 'invitation-FROBOZZ' }),
    echo: 'FROBOZZ',
  },
  {
    label: 'changeMemberRole(membershipId) malformed',
    document: changeRoleDoc,
    variables: () => ({ m: bigId, r: team.roles.Auditor }),
    echo: bigId.slice(0, 20),
  },
  {
    label: 'changeMemberRole(roleId) malformed',
    document: changeRoleDoc,
    variables: () => ({ m: membershipId, r: '11111111-2222-3333-4444-55555555555Z' }),
    echo: '55555555555Z',
  },
  {
    label: 'removeTeamMember malformed',
    document: `mutation($m: ID!) { removeTeamMember(membershipId: $m) }`,
    variables: () => ({ m: '12345-GRUE' }),
    echo: 'GRUE',
  },
  {
    label: 'updateRole(id) malformed',
    document: updateRoleDoc,
    variables: () => ({ id: 'role-GRUE', n: 'x' }),
    echo: 'GRUE',
  },
  {
    label: 'deleteRole(id) malformed',
    document: `mutation($id: ID!) { deleteRole(id: $id) }`,
    variables: () => ({ id: 'role-GRUE' }),
    echo: 'GRUE',
  },
  {
    label: 'grantPermission(membershipId) malformed',
    document: grantDoc,
    variables: () => ({ m: 'm-GRUE', p: 'team:read' }),
    echo: 'GRUE',
  },
  {
    label: 'revokePermissionGrant malformed',
    document: `mutation($id: ID!) { revokePermissionGrant(id: $id) }`,
    variables: () => ({ id: '00000000-0000-0000-0000-00000000000G' }),
    echo: '00000000000G',
  },
  {
    label: 'createRole(teamId) malformed',
    document: createRoleDoc,
    variables: () => ({ t: 'team-GRUE', n: 'Fine', p: [] }),
    echo: 'GRUE',
  },

  // Empty, too long, or control characters in names.
  { label: 'createTeam name empty', document: createTeamDoc, variables: () => ({ n: '' }) },
  { label: 'createTeam name blank', document: createTeamDoc, variables: () => ({ n: '   \t ' }) },
  {
    label: 'createTeam name 10,000 characters',
    document: createTeamDoc,
    variables: () => ({ n: bigName }),
    echo: bigName.slice(0, 20),
  },
  {
    label: 'createTeam name with control characters',
    document: createTeamDoc,
    variables: () => ({ n: 'evil\u0000PLOVER\u001b[2J' }),
    echo: 'PLOVER',
  },
  {
    label: 'createRole name empty',
    document: createRoleDoc,
    variables: () => ({ t: team.id, n: '', p: ['team:read'] }),
  },
  {
    label: 'createRole name 10,000 characters',
    document: createRoleDoc,
    variables: () => ({ t: team.id, n: bigName, p: ['team:read'] }),
    echo: bigName.slice(0, 20),
  },
  {
    label: 'createRole description 10,000 characters',
    document: createRoleDoc,
    variables: () => ({ t: team.id, n: 'Fine', p: [], d: 'D'.repeat(BIG) }),
    echo: 'D'.repeat(20),
  },
  {
    label: 'updateRole name empty',
    document: updateRoleDoc,
    variables: () => ({ id: customRoleId, n: '' }),
  },
  {
    label: 'updateRole name 10,000 characters',
    document: updateRoleDoc,
    variables: () => ({ id: customRoleId, n: bigName }),
    echo: bigName.slice(0, 20),
  },
  {
    label: 'updateRole description 10,000 characters',
    document: updateRoleDoc,
    variables: () => ({ id: customRoleId, d: 'D'.repeat(BIG) }),
    echo: 'D'.repeat(20),
  },
  {
    label: 'signUp name empty',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: probeEmail(), p: PASSWORD, n: '' }),
  },
  {
    label: 'signUp name 10,000 characters',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: probeEmail(), p: PASSWORD, n: bigName }),
    echo: bigName.slice(0, 20),
  },

  // Bad emails.
  {
    label: 'signUp email without @',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: 'not-an-email-PLUGH', p: PASSWORD, n: PROBE }),
    echo: 'PLUGH',
  },
  {
    label: 'signUp email with spaces',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: 'PLUGH x@example.com', p: PASSWORD, n: PROBE }),
    echo: 'PLUGH',
  },
  {
    label: 'signUp email without domain',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: 'PLUGH@', p: PASSWORD, n: PROBE }),
    echo: 'PLUGH',
  },
  {
    label: 'signUp email 10,000 characters',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: `${'e'.repeat(BIG)}@example.com`, p: PASSWORD, n: PROBE }),
    echo: 'e'.repeat(20),
  },
  {
    label: 'inviteTeamMember email invalid',
    document: inviteDoc,
    variables: () => ({ t: team.id, e: 'PLUGH@@example', r: team.roles.Member }),
    echo: 'PLUGH',
  },
  {
    label: 'inviteTeamMember email 10,000 characters',
    document: inviteDoc,
    variables: () => ({ t: team.id, e: `${'e'.repeat(BIG)}@example.com`, r: team.roles.Member }),
    echo: 'e'.repeat(20),
  },

  // Short (and absurdly long) passwords.
  {
    label: 'signUp password of 11 characters',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: probeEmail(), p: 'Short-XYZZY', n: PROBE }),
    echo: 'Short-XYZZY',
  },
  {
    label: 'signUp password empty',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: probeEmail(), p: '', n: PROBE }),
  },
  {
    label: 'signUp password 10,000 characters',
    as: 'anonymous',
    document: signUpDoc,
    variables: () => ({ e: probeEmail(), p: 'P'.repeat(BIG), n: PROBE }),
    echo: 'P'.repeat(20),
  },

  // Unknown permission names.
  {
    label: 'grantPermission unknown permission',
    document: grantDoc,
    variables: () => ({ m: membershipId, p: 'apiKeys:destroyEverything' }),
    echo: 'destroyEverything',
  },
  {
    label: 'grantPermission permission 10,000 characters',
    document: grantDoc,
    variables: () => ({ m: membershipId, p: 'Z'.repeat(BIG) }),
    echo: 'Z'.repeat(20),
  },
  {
    label: 'grantPermission application scope',
    document: grantDoc,
    variables: () => ({ m: membershipId, p: 'orders:read' }),
    echo: 'orders:read',
  },
  {
    label: 'createRole unknown permission',
    document: createRoleDoc,
    variables: () => ({ t: team.id, n: 'Fine', p: ['team:read', 'root:WIBBLE'] }),
    echo: 'WIBBLE',
  },
  {
    label: 'createRole 101 permissions',
    document: createRoleDoc,
    variables: () => ({ t: team.id, n: 'Fine', p: Array(101).fill('team:read') }),
  },
  {
    label: 'updateRole unknown permission',
    document: updateRoleDoc,
    variables: () => ({ id: customRoleId, p: ['Team:Read-WIBBLE'] }),
    echo: 'WIBBLE',
  },

  // Values of the wrong type: GraphQL's own coercion errors must not repeat them either.
  {
    label: 'a list where a String goes',
    document: createTeamDoc,
    variables: () => ({ n: [`${'L'.repeat(50)}-QUUX`] }),
    echo: 'QUUX',
  },
  {
    label: 'an object where an ID goes',
    document: `query($id: ID!) { team(id: $id) { id } }`,
    variables: () => ({ id: { secret: 'emps_QUUX' } }),
    echo: 'QUUX',
  },
  {
    label: 'a number where a String goes',
    document: createTeamDoc,
    variables: () => ({ n: 987654321123 }),
    echo: '987654321123',
  },
  {
    label: 'a value holding "; " where a String goes',
    document: createTeamDoc,
    variables: () => ({ n: { a: 'x; String cannot represent QUUX' } }),
    echo: 'QUUX',
  },
];

function assertSafeError(res: GraphQLAnswer, echo?: string): void {
  const body = JSON.stringify({ data: res.data, errors: res.errors });
  expect(res.status).toBeLessThan(500);
  expect(res.errors?.length).toBeGreaterThan(0);
  for (const error of res.errors ?? []) {
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions).not.toHaveProperty('stacktrace');
    expect(error.extensions).not.toHaveProperty('exception');
    expect(error.message.length).toBeLessThan(200);
  }
  if (echo) expect(body).not.toContain(echo);
}

describe('bad input', () => {
  it.each(CASES.map((c) => [c.label, c] as const))(
    '%s: BAD_USER_INPUT, not echoed, nothing changed',
    async (_label, c) => {
      const before = await snapshot();
      const res = await t.gql(c.document, c.variables(), c.as === 'anonymous' ? {} : owner.headers);
      assertSafeError(res, c.echo);
      expect(await snapshot()).toEqual(before);
    },
  );

  it('a well-formed id of nothing is NOT_FOUND, not a 500', async () => {
    const nothing = '00000000-0000-4000-8000-000000000000';
    for (const [document, variables] of [
      [`query($id: ID!) { team(id: $id) { id } }`, { id: nothing }],
      [changeRoleDoc, { m: nothing, r: team.roles.Member }],
      [changeRoleDoc, { m: membershipId, r: nothing }],
      [`mutation($id: ID!) { deleteRole(id: $id) }`, { id: nothing }],
      [`mutation($id: ID!) { revokePermissionGrant(id: $id) }`, { id: nothing }],
      [inviteDoc, { t: team.id, e: `${PROBE}.nobody@example.com`, r: nothing }],
      [acceptDoc, { id: nothing }],
      [declineDoc, { id: nothing }],
      [revokeInvitationDoc, { id: nothing }],
    ] as const) {
      const res = await t.gql(document, variables, owner.headers);
      expect({ document, code: codeOf(res) }).toEqual({ document, code: 'NOT_FOUND' });
      expect(res.errors?.[0]?.extensions).not.toHaveProperty('stacktrace');
    }
  });

  it('logIn with garbage is UNAUTHENTICATED, not BAD_USER_INPUT (it tells nothing), and echoes nothing', async () => {
    const doc = `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`;
    for (const variables of [
      { e: `${'e'.repeat(BIG)}@example.com`, p: PASSWORD },
      { e: 'not-an-email-PLUGH', p: 'P'.repeat(BIG) },
      { e: owner.email, p: 'wrong-XYZZY' },
    ]) {
      const res = await t.gql(doc, variables);
      expect(res.status).toBeLessThan(500);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      const body = JSON.stringify(res.errors);
      expect(body).not.toMatch(/eeeeeeeeee|PLUGH|PPPPPPPPPP|XYZZY/);
      expect(body).not.toContain('stacktrace');
    }
  });

  it('the same email signed up 8 times at once: one account, the rest CONFLICT, no 500', async () => {
    // A race: a few rounds, so that a check-then-insert would be caught.
    for (let round = 0; round < 4; round++) {
      const email = probeEmail();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => t.gql(signUpDoc, { e: email, p: PASSWORD, n: PROBE })),
      );
      const codes = results.map((r) => codeOf(r) ?? 'ok').sort();
      expect(codes).toEqual([
        'CONFLICT',
        'CONFLICT',
        'CONFLICT',
        'CONFLICT',
        'CONFLICT',
        'CONFLICT',
        'CONFLICT',
        'ok',
      ]);
      expect(results.map((r) => r.status).filter((s) => s >= 500)).toEqual([]);
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM users WHERE lower(email) = $1`,
        [email],
      );
      expect(n).toBe(1);
      // Case does not make another account.
      const upper = await t.gql(signUpDoc, { e: email.toUpperCase(), p: PASSWORD, n: PROBE });
      expect(codeOf(upper)).toBe('CONFLICT');
    }
  });

  it('the grant made in setup is untouched by all of the above', async () => {
    const [row] = await t.dataSource.query(
      `SELECT permission FROM permission_grants WHERE id = $1`,
      [grantId],
    );
    expect(row).toEqual({ permission: 'members:manage' });
  });
});
