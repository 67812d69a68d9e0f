import {
  AcceptInvitationDocument,
  AddTeamMemberDocument,
  ChangeMemberRoleDocument,
  CreateRoleDocument,
  DeleteRoleDocument,
  GrantPermissionDocument,
  InviteTeamMemberDocument,
  RemoveTeamMemberDocument,
  RevokeInvitationDocument,
  RevokePermissionGrantDocument,
  TeamDocument,
  TeamMembersDocument,
  TeamRolesDocument,
  TeamsDocument,
  UpdateRoleDocument,
} from '../clients/generated/graphql';
import {
  addMember,
  createTeam,
  grant,
  invite,
  platformAdmin,
  type SignedInUser,
  signUp,
  type TeamFixture,
} from '../helpers/factories';
import {
  codeOf,
  documentText,
  type AnyDocument,
  type GraphQLAnswer,
  type Variables,
} from '../helpers/graphql';
import { seedOn } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The rules of teams, roles and grants, over real HTTP: who is Owner, that a team keeps one, that
 * nobody hands out more than they hold, what built-in and custom roles may do, and that another
 * team's objects do not exist for you.
 */

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

const DOC = {
  team: TeamDocument,
  members: TeamMembersDocument,
  roles: TeamRolesDocument,
  addMember: AddTeamMemberDocument,
  invite: InviteTeamMemberDocument,
  accept: AcceptInvitationDocument,
  revokeInvitation: RevokeInvitationDocument,
  changeRole: ChangeMemberRoleDocument,
  remove: RemoveTeamMemberDocument,
  grant: GrantPermissionDocument,
  revoke: RevokePermissionGrantDocument,
  createRole: CreateRoleDocument,
  updateRole: UpdateRoleDocument,
  deleteRole: DeleteRoleDocument,
};

const ALL = [
  'apiKeys:create',
  'apiKeys:manage',
  'apiKeys:read',
  'audit:read',
  'members:manage',
  'members:read',
  'roles:manage',
  'team:manage',
  'team:read',
  'webhooks:manage',
];

function ok<T>(res: GraphQLAnswer<T>): T {
  if (res.errors?.length || !res.data)
    throw new Error(`expected success, got ${res.status} ${JSON.stringify(res.errors)}`);
  return res.data;
}

async function roleName(membershipId: string): Promise<string | null> {
  const rows = await t.dataSource.query(
    `SELECT r.name FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.id = $1`,
    [membershipId],
  );
  return rows[0]?.name ?? null;
}

