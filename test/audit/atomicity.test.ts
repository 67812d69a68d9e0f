import { createHash, randomBytes } from 'node:crypto';
import { auditRowsOfRequest, chainOf, VERIFY_CHAIN_QUERY, type AuditDbRow } from '../helpers/audit';
import { basic, createKey } from '../helpers/api-keys';
import {
  invite,
  PASSWORD,
  platformAdmin,
  signUp,
  uniqueEmail,
  type SignedInUser,
  type TeamFixture,
} from '../helpers/factories';
import {
  codeOf,
  type Gql,
  type GraphQLAnswer,
  typed,
  type TypedString,
  type Variables,
} from '../helpers/graphql';
import { eventually } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Atomicity: every mutation of the schema, allowed or refused, leaves exactly one
 * audit_events row, found by the X-Request-Id of its response, with the right outcome, actor,
 * target, address, user agent and metadata; a change whose audit row can't be written does not
 * happen; and no audit row ever holds a secret, password or token. Refusals of anonymous callers
 * are the exception: they have no stake in any chain, and are counted in the security log. Key
 * use is traced apart from the mutation: one apiKey.used row per key and minute carries the
 * minute's first request, and a key's first use from an address is an apiKey.usedFromNewAddress row.
 */
let t: TestServer;
let gql: Gql;
let ip: string;
let owner: SignedInUser;
let member: SeededMember;
let team: TeamFixture;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  // A loopback address of this file's own: the audit row must carry the address the request came from.
  ({ t, ip, gql, owner, team, member } = await seed()
    .ownAddress()
    .owner('atomic-owner')
    .team('Atomicity')
    .member('member', 'Member', { prefix: 'atomic-member' }));
});
afterAll(() => t.close());

/** The answer to one request, with the request id and user agent its audit row must carry. */
interface Sent<TData = Record<string, unknown>> extends GraphQLAnswer<TData> {
  requestId: string;
  userAgent: string;
}

let sequence = 0;
/** One GraphQL request with a user agent of its own; returns its X-Request-Id. */
async function send<TData>(
  query: TypedString<TData>,
  variables: Variables = {},
  auth: Record<string, string> = {},
): Promise<Sent<TData>> {
  const userAgent = `atomicity-test/${++sequence} (${randomBytes(3).toString('hex')})`;
  const res = await gql(query, variables, { ...auth, 'user-agent': userAgent });
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  return { ...res, requestId: requestId!, userAgent };
}

const code = (res: Sent<unknown>) => codeOf(res);

type Actor =
  | { user: SignedInUser }
  | { anonymous: true }
  | { userId: string; email: string }
  | { apiKey: { id: string; key: string } };

interface Expected {
  action: string;
  outcome: 'SUCCESS' | 'DENIED' | 'FAILURE';
  actor: Actor;
  teamId: string | null;
  targetType: string | null;
  targetId: string | null;
  metadata: Record<string, unknown> | null;
  /** the address the row must carry; the caller's by default */
  ip?: string;
}

/** Waits out the end of the minute when less than `ms` of it is left. */
async function clearOfMinuteTurn(ms: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < ms) await new Promise((r) => setTimeout(r, left + 50));
}

/** The request wrote exactly one audit row, and it says exactly this. */
async function expectOneRow(res: Sent, expected: Expected, wait = false): Promise<AuditDbRow> {
  const rows = wait
    ? await eventually(async () => {
        const found = await auditRowsOfRequest(t, res.requestId);
        return found.length > 0 ? found : null;
      }, 5_000)
    : await auditRowsOfRequest(t, res.requestId);
  expect(rows ?? []).toHaveLength(1);
  const row = rows![0];
  const actor = expected.actor;
  const actorColumns =
    'anonymous' in actor
      ? { actor_type: 'ANONYMOUS', actor_user_id: null, actor_api_key_id: null, actor_label: null }
      : 'apiKey' in actor
        ? {
            actor_type: 'API_KEY',
            actor_user_id: null,
            actor_api_key_id: actor.apiKey.id,
            actor_label: actor.apiKey.key,
          }
        : 'user' in actor
          ? {
              actor_type: 'USER',
              actor_user_id: actor.user.id,
              actor_api_key_id: null,
              actor_label: actor.user.email,
            }
          : {
              actor_type: 'USER',
              actor_user_id: actor.userId,
              actor_api_key_id: null,
              actor_label: actor.email,
            };
  expect({
    action: row.action,
    outcome: row.outcome,
    ...{
      actor_type: row.actor_type,
      actor_user_id: row.actor_user_id,
      actor_api_key_id: row.actor_api_key_id,
      actor_label: row.actor_label,
    },
    team_id: row.team_id,
    target_type: row.target_type,
    target_id: row.target_id,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
    metadata: row.metadata,
  }).toEqual({
    action: expected.action,
    outcome: expected.outcome,
    ...actorColumns,
    team_id: expected.teamId,
    target_type: expected.targetType,
    target_id: expected.targetId,
    ip: expected.ip ?? ip,
    user_agent: res.userAgent,
    request_id: res.requestId,
    metadata: expected.metadata,
  });
  expect(Date.now() - new Date(row.occurred_at).getTime()).toBeLessThan(60_000);
  // Still one a moment later: nothing else (a batch, a retry) adds a second row for it.
  if (wait) await new Promise((r) => setTimeout(r, 1_200));
  expect(await auditRowsOfRequest(t, res.requestId)).toHaveLength(1);
  return row;
}

/** The request wrote no audit row: its refusal, an anonymous caller's, is counted in the security log. */
async function expectCountedInSecurityLog(
  res: Sent,
  expected: { outcome: 'DENIED' | 'FAILURE'; mutation: string; code: string },
) {
  // each of this file's anonymous refusals is written before the next is made: one count each
  await t.server.services.securityLog.flush(true);
  expect(await auditRowsOfRequest(t, res.requestId)).toEqual([]);
  const rows = await t.dataSource.query(
    `SELECT action, outcome, actor_type, ip, user_agent, metadata FROM security_events WHERE request_id = $1`,
    [res.requestId],
  );
  expect(rows).toEqual([
    {
      action: 'security.mutationRefused',
      outcome: expected.outcome,
      actor_type: 'ANONYMOUS',
      ip,
      user_agent: res.userAgent,
      metadata: expect.objectContaining({
        count: 1,
        codes: { [expected.code]: 1 },
        mutations: { [expected.mutation]: 1 },
      }),
    },
  ]);
}

const refused = (mutation: string, errorCode: string, field?: string) => ({
  mutation,
  code: errorCode,
  ...(field ? { field } : {}),
});

const M = {
  signUp: typed<{ signUp: { token: string; user: { id: string; email: string } } }>(
    `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token user { id email } } }`,
  ),
  logIn: typed<{ logIn: { token: string; user: { id: string } } }>(
    `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token user { id } } }`,
  ),
  logOut: typed<{ logOut: boolean }>(`mutation { logOut }`),
  createTeam: typed<{ createTeam: { id: string } }>(
    `mutation($n: String!) { createTeam(name: $n) { id } }`,
  ),
  addTeamMember: typed<{ addTeamMember: { id: string } }>(
    `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
  ),
  inviteTeamMember: typed<{ inviteTeamMember: { id: string; expiresAt: string } }>(
    `mutation($t: ID!, $e: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id expiresAt } }`,
  ),
  acceptInvitation: typed<{ acceptInvitation: { id: string } }>(
    `mutation($id: ID!) { acceptInvitation(id: $id) { id } }`,
  ),
  declineInvitation: typed<{ declineInvitation: boolean }>(
    `mutation($id: ID!) { declineInvitation(id: $id) }`,
  ),
  revokeInvitation: typed<{ revokeInvitation: boolean }>(
    `mutation($id: ID!) { revokeInvitation(id: $id) }`,
  ),
  changeMemberRole: typed<{ changeMemberRole: { id: string; role: { name: string } } }>(
    `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id role { name } } }`,
  ),
  removeTeamMember: typed<{ removeTeamMember: boolean }>(
    `mutation($m: ID!) { removeTeamMember(membershipId: $m) }`,
  ),
  createRole: typed<{ createRole: { id: string } }>(
    `mutation($t: ID!, $n: String!, $p: [String!]!, $d: String) { createRole(teamId: $t, name: $n, permissions: $p, description: $d) { id } }`,
  ),
  updateRole: typed<{ updateRole: { id: string; name: string } }>(
    `mutation($id: ID!, $n: String, $p: [String!]) { updateRole(id: $id, name: $n, permissions: $p) { id name } }`,
  ),
  deleteRole: typed<{ deleteRole: boolean }>(`mutation($id: ID!) { deleteRole(id: $id) }`),
  grantPermission: typed<{ grantPermission: { id: string } }>(
    `mutation($m: ID!, $p: String!) { grantPermission(membershipId: $m, permission: $p) { id } }`,
  ),
  revokePermissionGrant: typed<{ revokePermissionGrant: boolean }>(
    `mutation($id: ID!) { revokePermissionGrant(id: $id) }`,
  ),
  createApiKey: typed<{
    createApiKey: { secret: string; apiKey: { id: string; key: string; secretLast4: string } };
  }>(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id key secretLast4 } } }`,
  ),
  updateApiKey: typed<{ updateApiKey: { id: string; name: string } }>(
    `mutation($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { id name } }`,
  ),
  regenerateApiKeySecret: typed<{
    regenerateApiKeySecret: {
      secret: string;
      apiKey: { secretVersion: number; secretLast4: string };
    };
  }>(
    `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret apiKey { secretVersion secretLast4 } } }`,
  ),
  revokeApiKey: typed<{ revokeApiKey: { id: string; status: string } }>(
    `mutation($id: ID!) { revokeApiKey(id: $id) { id status } }`,
  ),
  verifyApiCredentials: typed<{
    verifyApiCredentials: { valid: boolean; code: string };
  }>(`mutation($k: String!, $s: String!, $r: [String!], $ip: String) {
    verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r, clientIp: $ip) { valid code } }`),
};