async function ownerCount(teamId: string): Promise<number> {
  const [row] = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.team_id = $1 AND r.built_in AND r.name = 'Owner'`,
    [teamId],
  );
  return row.n;
}

async function membershipOf(teamId: string, userId: string): Promise<string> {
  const [row] = await t.dataSource.query(
    `SELECT id FROM memberships WHERE team_id = $1 AND user_id = $2`,
    [teamId, userId],
  );
  return row.id;
}

async function createRole(
  by: SignedInUser,
  teamId: string,
  name: string,
  permissions: string[],
): Promise<string> {
  return ok(await t.gql(DOC.createRole, { teamId, name, permissions }, by.headers)).createRole.id;
}

async function viewerPermissions(user: SignedInUser, teamId: string): Promise<string[] | string> {
  const res = await t.gql(DOC.team, { id: teamId }, user.headers);
  return res.data?.team?.viewerPermissions ?? codeOf(res)!;
}

/** A team with an owner, and helpers to add people to it. */
function teamWithOwner(name = 'Team'): PromiseLike<{ owner: SignedInUser; team: TeamFixture }> {
  return seedOn(t).owner('owner').team(name);
}

async function newMember(
  by: SignedInUser,
  team: TeamFixture,
  role: string,
  prefix = 'member',
): Promise<{ user: SignedInUser; membershipId: string }> {
  const user = await signUp(t, prefix);
  return {
    user,
    membershipId: await addMember(t, by, team.id, user.email, team.roles[role] ?? role),
  };
}

describe('a new team', () => {
  it('makes its creator the Owner and gets the four built-in roles with the permissions of the design', async () => {
    const { owner, team } = await teamWithOwner('Fresh');
    const roles = ok(await t.gql(DOC.roles, { id: team.id }, owner.headers)).team.roles;
    const byName = Object.fromEntries(roles.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['Admin', 'Auditor', 'Member', 'Owner']);
    for (const role of roles) {
      expect(role.builtIn).toBe(true);
      expect(role.description).toEqual(expect.any(String));
    }
    expect([...byName.Owner.permissions].sort()).toEqual(ALL);
    expect([...byName.Admin.permissions].sort()).toEqual(ALL.filter((p) => p !== 'team:manage'));
    expect([...byName.Member.permissions].sort()).toEqual([
      'apiKeys:read',
      'members:read',
      'team:read',
    ]);
    expect([...byName.Auditor.permissions].sort()).toEqual([
      'apiKeys:read',
      'audit:read',
      'members:read',
      'team:read',
    ]);

    const members = ok(await t.gql(DOC.members, { id: team.id }, owner.headers)).team.members;
    expect(members).toEqual([
      {
        id: expect.any(String),
        user: { id: owner.id, email: owner.email },
        role: { name: 'Owner' },
        grants: [],
      },
    ]);
    expect(await viewerPermissions(owner, team.id)).toEqual(ALL);

    const teams = ok(await t.gql(`{ teams { id name } }`, {}, owner.headers)).teams;
    expect(teams).toEqual([{ id: team.id, name: 'Fresh' }]);
  });

  it('each team gets roles of its own', async () => {
    const { owner, team } = await teamWithOwner('One');
    const other = await createTeam(t, owner, 'Two');
    expect(Object.values(other.roles)).toHaveLength(4);
    for (const id of Object.values(other.roles))
      expect(Object.values(team.roles)).not.toContain(id);
    const list = ok(await t.gql(TeamsDocument, {}, owner.headers)).teams.map((x) => x.id);
    expect(list).toEqual([team.id, other.id]);
  });
});

describe('a team always keeps at least one Owner', () => {
  it('the last Owner can be neither demoted nor removed, by itself or by a platform admin', async () => {
    const { owner, team } = await teamWithOwner();
    const admin = await platformAdmin(t);
    const mine = await membershipOf(team.id, owner.id);
    for (const by of [owner, admin]) {
      const demote = await t.gql(
        DOC.changeRole,
        { membershipId: mine, roleId: team.roles.Admin },
        by.headers,
      );
      expect(codeOf(demote)).toBe('CONFLICT');
      const remove = await t.gql(DOC.remove, { membershipId: mine }, by.headers);
      expect(codeOf(remove)).toBe('CONFLICT');
    }
    expect(await roleName(mine)).toBe('Owner');
    expect(await viewerPermissions(owner, team.id)).toEqual(ALL);
  });

  it('with two Owners one may step down; then the other is the last', async () => {
    const { owner, team } = await teamWithOwner();
    const second = await newMember(owner, team, 'Owner', 'second-owner');
    const mine = await membershipOf(team.id, owner.id);
    expect(
      ok(
        await t.gql(
          DOC.changeRole,
          { membershipId: mine, roleId: team.roles.Member },
          owner.headers,
        ),
      ).changeMemberRole.role,
    ).toEqual({ name: 'Member' });
    expect(await ownerCount(team.id)).toBe(1);
    expect(
      codeOf(await t.gql(DOC.remove, { membershipId: second.membershipId }, second.user.headers)),
    ).toBe('CONFLICT');
    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: second.membershipId, roleId: team.roles.Admin },
          second.user.headers,
        ),
      ),
    ).toBe('CONFLICT');
    expect(await ownerCount(team.id)).toBe(1);
  });

  it('two Owners demoting each other at the same moment leave one Owner', async () => {
    for (let round = 0; round < 4; round++) {
      const { owner, team } = await teamWithOwner();
      const second = await newMember(owner, team, 'Owner', 'second-owner');
      const mine = await membershipOf(team.id, owner.id);
      const results = await Promise.all([
        t.gql(
          DOC.changeRole,
          { membershipId: second.membershipId, roleId: team.roles.Admin },
          owner.headers,
        ),
        t.gql(
          DOC.changeRole,
          { membershipId: mine, roleId: team.roles.Admin },
          second.user.headers,
        ),
      ]);
      expect(results.map((r) => r.status).filter((s) => s >= 500)).toEqual([]);
      expect(results.filter((r) => !r.errors).length).toBe(1);
      expect(await ownerCount(team.id)).toBe(1);
    }
  });

  it('a platform admin demoting (or removing) both Owners at once succeeds once: one Owner is left', async () => {
    const admin = await platformAdmin(t);
    for (let round = 0; round < 4; round++) {
      const { owner, team } = await teamWithOwner();
      const second = await newMember(owner, team, 'Owner', 'second-owner');
      const mine = await membershipOf(team.id, owner.id);
      const remove = round % 2 === 1;
      const results = await Promise.all(
        [mine, second.membershipId].map((m) =>
          remove
            ? t.gql(DOC.remove, { membershipId: m }, admin.headers)
            : t.gql(DOC.changeRole, { membershipId: m, roleId: team.roles.Member }, admin.headers),
        ),
      );
      expect(results.map((r) => codeOf(r) ?? 'ok').sort()).toEqual(['CONFLICT', 'ok']);
      expect(await ownerCount(team.id)).toBe(1);
    }
  });
});

describe('nobody hands out what they do not hold', () => {
  it('a member granted members:manage (but not apiKeys:manage) cannot grant apiKeys:manage, nor give roles above its own', async () => {
    const { owner, team } = await teamWithOwner();
    const manager = await newMember(owner, team, 'Member', 'manager');
    await grant(t, owner, manager.membershipId, 'members:manage');
    const target = await newMember(owner, team, 'Member', 'target');
    const admin = await newMember(owner, team, 'Admin', 'admin');

    const denied = await t.gql(
      DOC.grant,
      { membershipId: target.membershipId, permission: 'apiKeys:manage' },
      manager.user.headers,
    );
    expect(codeOf(denied)).toBe('FORBIDDEN');
    // ... nor to itself
    expect(
      codeOf(
        await t.gql(
          DOC.grant,
          { membershipId: manager.membershipId, permission: 'apiKeys:manage' },
          manager.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    // What it holds, it may grant.
    expect(
      ok(
        await t.gql(
          DOC.grant,
          { membershipId: target.membershipId, permission: 'members:manage' },
          manager.user.headers,
        ),
      ).grantPermission.permission,
    ).toBe('members:manage');

    const outsider = await signUp(t, 'outsider');
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { teamId: team.id, email: outsider.email, roleId: team.roles.Admin },
          manager.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { teamId: team.id, email: outsider.email, roleId: team.roles.Owner },
          manager.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: target.membershipId, roleId: team.roles.Auditor },
          manager.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    // It can't demote or remove someone who holds more than it does.
    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: admin.membershipId, roleId: team.roles.Member },
          manager.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(await t.gql(DOC.remove, { membershipId: admin.membershipId }, manager.user.headers)),
    ).toBe('FORBIDDEN');
    // A grant of a permission it lacks is not its to revoke.
    const keyGrant = await grant(t, owner, target.membershipId, 'apiKeys:manage');
    expect(codeOf(await t.gql(DOC.revoke, { id: keyGrant }, manager.user.headers))).toBe(
      'FORBIDDEN',
    );
    // With the Member role it may invite people.
    expect(
      ok(
        await t.gql(
          DOC.invite,
          { teamId: team.id, email: outsider.email, roleId: team.roles.Member },
          manager.user.headers,
        ),
      ).inviteTeamMember.roleName,
    ).toBe('Member');

    expect(await roleName(target.membershipId)).toBe('Member');
    expect(await roleName(admin.membershipId)).toBe('Admin');
    const grants = await t.dataSource.query(
      `SELECT permission FROM permission_grants WHERE membership_id = $1 ORDER BY permission`,
      [target.membershipId],
    );
    expect(grants.map((g: { permission: string }) => g.permission)).toEqual([
      'apiKeys:manage',
      'members:manage',
    ]);
  });

  it('a member granted roles:manage cannot make or change a role beyond its own permissions', async () => {
    const { owner, team } = await teamWithOwner();
    const designer = await newMember(owner, team, 'Member', 'designer');
    await grant(t, owner, designer.membershipId, 'roles:manage');
    expect(
      codeOf(
        await t.gql(
          DOC.createRole,
          { teamId: team.id, name: 'Keys', permissions: ['apiKeys:manage'] },
          designer.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    const mine = ok(
      await t.gql(
        DOC.createRole,
        { teamId: team.id, name: 'Readers', permissions: ['team:read', 'members:read'] },
        designer.user.headers,
      ),
    ).createRole;
    expect(
      codeOf(
        await t.gql(
          DOC.updateRole,
          { id: mine.id, permissions: ['team:read', 'audit:read'] },
          designer.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    const auditors = await createRole(owner, team.id, 'Log readers', ['team:read', 'audit:read']);
    expect(
      codeOf(await t.gql(DOC.updateRole, { id: auditors, name: 'Renamed' }, designer.user.headers)),
    ).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(DOC.deleteRole, { id: auditors }, designer.user.headers))).toBe(
      'FORBIDDEN',
    );
    const [row] = await t.dataSource.query(`SELECT name, permissions FROM roles WHERE id = $1`, [
      auditors,
    ]);
    expect(row).toEqual({ name: 'Log readers', permissions: ['audit:read', 'team:read'] });
  });

  it('an Admin cannot make anyone Owner, nor demote, remove or out-grant an Owner', async () => {
    const { owner, team } = await teamWithOwner();
    const admin = await newMember(owner, team, 'Admin', 'admin');
    const member = await newMember(owner, team, 'Member', 'member');
    const outsider = await signUp(t, 'outsider');
    const ownerMembership = await membershipOf(team.id, owner.id);

    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: member.membershipId, roleId: team.roles.Owner },
          admin.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: admin.membershipId, roleId: team.roles.Owner },
          admin.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { teamId: team.id, email: outsider.email, roleId: team.roles.Owner },
          admin.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.grant,
          { membershipId: member.membershipId, permission: 'team:manage' },
          admin.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: ownerMembership, roleId: team.roles.Admin },
          admin.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(await t.gql(DOC.remove, { membershipId: ownerMembership }, admin.user.headers)),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.createRole,
          { teamId: team.id, name: 'Almost owner', permissions: ['team:manage'] },
          admin.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect([
      await roleName(member.membershipId),
      await roleName(admin.membershipId),
      await roleName(ownerMembership),
    ]).toEqual(['Member', 'Admin', 'Owner']);

    // An Admin does manage everything else, and an Owner may make another Owner.
    expect(
      ok(
        await t.gql(
          DOC.changeRole,
          { membershipId: member.membershipId, roleId: team.roles.Auditor },
          admin.user.headers,
        ),
      ).changeMemberRole.role.name,
    ).toBe('Auditor');
    expect(
      ok(
        await t.gql(
          DOC.changeRole,
          { membershipId: member.membershipId, roleId: team.roles.Owner },
          owner.headers,
        ),
      ).changeMemberRole.role.name,
    ).toBe('Owner');
    expect(await ownerCount(team.id)).toBe(2);
  });
});

describe('roles', () => {
  it('built-in roles can be neither changed nor deleted, even by an Owner or a platform admin', async () => {
    const { owner, team } = await teamWithOwner();
    const admin = await platformAdmin(t);
    const before = await t.dataSource.query(
      `SELECT id, name, permissions FROM roles WHERE team_id = $1 ORDER BY id`,
      [team.id],
    );
    for (const by of [owner, admin]) {
      for (const [name, id] of Object.entries(team.roles)) {
        const update = await t.gql(
          DOC.updateRole,
          { id, name: `${name} 2`, permissions: ['team:read'] },
          by.headers,
        );
        expect({ name, code: codeOf(update) }).toEqual({ name, code: 'BAD_USER_INPUT' });
        const del = await t.gql(DOC.deleteRole, { id }, by.headers);
        expect({ name, code: codeOf(del) }).toEqual({ name, code: 'BAD_USER_INPUT' });
      }
    }
    expect(
      await t.dataSource.query(
        `SELECT id, name, permissions FROM roles WHERE team_id = $1 ORDER BY id`,
        [team.id],
      ),
    ).toEqual(before);
  });

  it('a role in use cannot be deleted (CONFLICT); once nobody holds it, it can', async () => {
    const { owner, team } = await teamWithOwner();
    const roleId = await createRole(owner, team.id, 'Support', ['team:read']);
    const member = await newMember(owner, team, roleId, 'support');
    expect(codeOf(await t.gql(DOC.deleteRole, { id: roleId }, owner.headers))).toBe('CONFLICT');
    expect(await roleName(member.membershipId)).toBe('Support');
    ok(
      await t.gql(
        DOC.changeRole,
        { membershipId: member.membershipId, roleId: team.roles.Member },
        owner.headers,
      ),
    );
    expect(ok(await t.gql(DOC.deleteRole, { id: roleId }, owner.headers)).deleteRole).toBe(true);
    expect(await t.dataSource.query(`SELECT id FROM roles WHERE id = $1`, [roleId])).toEqual([]);
  });

  it('a role name is unique in its team without regard to case (CONFLICT), also against built-in names', async () => {
    const { owner, team } = await teamWithOwner();
    const { team: other, owner: otherOwner } = await teamWithOwner();
    await createRole(owner, team.id, 'Support', ['team:read']);
    for (const name of ['Support', 'SUPPORT', ' support ', 'owner', 'Member']) {
      const res = await t.gql(
        DOC.createRole,
        { teamId: team.id, name, permissions: [] },
        owner.headers,
      );
      expect({ name, code: codeOf(res) }).toEqual({ name, code: 'CONFLICT' });
    }
    const billing = await createRole(owner, team.id, 'Billing', []);
    expect(
      codeOf(await t.gql(DOC.updateRole, { id: billing, name: 'support' }, owner.headers)),
    ).toBe('CONFLICT');
    // Another team may have its own Support.
    await createRole(otherOwner, other.id, 'Support', []);
    // At the same moment: one wins.
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.gql(DOC.createRole, { teamId: team.id, name: 'Race', permissions: [] }, owner.headers),
      ),
    );
    expect(results.map((r) => codeOf(r) ?? 'ok').sort()).toEqual([
      'CONFLICT',
      'CONFLICT',
      'CONFLICT',
      'CONFLICT',
      'ok',
    ]);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM roles WHERE team_id = $1 AND lower(name) = 'race'`,
      [team.id],
    );
    expect(n).toBe(1);
  });

  it('a change to a custom role takes effect at once for its members', async () => {
    const { owner, team } = await teamWithOwner();
    const roleId = await createRole(owner, team.id, 'Viewer', ['team:read']);
    const viewer = await newMember(owner, team, roleId, 'viewer');

    expect(await viewerPermissions(viewer.user, team.id)).toEqual(['team:read']);
    expect(codeOf(await t.gql(DOC.members, { id: team.id }, viewer.user.headers))).toBe(
      'FORBIDDEN',
    );

    ok(
      await t.gql(
        DOC.updateRole,
        { id: roleId, permissions: ['team:read', 'members:read'] },
        owner.headers,
      ),
    );
    expect(await viewerPermissions(viewer.user, team.id)).toEqual(['members:read', 'team:read']);
    expect(
      ok(await t.gql(DOC.members, { id: team.id }, viewer.user.headers)).team.members,
    ).toHaveLength(2);

    ok(await t.gql(DOC.updateRole, { id: roleId, permissions: ['members:read'] }, owner.headers));
    // Still a member: it sees that the team exists, but may not read it, nor list it (with its roles).
    expect(await viewerPermissions(viewer.user, team.id)).toBe('FORBIDDEN');
    expect(
      ok(await t.gql(`{ teams { id name roles { name } } }`, {}, viewer.user.headers)).teams,
    ).toEqual([]);

    ok(
      await t.gql(
        DOC.updateRole,
        { id: roleId, permissions: ['team:read', 'roles:manage'] },
        owner.headers,
      ),
    );
    expect(ok(await t.gql(`{ teams { id } }`, {}, viewer.user.headers)).teams).toEqual([
      { id: team.id },
    ]);
    expect(
      ok(
        await t.gql(
          DOC.createRole,
          { teamId: team.id, name: 'Made by viewer', permissions: ['team:read'] },
          viewer.user.headers,
        ),
      ).createRole.name,
    ).toBe('Made by viewer');
  });

  it('revoking a grant takes its permission away at once', async () => {
    const { owner, team } = await teamWithOwner();
    const member = await newMember(owner, team, 'Member');
    const grantId = await grant(t, owner, member.membershipId, 'members:manage');
    expect(await viewerPermissions(member.user, team.id)).toEqual([
      'apiKeys:read',
      'members:manage',
      'members:read',
      'team:read',
    ]);
    const first = await signUp(t, 'first');
    ok(
      await t.gql(
        DOC.invite,
        { teamId: team.id, email: first.email, roleId: team.roles.Member },
        member.user.headers,
      ),
    );

    expect(ok(await t.gql(DOC.revoke, { id: grantId }, owner.headers)).revokePermissionGrant).toBe(
      true,
    );
    expect(await viewerPermissions(member.user, team.id)).toEqual([
      'apiKeys:read',
      'members:read',
      'team:read',
    ]);
    const second = await signUp(t, 'second');
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { teamId: team.id, email: second.email, roleId: team.roles.Member },
          member.user.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    // A revoked grant is gone: revoking it again finds nothing.
    expect(codeOf(await t.gql(DOC.revoke, { id: grantId }, owner.headers))).toBe('NOT_FOUND');
  });

  it('a removed member loses the team and its grants', async () => {
    const { owner, team } = await teamWithOwner();
    const member = await newMember(owner, team, 'Member');
    await grant(t, owner, member.membershipId, 'apiKeys:create');
    ok(await t.gql(DOC.remove, { membershipId: member.membershipId }, owner.headers));
    expect(await viewerPermissions(member.user, team.id)).toBe('NOT_FOUND');
    expect(ok(await t.gql(`{ teams { id } }`, {}, member.user.headers)).teams).toEqual([]);
    expect(
      await t.dataSource.query(`SELECT id FROM permission_grants WHERE membership_id = $1`, [
        member.membershipId,
      ]),
    ).toEqual([]);
  });

  it('a role deleted while it is being given (a role change, an invitation accepted): one of the two wins cleanly, never a 500', async () => {
    const { owner, team } = await teamWithOwner();
    const members = await Promise.all([1, 2, 3].map(() => newMember(owner, team, 'Member')));
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const roleId = await createRole(owner, team.id, `Short-lived ${round}`, ['team:read']);
      const { membershipId } = members[round % members.length];
      const late = await signUp(t, 'late');
      const invitationId = round % 2 ? null : await invite(t, owner, team.id, late.email, roleId);
      const [deleted, changed] = await Promise.all([
        t.gql(DOC.deleteRole, { id: roleId }, owner.headers),
        invitationId
          ? t.gql(DOC.accept, { id: invitationId }, late.headers)
          : t.gql(DOC.changeRole, { membershipId, roleId }, owner.headers),
      ]);
      const outcome = `${codeOf(deleted) ?? 'ok'}/${codeOf(changed) ?? 'ok'}`;
      outcomes.add(outcome);
      // the role change loses with NOT_FOUND, the acceptance with CONFLICT (its role is gone)
      expect(
        invitationId ? ['ok/CONFLICT', 'CONFLICT/ok'] : ['ok/NOT_FOUND', 'CONFLICT/ok'],
      ).toContain(outcome);
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM memberships WHERE role_id = $1`,
        [roleId],
      );
      expect(n).toBe(outcome === 'CONFLICT/ok' ? 1 : 0);
      await t.gql(DOC.changeRole, { membershipId, roleId: team.roles.Member }, owner.headers);
    }
  });

  it('a grant revoked twice at once is revoked once: true, then NOT_FOUND', async () => {
    const { owner, team } = await teamWithOwner();
    const member = await newMember(owner, team, 'Member');
    for (let round = 0; round < 4; round++) {
      const grantId = await grant(t, owner, member.membershipId, 'apiKeys:create');
      const results = await Promise.all(
        [1, 2, 3].map(() => t.gql(DOC.revoke, { id: grantId }, owner.headers)),
      );
      expect(results.map((r) => codeOf(r) ?? String(r.data?.revokePermissionGrant)).sort()).toEqual(
        ['NOT_FOUND', 'NOT_FOUND', 'true'],
      );
    }
  });

  it('a member accepting a second invitation is CONFLICT (the role stays); a grant given twice is CONFLICT', async () => {
    const { owner, team } = await teamWithOwner();
    const member = await newMember(owner, team, 'Member');
    // Inviting a member answers as for anyone (it must not tell who has an account); accepting can't join twice.
    const again = await invite(t, owner, team.id, member.user.email, team.roles.Auditor);
    expect(codeOf(await t.gql(DOC.accept, { id: again }, member.user.headers))).toBe('CONFLICT');
    // ...and the platform admin adding them directly is CONFLICT too.
    expect(
      codeOf(
        await t.gql(
          DOC.addMember,
          { teamId: team.id, email: member.user.email, roleId: team.roles.Auditor },
          (await platformAdmin(t)).headers,
        ),
      ),
    ).toBe('CONFLICT');
    await grant(t, owner, member.membershipId, 'apiKeys:create');
    expect(
      codeOf(
        await t.gql(
          DOC.grant,
          { membershipId: member.membershipId, permission: 'apiKeys:create' },
          owner.headers,
        ),
      ),
    ).toBe('CONFLICT');
    expect(await roleName(member.membershipId)).toBe('Member');
  });
});

describe("another team's objects do not exist for you", () => {
  it('membership, role and grant ids of another team are NOT_FOUND, exactly like ids of nothing, and nothing changes', async () => {
    const mine = await teamWithOwner('Mine');
    const theirs = await teamWithOwner('Theirs');
    const theirMember = await newMember(theirs.owner, theirs.team, 'Member');
    const theirGrant = await grant(t, theirs.owner, theirMember.membershipId, 'apiKeys:create');
    const theirRole = await createRole(theirs.owner, theirs.team.id, 'Theirs only', ['team:read']);
    const outsider = await signUp(t, 'outsider');
    const theirInvitation = await invite(
      t,
      theirs.owner,
      theirs.team.id,
      outsider.email,
      theirs.team.roles.Member,
    );
    const nothing = '00000000-0000-4000-8000-00000000abcd';
    const snapshot = () =>
      t.dataSource.query(
        `SELECT (SELECT string_agg(id || ':' || role_id, ';' ORDER BY id) FROM memberships WHERE team_id = $1) AS members,
                (SELECT string_agg(id || ':' || name || ':' || array_to_string(permissions, ','), ';' ORDER BY id) FROM roles WHERE team_id = $1) AS roles,
                (SELECT count(*)::int FROM permission_grants WHERE membership_id = $2) AS grants,
                (SELECT string_agg(id || ':' || state || ':' || coalesce(role_id::text, ''), ';' ORDER BY id) FROM invitations WHERE team_id = $1) AS invitations`,
        [theirs.team.id, theirMember.membershipId],
      );
    const before = await snapshot();

    const attempts: [string, AnyDocument, Variables, Variables][] = [
      ['team', DOC.team, { id: theirs.team.id }, { id: nothing }],
      ['members', DOC.members, { id: theirs.team.id }, { id: nothing }],
      [
        'inviteTeamMember',
        DOC.invite,
        { teamId: theirs.team.id, email: outsider.email, roleId: theirs.team.roles.Admin },
        { teamId: nothing, email: outsider.email, roleId: theirs.team.roles.Admin },
      ],
      ['revokeInvitation', DOC.revokeInvitation, { id: theirInvitation }, { id: nothing }],
      [
        'changeMemberRole',
        DOC.changeRole,
        { membershipId: theirMember.membershipId, roleId: theirs.team.roles.Auditor },
        { membershipId: nothing, roleId: theirs.team.roles.Auditor },
      ],
      [
        'removeTeamMember',
        DOC.remove,
        { membershipId: theirMember.membershipId },
        { membershipId: nothing },
      ],
      [
        'grantPermission',
        DOC.grant,
        { membershipId: theirMember.membershipId, permission: 'apiKeys:read' },
        { membershipId: nothing, permission: 'apiKeys:read' },
      ],
      ['revokePermissionGrant', DOC.revoke, { id: theirGrant }, { id: nothing }],
      [
        'createRole',
        DOC.createRole,
        { teamId: theirs.team.id, name: 'Intruder', permissions: [] },
        { teamId: nothing, name: 'Intruder', permissions: [] },
      ],
      [
        'updateRole',
        DOC.updateRole,
        { id: theirRole, name: 'Hijacked' },
        { id: nothing, name: 'Hijacked' },
      ],
      ['deleteRole', DOC.deleteRole, { id: theirRole }, { id: nothing }],
    ];
    for (const [name, document, theirVars, nothingVars] of attempts) {
      const theirsRes = await t.gql(documentText(document), theirVars, mine.owner.headers);
      const nothingRes = await t.gql(documentText(document), nothingVars, mine.owner.headers);
      expect({ name, code: codeOf(theirsRes) }).toEqual({ name, code: 'NOT_FOUND' });
      // Indistinguishable from an id that does not exist.
      expect({ name, message: theirsRes.errors?.[0]?.message }).toEqual({
        name,
        message: nothingRes.errors?.[0]?.message,
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('an Owner of two teams cannot mix their roles and memberships', async () => {
    const { owner, team } = await teamWithOwner('First');
    const second = await createTeam(t, owner, 'Second');
    const member = await newMember(owner, team, 'Member');
    const secondRole = await createRole(owner, second.id, 'Second only', ['team:read']);
    const outsider = await signUp(t, 'outsider');

    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: member.membershipId, roleId: second.roles.Auditor },
          owner.headers,
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(
      codeOf(
        await t.gql(
          DOC.changeRole,
          { membershipId: member.membershipId, roleId: secondRole },
          owner.headers,
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { teamId: team.id, email: outsider.email, roleId: second.roles.Member },
          owner.headers,
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(await roleName(member.membershipId)).toBe('Member');
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM memberships WHERE user_id = $1`,
      [outsider.id],
    );
    expect(n).toBe(0);
  });

  it('a platform admin sees and manages every team', async () => {
    const { team } = await teamWithOwner('Anyone');
    const admin = await platformAdmin(t);
    expect(await viewerPermissions(admin, team.id)).toEqual(ALL);
    const ids = ok(await t.gql(TeamsDocument, {}, admin.headers)).teams.map((x) => x.id);
    expect(ids).toContain(team.id);
    const outsider = await signUp(t, 'outsider');
    expect(
      ok(
        await t.gql(
          DOC.addMember,
          { teamId: team.id, email: outsider.email, roleId: team.roles.Admin },
          admin.headers,
        ),
      ).addTeamMember.role.name,
    ).toBe('Admin');
  });
});