async function membershipCount(teamId: string, userId: string): Promise<number> {
  const [{ n }] = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM memberships WHERE team_id = $1 AND user_id = $2`,
    [teamId, userId],
  );
  return n;
}

async function keyRow(id: string) {
  const [row] = await t.dataSource.query(
    `SELECT name, revoked_at, secret_version, allowed_ips FROM api_keys WHERE id = $1`,
    [id],
  );
  return row;
}

describe('every mutation, allowed and refused, writes exactly one audit row', () => {
  // state shared by the steps below, in order
  let third: SignedInUser;
  let thirdMembershipId: string;
  let invitationId: string;
  let grantId: string;
  let roleId: string;
  let key: { id: string; key: string; secret: string };

  it('signUp', async () => {
    const email = uniqueEmail('atomic-signup');
    const ok = await send(M.signUp, { e: email, p: PASSWORD, n: 'New person' });
    const user = ok.data!.signUp.user;
    await expectOneRow(ok, {
      action: 'user.signedUp',
      outcome: 'SUCCESS',
      actor: { userId: user.id, email },
      teamId: null,
      targetType: 'User',
      targetId: user.id,
      metadata: null,
    });

    const bad = uniqueEmail('atomic-short');
    const no = await send(M.signUp, { e: bad, p: 'short', n: 'Short password' });
    expect(code(no)).toBe('BAD_USER_INPUT');
    await expectCountedInSecurityLog(no, {
      outcome: 'FAILURE',
      mutation: 'signUp',
      code: 'BAD_USER_INPUT',
    });
    expect(await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [bad])).toHaveLength(0);
  });

  it('logIn (a refusal is audited once, by the sign-in itself)', async () => {
    const ok = await send(M.logIn, { e: owner.email, p: PASSWORD });
    expect(ok.data!.logIn.user.id).toBe(owner.id);
    await expectOneRow(ok, {
      action: 'auth.loggedIn',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: null,
      targetType: 'User',
      targetId: owner.id,
      metadata: null,
    });

    const no = await send(M.logIn, { e: owner.email, p: `${PASSWORD} but wrong` });
    expect(code(no)).toBe('UNAUTHENTICATED');
    await expectOneRow(no, {
      action: 'auth.loginFailed',
      outcome: 'DENIED',
      actor: { anonymous: true },
      teamId: null,
      targetType: 'User',
      targetId: owner.id,
      metadata: expect.objectContaining({ knownAccount: true }),
    });
  });

  it('logOut', async () => {
    const session = (await send(M.logIn, { e: member.email, p: PASSWORD })).data!.logIn.token;
    const ok = await send(M.logOut, {}, { authorization: `Bearer ${session}` });
    expect(ok.data!.logOut).toBe(true);
    await expectOneRow(ok, {
      action: 'auth.loggedOut',
      outcome: 'SUCCESS',
      actor: { user: member },
      teamId: null,
      targetType: 'User',
      targetId: member.id,
      metadata: null,
    });

    const no = await send(M.logOut, {});
    expect(code(no)).toBe('UNAUTHENTICATED');
    await expectCountedInSecurityLog(no, {
      outcome: 'DENIED',
      mutation: 'logOut',
      code: 'UNAUTHENTICATED',
    });
  });

  it('createTeam', async () => {
    const ok = await send(M.createTeam, { n: 'Second team' }, owner.headers);
    const teamId = ok.data!.createTeam.id;
    const row = await expectOneRow(ok, {
      action: 'team.created',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId,
      targetType: 'Team',
      targetId: teamId,
      metadata: { name: 'Second team', ownerMembershipId: expect.stringMatching(UUID) },
    });
    const [owned] = await t.dataSource.query(
      `SELECT id FROM memberships WHERE team_id = $1 AND user_id = $2`,
      [teamId, owner.id],
    );
    expect(row.metadata!.ownerMembershipId).toBe(owned.id);

    const no = await send(M.createTeam, { n: '   ' }, owner.headers);
    expect(code(no)).toBe('BAD_USER_INPUT');
    await expectOneRow(no, {
      action: 'team.created',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: null,
      targetType: null,
      targetId: null,
      metadata: refused('createTeam', 'BAD_USER_INPUT', 'name'),
    });
  });

  it('inviteTeamMember', async () => {
    third = await signUp(t, 'atomic-third');
    const ok = await send(
      M.inviteTeamMember,
      { t: team.id, e: third.email, r: team.roles.Member },
      owner.headers,
    );
    invitationId = ok.data!.inviteTeamMember.id;
    await expectOneRow(ok, {
      action: 'member.invited',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Invitation',
      targetId: invitationId,
      metadata: {
        email: third.email,
        roleId: team.roles.Member,
        role: 'Member',
        expiresAt: ok.data!.inviteTeamMember.expiresAt,
        renewed: false,
      },
    });

    const fourth = uniqueEmail('atomic-fourth');
    const no = await send(
      M.inviteTeamMember,
      { t: team.id, e: fourth, r: team.roles.Member },
      member.headers,
    );
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'member.invited',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'Team',
      targetId: team.id,
      metadata: refused('inviteTeamMember', 'FORBIDDEN'),
    });
    expect(
      await t.dataSource.query(`SELECT 1 FROM invitations WHERE email = $1`, [fourth]),
    ).toHaveLength(0);
  });

  it("acceptInvitation (refused to anyone but the invitee, in no team's chain)", async () => {
    const no = await send(M.acceptInvitation, { id: invitationId }, member.headers);
    expect(code(no)).toBe('NOT_FOUND');
    await expectOneRow(no, {
      action: 'member.joined',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: null,
      targetType: 'Invitation',
      targetId: invitationId,
      metadata: refused('acceptInvitation', 'NOT_FOUND'),
    });

    const ok = await send(M.acceptInvitation, { id: invitationId }, third.headers);
    thirdMembershipId = ok.data!.acceptInvitation.id;
    await expectOneRow(ok, {
      action: 'member.joined',
      outcome: 'SUCCESS',
      actor: { user: third },
      teamId: team.id,
      targetType: 'Membership',
      targetId: thirdMembershipId,
      metadata: {
        invitationId,
        userId: third.id,
        roleId: team.roles.Member,
        role: 'Member',
        invitedById: owner.id,
      },
    });
    expect(await membershipCount(team.id, third.id)).toBe(1);
  });

  it('declineInvitation', async () => {
    const decliner = await signUp(t, 'atomic-decliner');
    const id = await invite(t, owner, team.id, decliner.email, team.roles.Auditor);
    const ok = await send(M.declineInvitation, { id }, decliner.headers);
    expect(ok.data!.declineInvitation).toBe(true);
    await expectOneRow(ok, {
      action: 'invitation.declined',
      outcome: 'SUCCESS',
      actor: { user: decliner },
      teamId: team.id,
      targetType: 'Invitation',
      targetId: id,
      metadata: { email: decliner.email, role: 'Auditor' },
    });

    const no = await send(M.declineInvitation, { id }, decliner.headers);
    expect(code(no)).toBe('CONFLICT');
    await expectOneRow(no, {
      action: 'invitation.declined',
      outcome: 'FAILURE',
      actor: { user: decliner },
      teamId: null,
      targetType: 'Invitation',
      targetId: id,
      metadata: refused('declineInvitation', 'CONFLICT'),
    });
  });

  it('revokeInvitation', async () => {
    const email = uniqueEmail('atomic-revoked');
    const id = await invite(t, owner, team.id, email, team.roles.Member);
    const no = await send(M.revokeInvitation, { id }, member.headers);
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'invitation.revoked',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'Invitation',
      targetId: id,
      metadata: refused('revokeInvitation', 'FORBIDDEN'),
    });

    const ok = await send(M.revokeInvitation, { id }, owner.headers);
    expect(ok.data!.revokeInvitation).toBe(true);
    await expectOneRow(ok, {
      action: 'invitation.revoked',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Invitation',
      targetId: id,
      metadata: { email, role: 'Member' },
    });
  });

  it('addTeamMember (the platform admin only)', async () => {
    const admin = await platformAdmin(t);
    const added = await signUp(t, 'atomic-added');
    const ok = await send(
      M.addTeamMember,
      { t: team.id, e: added.email, r: team.roles.Member },
      admin.headers,
    );
    await expectOneRow(ok, {
      action: 'member.added',
      outcome: 'SUCCESS',
      actor: { user: admin },
      teamId: team.id,
      targetType: 'Membership',
      targetId: ok.data!.addTeamMember.id,
      metadata: {
        userId: added.id,
        email: added.email,
        roleId: team.roles.Member,
        role: 'Member',
        actingAsPlatformAdmin: true,
      },
    });

    const other = await signUp(t, 'atomic-not-added');
    const no = await send(
      M.addTeamMember,
      { t: team.id, e: other.email, r: team.roles.Member },
      owner.headers,
    );
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'member.added',
      outcome: 'DENIED',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Team',
      targetId: team.id,
      metadata: refused('addTeamMember', 'FORBIDDEN'),
    });
    expect(await membershipCount(team.id, other.id)).toBe(0);
  });

  it('changeMemberRole', async () => {
    const ok = await send(
      M.changeMemberRole,
      { m: thirdMembershipId, r: team.roles.Auditor },
      owner.headers,
    );
    expect(ok.data!.changeMemberRole.role.name).toBe('Auditor');
    await expectOneRow(ok, {
      action: 'member.roleChanged',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Membership',
      targetId: thirdMembershipId,
      metadata: { userId: third.id, from: 'Member', to: 'Auditor', roleId: team.roles.Auditor },
    });

    const no = await send(
      M.changeMemberRole,
      { m: thirdMembershipId, r: team.roles.Admin },
      member.headers,
    );
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'member.roleChanged',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'Membership',
      targetId: thirdMembershipId,
      metadata: refused('changeMemberRole', 'FORBIDDEN'),
    });
    const [{ role_id }] = await t.dataSource.query(
      `SELECT role_id FROM memberships WHERE id = $1`,
      [thirdMembershipId],
    );
    expect(role_id).toBe(team.roles.Auditor);
  });

  it('grantPermission', async () => {
    const ok = await send(
      M.grantPermission,
      { m: thirdMembershipId, p: 'apiKeys:create' },
      owner.headers,
    );
    grantId = ok.data!.grantPermission.id;
    await expectOneRow(ok, {
      action: 'permission.granted',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'PermissionGrant',
      targetId: grantId,
      metadata: { membershipId: thirdMembershipId, userId: third.id, permission: 'apiKeys:create' },
    });

    const no = await send(
      M.grantPermission,
      { m: thirdMembershipId, p: 'apiKeys:manage' },
      member.headers,
    );
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'permission.granted',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'Membership',
      targetId: thirdMembershipId,
      metadata: refused('grantPermission', 'FORBIDDEN'),
    });
    expect(
      await t.dataSource.query(
        `SELECT permission FROM permission_grants WHERE membership_id = $1`,
        [thirdMembershipId],
      ),
    ).toEqual([{ permission: 'apiKeys:create' }]);
  });

  it('revokePermissionGrant', async () => {
    const no = await send(M.revokePermissionGrant, { id: grantId }, member.headers);
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'permission.revoked',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'PermissionGrant',
      targetId: grantId,
      metadata: refused('revokePermissionGrant', 'FORBIDDEN'),
    });
    expect(
      await t.dataSource.query(`SELECT 1 FROM permission_grants WHERE id = $1`, [grantId]),
    ).toHaveLength(1);

    const ok = await send(M.revokePermissionGrant, { id: grantId }, owner.headers);
    expect(ok.data!.revokePermissionGrant).toBe(true);
    await expectOneRow(ok, {
      action: 'permission.revoked',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'PermissionGrant',
      targetId: grantId,
      metadata: { membershipId: thirdMembershipId, userId: third.id, permission: 'apiKeys:create' },
    });
  });

  it('removeTeamMember', async () => {
    const no = await send(M.removeTeamMember, { m: thirdMembershipId }, member.headers);
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'member.removed',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'Membership',
      targetId: thirdMembershipId,
      metadata: refused('removeTeamMember', 'FORBIDDEN'),
    });
    expect(await membershipCount(team.id, third.id)).toBe(1);

    const ok = await send(M.removeTeamMember, { m: thirdMembershipId }, owner.headers);
    expect(ok.data!.removeTeamMember).toBe(true);
    await expectOneRow(ok, {
      action: 'member.removed',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Membership',
      targetId: thirdMembershipId,
      metadata: { userId: third.id },
    });
    expect(await membershipCount(team.id, third.id)).toBe(0);
  });

  it('createRole (bad input and a conflict are both FAILURE)', async () => {
    const ok = await send(
      M.createRole,
      { t: team.id, n: 'Reviewers', p: ['team:read', 'audit:read'], d: 'reads the log' },
      owner.headers,
    );
    roleId = ok.data!.createRole.id;
    await expectOneRow(ok, {
      action: 'role.created',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Role',
      targetId: roleId,
      metadata: {
        name: 'Reviewers',
        permissions: ['audit:read', 'team:read'],
        description: 'reads the log',
      },
    });

    const no = await send(
      M.createRole,
      { t: team.id, n: 'Bad role', p: ['nope:nope'] },
      owner.headers,
    );
    expect(code(no)).toBe('BAD_USER_INPUT');
    await expectOneRow(no, {
      action: 'role.created',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Team',
      targetId: team.id,
      metadata: refused('createRole', 'BAD_USER_INPUT', 'permissions'),
    });

    const twice = await send(M.createRole, { t: team.id, n: 'reviewers', p: [] }, owner.headers);
    expect(code(twice)).toBe('CONFLICT');
    await expectOneRow(twice, {
      action: 'role.created',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Team',
      targetId: team.id,
      metadata: refused('createRole', 'CONFLICT'),
    });
    expect(
      await t.dataSource.query(`SELECT name FROM roles WHERE team_id = $1 AND NOT built_in`, [
        team.id,
      ]),
    ).toEqual([{ name: 'Reviewers' }]);
  });

  it('updateRole', async () => {
    const ok = await send(
      M.updateRole,
      { id: roleId, n: 'Log readers', p: ['team:read'] },
      owner.headers,
    );
    expect(ok.data!.updateRole.name).toBe('Log readers');
    await expectOneRow(ok, {
      action: 'role.updated',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Role',
      targetId: roleId,
      metadata: {
        before: {
          name: 'Reviewers',
          permissions: ['audit:read', 'team:read'],
          description: 'reads the log',
        },
        after: { name: 'Log readers', permissions: ['team:read'], description: 'reads the log' },
      },
    });

    const no = await send(M.updateRole, { id: roleId, n: 'Hijacked' }, member.headers);
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'role.updated',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'Role',
      targetId: roleId,
      metadata: refused('updateRole', 'FORBIDDEN'),
    });
    expect(await t.dataSource.query(`SELECT name FROM roles WHERE id = $1`, [roleId])).toEqual([
      { name: 'Log readers' },
    ]);
  });

  it('deleteRole', async () => {
    const no = await send(M.deleteRole, { id: team.roles.Member }, owner.headers);
    expect(code(no)).toBe('BAD_USER_INPUT');
    await expectOneRow(no, {
      action: 'role.deleted',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Role',
      targetId: team.roles.Member,
      metadata: refused('deleteRole', 'BAD_USER_INPUT', 'id'),
    });
    expect(
      await t.dataSource.query(`SELECT 1 FROM roles WHERE id = $1`, [team.roles.Member]),
    ).toHaveLength(1);

    const ok = await send(M.deleteRole, { id: roleId }, owner.headers);
    expect(ok.data!.deleteRole).toBe(true);
    await expectOneRow(ok, {
      action: 'role.deleted',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'Role',
      targetId: roleId,
      metadata: { name: 'Log readers', permissions: ['team:read'] },
    });
  });

  it('createApiKey', async () => {
    const ok = await send(
      M.createApiKey,
      { input: { teamId: team.id, name: 'atomic', scopes: ['orders:read'] } },
      owner.headers,
    );
    const { secret, apiKey } = ok.data!.createApiKey;
    key = { id: apiKey.id, key: apiKey.key, secret };
    await expectOneRow(ok, {
      action: 'apiKey.created',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: {
        key: key.key,
        name: 'atomic',
        scopes: ['orders:read'],
        allowedIps: [],
        expiresAt: null,
        secretLast4: apiKey.secretLast4,
      },
    });

    const no = await send(
      M.createApiKey,
      { input: { teamId: team.id, name: 'not allowed' } },
      member.headers,
    );
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'apiKey.created',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: null,
      targetId: null,
      metadata: refused('createApiKey', 'FORBIDDEN'),
    });
    expect(
      await t.dataSource.query(
        `SELECT 1 FROM api_keys WHERE team_id = $1 AND name = 'not allowed'`,
        [team.id],
      ),
    ).toHaveLength(0);
  });

  it('updateApiKey', async () => {
    const ok = await send(
      M.updateApiKey,
      { id: key.id, input: { name: 'atomic-renamed', description: 'for the test' } },
      owner.headers,
    );
    expect(ok.data!.updateApiKey.name).toBe('atomic-renamed');
    await expectOneRow(ok, {
      action: 'apiKey.updated',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: {
        changed: ['name', 'description'],
        before: { name: 'atomic', description: null },
        after: { name: 'atomic-renamed', description: 'for the test' },
      },
    });

    const no = await send(
      M.updateApiKey,
      { id: key.id, input: { name: 'never', allowedIps: ['not an address'] } },
      owner.headers,
    );
    expect(code(no)).toBe('BAD_USER_INPUT');
    await expectOneRow(no, {
      action: 'apiKey.updated',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: refused('updateApiKey', 'BAD_USER_INPUT', 'allowedIps'),
    });
    expect((await keyRow(key.id)).name).toBe('atomic-renamed');
  });

  it('regenerateApiKeySecret', async () => {
    const ok = await send(M.regenerateApiKeySecret, { id: key.id }, owner.headers);
    const fresh = ok.data!.regenerateApiKeySecret;
    expect(fresh.apiKey.secretVersion).toBe(2);
    await expectOneRow(ok, {
      action: 'apiKey.secretRegenerated',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: { secretVersion: 2, secretLast4: fresh.apiKey.secretLast4 },
    });
    key.secret = fresh.secret;

    const no = await send(M.regenerateApiKeySecret, { id: key.id }, member.headers);
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'apiKey.secretRegenerated',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: refused('regenerateApiKeySecret', 'FORBIDDEN'),
    });
    expect((await keyRow(key.id)).secret_version).toBe(2);
  });

  it("verifyApiCredentials (the first use from an address is a row of its own; every use is counted in the key's minute row, once flushed)", async () => {
    // the new-address row and the second it is watched for fall in one minute: no minute row meanwhile
    await clearOfMinuteTurn(10_000);
    const ok = await send(M.verifyApiCredentials, {
      k: key.key,
      s: key.secret,
      r: ['orders:read'],
      ip: '203.0.113.9',
    });
    expect(ok.data!.verifyApiCredentials).toEqual({ valid: true, code: 'VALID' });
    const keyRowOf = {
      actor: { apiKey: key },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
    };
    // the key's first use, from this file's address: written within a second, not per minute.
    // The caller is no gateway named in TRUST_PROXY: its own address is recorded, not the client it names.
    await expectOneRow(
      ok,
      {
        action: 'apiKey.usedFromNewAddress',
        outcome: 'SUCCESS',
        ...keyRowOf,
        metadata: { code: 'VALID', via: 'verifyApiCredentials' },
      },
      true,
    );
    // the minute's uses, written once it is over (here: at once), as the first use's request
    await t.server.services.usage.flush(true);
    const rows = await auditRowsOfRequest(t, ok.requestId);
    expect(rows.map((r) => r.action)).toEqual(['apiKey.usedFromNewAddress', 'apiKey.used']);
    const used = rows[1];
    expect(used).toMatchObject({
      outcome: 'SUCCESS',
      actor_type: 'API_KEY',
      actor_user_id: null,
      actor_api_key_id: key.id,
      actor_label: key.key,
      team_id: team.id,
      target_type: 'ApiKey',
      target_id: key.id,
      ip,
      user_agent: ok.userAgent,
    });
    const minute = new Date(Math.floor(new Date(used.occurred_at).getTime() / 60_000) * 60_000);
    expect(used.metadata).toEqual({
      count: 1,
      minute: minute.toISOString(),
      lastAt: new Date(used.occurred_at).toISOString(),
      uses: [{ address: ip, code: 'VALID', via: 'verifyApiCredentials', count: 1 }],
    });

    const no = await send(M.verifyApiCredentials, { k: key.key, s: key.secret, ip: 'not-an-ip' });
    expect(code(no)).toBe('BAD_USER_INPUT');
    await expectCountedInSecurityLog(no, {
      outcome: 'FAILURE',
      mutation: 'verifyApiCredentials',
      code: 'BAD_USER_INPUT',
    });
  });

  it('revokeApiKey', async () => {
    const no = await send(M.revokeApiKey, { id: key.id }, member.headers);
    expect(code(no)).toBe('FORBIDDEN');
    await expectOneRow(no, {
      action: 'apiKey.revoked',
      outcome: 'DENIED',
      actor: { user: member },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: refused('revokeApiKey', 'FORBIDDEN'),
    });
    expect((await keyRow(key.id)).revoked_at).toBeNull();

    const ok = await send(M.revokeApiKey, { id: key.id }, owner.headers);
    expect(ok.data!.revokeApiKey.status).toBe('REVOKED');
    await expectOneRow(ok, {
      action: 'apiKey.revoked',
      outcome: 'SUCCESS',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: { key: key.key, alreadyRevoked: false },
    });
  });

  it('a mutation tried with an API key: its refusal, plus the trace of the key use, nothing more', async () => {
    const reader = await createKey(t, owner, team.id, { scopes: ['team:read'] });
    const no = await send(
      M.createRole,
      { t: team.id, n: 'From a key', p: [] },
      basic(reader.key, reader.secret),
    );
    expect(code(no)).toBe('FORBIDDEN');
    // the key's only use so far: its minute row and its first address carry this request
    await t.server.services.usage.flush(true);
    const rows = await auditRowsOfRequest(t, no.requestId);
    expect(
      rows.map((r) => `${r.action}:${r.outcome}:${r.actor_type}:${r.actor_api_key_id}`).sort(),
    ).toEqual([
      `apiKey.used:SUCCESS:API_KEY:${reader.id}`,
      `apiKey.usedFromNewAddress:SUCCESS:API_KEY:${reader.id}`,
      `role.created:DENIED:API_KEY:${reader.id}`,
    ]);
    expect(rows.find((r) => r.action === 'apiKey.used')!.metadata).toMatchObject({
      count: 1,
      uses: [{ address: ip, code: 'VALID', via: 'graphql', count: 1 }],
    });
    expect(rows.find((r) => r.action === 'apiKey.usedFromNewAddress')!.metadata).toEqual({
      code: 'VALID',
      via: 'graphql',
    });
  });

  it('leaves the team chain intact', async () => {
    const res = await t.gql(VERIFY_CHAIN_QUERY, { t: team.id }, owner.headers);
    expect(res.data!.verifyAuditChain).toMatchObject({ valid: true, firstBrokenEventId: null });
    expect(res.data!.verifyAuditChain.checkedEvents).toBe((await chainOf(t, team.id)).length);
  });
});

/**
 * The change and its audit row commit together or not at all: a trigger (made here, as
 * superuser) makes the INSERT of one particular audit row fail, and the change it goes with
 * must then not have happened.
 */
describe('a change whose audit row cannot be written does not happen', () => {
  async function withFailingAuditInsert<T>(condition: string, body: () => Promise<T>): Promise<T> {
    const name = `test_fail_audit_${randomBytes(4).toString('hex')}`;
    await t.dataSource.query(`
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${condition} THEN RAISE EXCEPTION 'injected audit failure ${name}'; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER ${name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    );
    try {
      return await body();
    } finally {
      await t.dataSource.query(`DROP TRIGGER IF EXISTS ${name} ON audit_events`);
      await t.dataSource.query(`DROP FUNCTION IF EXISTS ${name}()`);
    }
  }

  function expectPlainInternalError(res: Sent) {
    expect(res.errors).toHaveLength(1);
    const [error] = res.errors!;
    expect(error.message).toBe('Internal server error');
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(res.text).not.toMatch(/injected|audit_events|stack|at .*\.ts|INSERT/i);
  }

  async function status(id: string) {
    const res = await t.gql(
      `query($id: ID!) { apiKey(id: $id) { status secretVersion revokedAt } }`,
      { id },
      owner.headers,
    );
    return res.data!.apiKey;
  }

  it('revokeApiKey: INTERNAL_SERVER_ERROR, the key stays ACTIVE and keeps verifying', async () => {
    const k = await createKey(t, owner, team.id, { name: 'rollback-revoke' });
    const res = await withFailingAuditInsert(
      `NEW.team_id = '${team.id}' AND NEW.action = 'apiKey.revoked' AND NEW.outcome = 'SUCCESS'`,
      () => send(M.revokeApiKey, { id: k.id }, owner.headers),
    );
    expectPlainInternalError(res);
    expect(res.data?.revokeApiKey ?? null).toBeNull();
    expect(await status(k.id)).toEqual({ status: 'ACTIVE', secretVersion: 1, revokedAt: null });
    const check = await send(M.verifyApiCredentials, { k: k.key, s: k.secret });
    expect(check.data!.verifyApiCredentials).toEqual({ valid: true, code: 'VALID' });
    // The attempt itself is on record: one FAILURE row, and no SUCCESS row for a change that didn't happen.
    await expectOneRow(res, {
      action: 'apiKey.revoked',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: team.id,
      targetType: 'ApiKey',
      targetId: k.id,
      metadata: refused('revokeApiKey', 'INTERNAL_SERVER_ERROR'),
    });

    // Without the trigger the same call goes through: the trigger was the only obstacle.
    const again = await send(M.revokeApiKey, { id: k.id }, owner.headers);
    expect(again.data!.revokeApiKey.status).toBe('REVOKED');
  });

  it('regenerateApiKeySecret: no new secret is handed out, the old one keeps working', async () => {
    const k = await createKey(t, owner, team.id, { name: 'rollback-regenerate' });
    const res = await withFailingAuditInsert(
      `NEW.team_id = '${team.id}' AND NEW.action = 'apiKey.secretRegenerated' AND NEW.outcome = 'SUCCESS'`,
      () => send(M.regenerateApiKeySecret, { id: k.id }, owner.headers),
    );
    expectPlainInternalError(res);
    expect(res.text).not.toMatch(/emps_/);
    expect(await status(k.id)).toMatchObject({ status: 'ACTIVE', secretVersion: 1 });
    const check = await send(M.verifyApiCredentials, { k: k.key, s: k.secret });
    expect(check.data!.verifyApiCredentials.code).toBe('VALID');
  });

  it('createTeam: the team, its roles and its owner membership are not created', async () => {
    const name = `Rollback team ${randomBytes(4).toString('hex')}`;
    const [{ n: membershipsBefore }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM memberships WHERE user_id = $1`,
      [owner.id],
    );
    const res = await withFailingAuditInsert(
      `NEW.action = 'team.created' AND NEW.outcome = 'SUCCESS' AND NEW.metadata->>'name' = '${name}'`,
      () => send(M.createTeam, { n: name }, owner.headers),
    );
    expectPlainInternalError(res);
    expect(await t.dataSource.query(`SELECT id FROM teams WHERE name = $1`, [name])).toHaveLength(
      0,
    );
    const [{ n: membershipsAfter }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM memberships WHERE user_id = $1`,
      [owner.id],
    );
    expect(membershipsAfter).toBe(membershipsBefore);
    expect(
      await t.dataSource.query(
        `SELECT 1 FROM roles r WHERE NOT EXISTS (SELECT 1 FROM teams WHERE id = r.team_id)`,
      ),
    ).toHaveLength(0);
    await expectOneRow(res, {
      action: 'team.created',
      outcome: 'FAILURE',
      actor: { user: owner },
      teamId: null,
      targetType: null,
      targetId: null,
      metadata: refused('createTeam', 'INTERNAL_SERVER_ERROR'),
    });
  });
});

describe('no secret, password or session token in any audit row', () => {
  it('after a whole lifecycle of people, sessions and keys', async () => {
    const needles: { label: string; value: string }[] = [];
    const add = (label: string, value: string) => {
      needles.push({ label, value });
      needles.push({
        label: `${label} (sha256 hex)`,
        value: createHash('sha256').update(value).digest('hex'),
      });
      needles.push({
        label: `${label} (sha256 base64)`,
        value: createHash('sha256').update(value).digest('base64'),
      });
    };
    const password = `lifecycle-password-${randomBytes(6).toString('hex')}`;
    const email = uniqueEmail('lifecycle');
    add('password', password);
    const signed = await send(M.signUp, { e: email, p: password, n: 'Lifecycle' });
    add('signUp token', signed.data!.signUp.token);
    const wrong = `wrong-password-${randomBytes(6).toString('hex')}`;
    add('mistyped password', wrong);
    expect(code(await send(M.logIn, { e: email, p: wrong }))).toBe('UNAUTHENTICATED');
    const tooShort = `sh${randomBytes(2).toString('hex')}`;
    add('rejected short password', tooShort);
    expect(code(await send(M.signUp, { e: uniqueEmail('short'), p: tooShort, n: 'x' }))).toBe(
      'BAD_USER_INPUT',
    );
    const session = (await send(M.logIn, { e: email, p: password })).data!.logIn.token;
    add('logIn token', session);
    const auth = { authorization: `Bearer ${session}` };
    const teamId = (await send(M.createTeam, { n: 'Lifecycle team' }, auth)).data!.createTeam.id;

    const created = (
      await send(
        M.createApiKey,
        { input: { teamId, name: 'lifecycle', scopes: ['audit:read', 'orders:read'] } },
        auth,
      )
    ).data!.createApiKey;
    const k = { id: created.apiKey.id, key: created.apiKey.key };
    add('secret v1', created.secret);
    const v2 = (await send(M.regenerateApiKeySecret, { id: k.id }, auth)).data!
      .regenerateApiKeySecret.secret;
    add('secret v2', v2);
    add('Basic header', Buffer.from(`${k.key}:${v2}`).toString('base64'));
    expect(
      (await send(M.verifyApiCredentials, { k: k.key, s: v2, r: ['orders:read'] })).data!
        .verifyApiCredentials.code,
    ).toBe('VALID');
    expect(
      (await send(M.verifyApiCredentials, { k: k.key, s: created.secret })).data!
        .verifyApiCredentials.code,
    ).toBe('INVALID');
    expect(code(await send(M.verifyApiCredentials, { k: k.key, s: v2, ip: 'nope' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect((await send(`{ viewer { type } }`, {}, basic(k.key, v2))).status).toBe(200);
    expect(
      (await send(`{ viewer { type } }`, {}, { 'x-api-key': k.key, 'x-api-secret': v2 })).status,
    ).toBe(200);
    const authorize = await fetch(`${t.url}/v1/authorize`, {
      headers: { ...basic(k.key, v2), 'x-required-scopes': 'orders:read' },
    });
    expect(authorize.status).toBe(200);
    expect(
      code(await send(M.updateApiKey, { id: k.id, input: { scopes: ['members:manage'] } }, auth)),
    ).toBe('BAD_USER_INPUT');
    await send(M.revokeApiKey, { id: k.id }, auth);
    expect((await send(M.logOut, {}, auth)).data!.logOut).toBe(true);
    // every key use of the lifecycle is written
    await eventually(async () => {
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE api_key_id = $1 AND action = 'apiKey.used'`,
        [k.id],
      );
      return n >= 5;
    });

    const mine: { row: string }[] = await t.dataSource.query(
      `SELECT e::text AS row FROM audit_events e WHERE e.team_id = $1 OR e.actor_label = $2`,
      [teamId, email],
    );
    expect(mine.length).toBeGreaterThan(8);
    const all: { row: string }[] = await t.dataSource.query(
      `SELECT e::text AS row FROM audit_events e`,
    );
    const text = all.map((r) => r.row).join('\n');
    const found = needles.filter((n) => text.includes(n.value)).map((n) => n.label);
    expect(found).toEqual([]);
    // and not even a long piece of a secret
    for (const s of [created.secret, v2]) expect(text).not.toContain(s.slice(5, 30));
  });
});
