import { ChangeMemberRoleDocument, FieldsOfTypeDocument } from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { chainOf } from '../helpers/audit';
import {
  accept,
  addMember,
  bearer,
  createTeam,
  grant,
  invite,
  logIn,
  PASSWORD,
  platformAdmin,
  type SignedInUser,
  signUp,
  type TeamFixture,
  uniqueEmail,
} from '../helpers/factories';
import { codeOf, typed, type GraphQLAnswer } from '../helpers/graphql';
import { seedOn } from '../helpers/seed';
import { maintainUntil, startTestServer, type TestServer } from '../helpers/server';

/**
 * Joining a team needs the person's consent, and an email's existence stays private, tried from
 * the attacker's side: a team owner who wants someone in without asking, or wants to learn who
 * has an account; a user who wants into a team through someone else's invitation; a team member
 * handing out more than they hold; an application key; anyone, when sign-up is off.
 */

interface Invitation {
  id: string;
  teamName: string;
  email: string;
  roleName: string;
  status: string;
  invitedBy: { id: string } | null;
}
type Listed = Pick<Invitation, 'id' | 'email' | 'status' | 'roleName'>;

const DOC = {
  add: `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id user { name } } }`,
  invite: typed<{
    inviteTeamMember: Invitation & { createdAt: string; expiresAt: string };
  }>(`mutation($t: ID!, $e: String!, $r: ID!) {
    inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id teamName email roleName status invitedBy { id } createdAt expiresAt }
  }`),
  mine: typed<{ myInvitations: Invitation[] }>(
    `{ myInvitations { id teamName email roleName status invitedBy { id } } }`,
  ),
  accept: typed<{ acceptInvitation: { id: string; role: { name: string }; user: { id: string } } }>(
    `mutation($id: ID!) { acceptInvitation(id: $id) { id role { name } user { id } } }`,
  ),
  decline: typed<{ declineInvitation: boolean }>(
    `mutation($id: ID!) { declineInvitation(id: $id) }`,
  ),
  revoke: typed<{ revokeInvitation: boolean }>(`mutation($id: ID!) { revokeInvitation(id: $id) }`),
  teamInvitations: typed<{ team: { invitations: Listed[] } }>(
    `query($id: ID!, $s: InvitationStatus) { team(id: $id) { invitations(status: $s) { id email status roleName } } }`,
  ),
  signUp: typed<{ signUp: { token: string; user: { id: string } } }>(
    `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token user { id } } }`,
  ),
};

const NOTHING = '00000000-0000-4000-8000-00000000f00d';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

function ok<T>(res: GraphQLAnswer<T>): T {
  if (res.errors?.length || !res.data)
    throw new Error(`expected success, got ${res.status} ${JSON.stringify(res.errors)}`);
  return res.data;
}

function teamWithOwner(
  name = 'Invitations',
): PromiseLike<{ owner: SignedInUser; team: TeamFixture }> {
  return seedOn(t).owner('inv-owner').team(name);
}

async function memberships(teamId: string, userId: string): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM memberships WHERE team_id = $1 AND user_id = $2`;
  const [{ n }] = await t.dataSource.query(sql, [teamId, userId]);
  return n;
}

async function stateOf(invitationId: string): Promise<string | undefined> {
  const [row] = await t.dataSource.query(`SELECT state FROM invitations WHERE id = $1`, [
    invitationId,
  ]);
  return row?.state;
}

/** A person with a name nobody should learn from an invitation. */
async function personNamed(name: string): Promise<SignedInUser> {
  const email = uniqueEmail('inv-named');
  const res = ok(await t.gql(DOC.signUp, { e: email, p: PASSWORD, n: name }));
  return {
    id: res.signUp.user.id,
    email,
    token: res.signUp.token,
    headers: bearer(res.signUp.token),
  };
}

/** The answer with what must differ between two invitations (ids, addresses, times) blanked out. */
function shape(res: GraphQLAnswer<unknown>): unknown {
  return JSON.parse(
    JSON.stringify({ status: res.status, data: res.data, errors: res.errors ?? null })
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/"[^"@]+@example\.com"/g, '"<email>"')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '<time>'),
  );
}

describe('nobody joins a team without saying yes', () => {
  it('an Owner cannot add someone directly; an invitation makes them a member only once they accept', async () => {
    const { owner, team } = await teamWithOwner();
    const person = await signUp(t, 'inv-target');

    const direct = await t.gql(
      DOC.add,
      { t: team.id, e: person.email, r: team.roles.Admin },
      owner.headers,
    );
    expect(codeOf(direct)).toBe('FORBIDDEN');
    expect(direct.data?.addTeamMember ?? null).toBeNull();
    expect(await memberships(team.id, person.id)).toBe(0);

    const invitation = ok(
      await t.gql(DOC.invite, { t: team.id, e: person.email, r: team.roles.Admin }, owner.headers),
    ).inviteTeamMember;
    expect(invitation).toMatchObject({
      status: 'PENDING',
      email: person.email,
      roleName: 'Admin',
      teamName: 'Invitations',
    });
    // Invited is not a member: the team stays out of their reach until they accept.
    expect(await memberships(team.id, person.id)).toBe(0);
    expect(
      codeOf(
        await t.gql(`query($id: ID!) { team(id: $id) { id } }`, { id: team.id }, person.headers),
      ),
    ).toBe('NOT_FOUND');
    expect(ok(await t.gql(`{ teams { id } }`, {}, person.headers)).teams).toEqual([]);

    expect(ok(await t.gql(DOC.mine, {}, person.headers)).myInvitations).toEqual([
      {
        id: invitation.id,
        teamName: 'Invitations',
        email: person.email,
        roleName: 'Admin',
        status: 'PENDING',
        invitedBy: { id: owner.id },
      },
    ]);
    const joined = ok(
      await t.gql(DOC.accept, { id: invitation.id }, person.headers),
    ).acceptInvitation;
    expect(joined).toMatchObject({ role: { name: 'Admin' }, user: { id: person.id } });
    expect(await memberships(team.id, person.id)).toBe(1);
    expect(ok(await t.gql(DOC.mine, {}, person.headers)).myInvitations).toEqual([]);
    expect(
      ok(await t.gql(DOC.teamInvitations, { id: team.id }, owner.headers)).team.invitations,
    ).toEqual([{ id: invitation.id, email: person.email, status: 'ACCEPTED', roleName: 'Admin' }]);
    // answered once: it can't be accepted again, nor declined after the fact
    expect(codeOf(await t.gql(DOC.accept, { id: invitation.id }, person.headers))).toBe('CONFLICT');
    expect(codeOf(await t.gql(DOC.decline, { id: invitation.id }, person.headers))).toBe(
      'CONFLICT',
    );
  });

  it('a declined invitation leaves the person out, and the team sees only that it was declined', async () => {
    const { owner, team } = await teamWithOwner();
    const person = await signUp(t, 'inv-decliner');
    const id = await invite(t, owner, team.id, person.email, team.roles.Member);
    expect(ok(await t.gql(DOC.decline, { id }, person.headers)).declineInvitation).toBe(true);
    expect(await memberships(team.id, person.id)).toBe(0);
    expect(codeOf(await t.gql(DOC.accept, { id }, person.headers))).toBe('CONFLICT');
    expect(await memberships(team.id, person.id)).toBe(0);
    expect(
      ok(await t.gql(DOC.teamInvitations, { id: team.id, s: 'DECLINED' }, owner.headers)).team
        .invitations,
    ).toEqual([{ id, email: person.email, status: 'DECLINED', roleName: 'Member' }]);
  });
});

describe('an invitation does not tell whether an email has an account, nor whose it is', () => {
  it('the answer is the same for an address with an account, one without, and a member; no name in it', async () => {
    const { owner, team } = await teamWithOwner();
    const secretName = 'Zelda Quillfeather-Secretname';
    const known = await personNamed(secretName);
    const member = await personNamed(secretName);
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    const unknown = uniqueEmail('inv-nobody');

    const answers = [];
    for (const email of [known.email, unknown, member.email, known.email.toUpperCase()]) {
      const res = await t.gql(
        DOC.invite,
        { t: team.id, e: email, r: team.roles.Member },
        owner.headers,
      );
      expect(res.errors).toBeUndefined();
      expect(JSON.stringify(res)).not.toContain(secretName);
      answers.push(res);
    }
    expect(shape(answers[1])).toEqual(shape(answers[0]));
    expect(shape(answers[2])).toEqual(shape(answers[0]));
    // the same address in another case is the same invitation, renewed
    expect(answers[3].data!.inviteTeamMember.id).toBe(answers[0].data!.inviteTeamMember.id);
    expect(answers[3].data!.inviteTeamMember.email).toBe(known.email);

    // The team's list tells no more: no status, field or name sets the account holders apart.
    const listed = ok(
      await t.gql(DOC.teamInvitations, { id: team.id, s: 'PENDING' }, owner.headers),
    ).team.invitations;
    expect(listed.map((i) => i.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(JSON.stringify(listed)).not.toContain(secretName);
    // Nor does the audit log, which an Auditor reads: no account id, no name, no "known" flag.
    const ids = new Set<string | null>(answers.map((res) => res.data!.inviteTeamMember.id));
    const invited = (await chainOf(t, team.id)).filter(
      (row) => row.action === 'member.invited' && ids.has(row.target_id),
    );
    expect(invited).toHaveLength(4);
    for (const row of invited) {
      expect(Object.keys(row.metadata!).sort()).toEqual([
        'email',
        'expiresAt',
        'renewed',
        'role',
        'roleId',
      ]);
      expect(JSON.stringify(row)).not.toContain(secretName);
      expect(JSON.stringify(row)).not.toContain(known.id);
    }
  });

  it('the Invitation type has no field that reaches the invited person', async () => {
    const res = ok(await t.gql(FieldsOfTypeDocument, { name: 'Invitation' }));
    expect(res.__type?.fields?.map((f) => f.name).sort()).toEqual([
      'createdAt',
      'email',
      'expiresAt',
      'id',
      'invitedBy',
      'roleName',
      'status',
      'teamName',
    ]);
  });

  it('bad addresses are refused the same way whatever exists, and nothing is made', async () => {
    const { owner, team } = await teamWithOwner();
    const res = await t.gql(
      DOC.invite,
      { t: team.id, e: 'not-an-email-PLUGH', r: team.roles.Member },
      owner.headers,
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res)).not.toContain('PLUGH');
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM invitations WHERE team_id = $1`,
      [team.id],
    );
    expect(n).toBe(0);
  });
});

describe("someone else's invitation does not exist for you", () => {
  it('another user can neither see, accept nor decline it: NOT_FOUND, exactly like an id of nothing', async () => {
    const { owner, team } = await teamWithOwner();
    const victim = await signUp(t, 'inv-victim');
    const attacker = await signUp(t, 'inv-attacker');
    const admin = await platformAdmin(t);
    const id = await invite(t, owner, team.id, victim.email, team.roles.Admin);

    for (const intruder of [attacker, admin]) {
      expect(ok(await t.gql(DOC.mine, {}, intruder.headers)).myInvitations).toEqual([]);
      for (const doc of [DOC.accept, DOC.decline]) {
        const theirs = await t.gql(doc, { id }, intruder.headers);
        const nothing = await t.gql(doc, { id: NOTHING }, intruder.headers);
        expect(codeOf(theirs)).toBe('NOT_FOUND');
        expect(theirs.errors![0].message).toBe(nothing.errors![0].message);
      }
      expect(await memberships(team.id, intruder.id)).toBe(0);
    }
    expect(await stateOf(id)).toBe('PENDING');
    expect(ok(await t.gql(DOC.mine, {}, victim.headers)).myInvitations.map((i) => i.id)).toEqual([
      id,
    ]);
    // a refusal to a stranger is not written into the team's chain
    const strangers = (await chainOf(t, team.id)).filter(
      (row) => row.actor_user_id === attacker.id,
    );
    expect(strangers).toEqual([]);
  });

  it("another team's invitation ids are NOT_FOUND to its owners and managers, like ids of nothing", async () => {
    const theirs = await teamWithOwner('Theirs');
    const mine = await teamWithOwner('Mine');
    const id = await invite(
      t,
      theirs.owner,
      theirs.team.id,
      uniqueEmail('inv-theirs'),
      theirs.team.roles.Member,
    );
    const revoke = await t.gql(DOC.revoke, { id }, mine.owner.headers);
    const nothing = await t.gql(DOC.revoke, { id: NOTHING }, mine.owner.headers);
    expect(codeOf(revoke)).toBe('NOT_FOUND');
    expect(revoke.errors![0].message).toBe(nothing.errors![0].message);
    expect(
      codeOf(await t.gql(DOC.teamInvitations, { id: theirs.team.id }, mine.owner.headers)),
    ).toBe('NOT_FOUND');
    // nor can an Owner invite into a team that isn't theirs, or with another team's role
    for (const into of [theirs.team.id, mine.team.id]) {
      const res = await t.gql(
        DOC.invite,
        { t: into, e: uniqueEmail('x'), r: theirs.team.roles.Member },
        mine.owner.headers,
      );
      expect(codeOf(res)).toBe('NOT_FOUND');
    }
    expect(await stateOf(id)).toBe('PENDING');
  });

  it('a member without members:manage can neither list nor revoke the invitations of the team', async () => {
    const { owner, team } = await teamWithOwner();
    const member = await signUp(t, 'inv-plain');
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    const id = await invite(t, owner, team.id, uniqueEmail('inv-pending'), team.roles.Member);
    expect(codeOf(await t.gql(DOC.teamInvitations, { id: team.id }, member.headers))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await t.gql(DOC.revoke, { id }, member.headers))).toBe('FORBIDDEN');
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { t: team.id, e: uniqueEmail('x'), r: team.roles.Member },
          member.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(await stateOf(id)).toBe('PENDING');
  });
});

describe('expired and revoked invitations cannot be accepted', () => {
  it('an expired invitation: not listed, CONFLICT on accept, EXPIRED to the team; a renewal opens it again', async () => {
    const { owner, team } = await teamWithOwner();
    const person = await signUp(t, 'inv-late');
    const id = await invite(t, owner, team.id, person.email, team.roles.Member);
    await t.dataSource.query(
      `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [id],
    );
    expect(ok(await t.gql(DOC.mine, {}, person.headers)).myInvitations).toEqual([]);
    expect(codeOf(await t.gql(DOC.accept, { id }, person.headers))).toBe('CONFLICT');
    expect(await memberships(team.id, person.id)).toBe(0);
    const expired = ok(
      await t.gql(DOC.teamInvitations, { id: team.id, s: 'EXPIRED' }, owner.headers),
    ).team.invitations;
    expect(expired).toMatchObject([{ id, status: 'EXPIRED' }]);
    expect(
      ok(await t.gql(DOC.teamInvitations, { id: team.id, s: 'PENDING' }, owner.headers)).team
        .invitations,
    ).toEqual([]);

    // Inviting the address again renews it: same invitation, open again.
    expect(await invite(t, owner, team.id, person.email, team.roles.Auditor)).toBe(id);
    expect(ok(await t.gql(DOC.accept, { id }, person.headers)).acceptInvitation.role.name).toBe(
      'Auditor',
    );
  });

  it('a revoked invitation: gone from the list, CONFLICT on accept and decline', async () => {
    const { owner, team } = await teamWithOwner();
    const person = await signUp(t, 'inv-revoked');
    const id = await invite(t, owner, team.id, person.email, team.roles.Member);
    expect(ok(await t.gql(DOC.revoke, { id }, owner.headers)).revokeInvitation).toBe(true);
    expect(ok(await t.gql(DOC.mine, {}, person.headers)).myInvitations).toEqual([]);
    expect(codeOf(await t.gql(DOC.accept, { id }, person.headers))).toBe('CONFLICT');
    expect(codeOf(await t.gql(DOC.decline, { id }, person.headers))).toBe('CONFLICT');
    expect(codeOf(await t.gql(DOC.revoke, { id }, owner.headers))).toBe('CONFLICT');
    expect(await memberships(team.id, person.id)).toBe(0);
  });

  it('accepted and revoked at the same moment: exactly one of the two happens', async () => {
    const { owner, team } = await teamWithOwner();
    for (let round = 0; round < 4; round++) {
      const person = await signUp(t, 'inv-race');
      const id = await invite(t, owner, team.id, person.email, team.roles.Member);
      const [accepted, revoked] = await Promise.all([
        t.gql(DOC.accept, { id }, person.headers),
        t.gql(DOC.revoke, { id }, owner.headers),
      ]);
      expect([accepted.status, revoked.status].filter((s) => s >= 500)).toEqual([]);
      const outcome = `${codeOf(accepted) ?? 'ok'}/${codeOf(revoked) ?? 'ok'}`;
      expect(['ok/CONFLICT', 'CONFLICT/ok']).toContain(outcome);
      expect(await memberships(team.id, person.id)).toBe(outcome === 'ok/CONFLICT' ? 1 : 0);
      expect(await stateOf(id)).toBe(outcome === 'ok/CONFLICT' ? 'ACCEPTED' : 'REVOKED');
    }
  });
});

describe('nobody invites with more than they hold', () => {
  it('an Admin cannot invite as Owner, nor take back the invitation of an Owner', async () => {
    const { owner, team } = await teamWithOwner();
    const admin = await signUp(t, 'inv-admin');
    await addMember(t, owner, team.id, admin.email, team.roles.Admin);
    const person = await signUp(t, 'inv-would-be-owner');

    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { t: team.id, e: person.email, r: team.roles.Owner },
          admin.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(ok(await t.gql(DOC.mine, {}, person.headers)).myInvitations).toEqual([]);
    const coOwner = uniqueEmail('inv-co-owner');
    const ownerInvitation = await invite(t, owner, team.id, coOwner, team.roles.Owner);
    expect(codeOf(await t.gql(DOC.revoke, { id: ownerInvitation }, admin.headers))).toBe(
      'FORBIDDEN',
    );
    // A renewal replaces the invitation: no more open to the Admin than revoking it.
    expect(
      codeOf(
        await t.gql(DOC.invite, { t: team.id, e: coOwner, r: team.roles.Member }, admin.headers),
      ),
    ).toBe('FORBIDDEN');
    const [row] = await t.dataSource.query(`SELECT state, role_id FROM invitations WHERE id = $1`, [
      ownerInvitation,
    ]);
    expect(row).toEqual({ state: 'PENDING', role_id: team.roles.Owner });
    // A member holding members:manage alone can't invite as Admin, but may as Member.
    const manager = await signUp(t, 'inv-manager');
    await grant(
      t,
      owner,
      await addMember(t, owner, team.id, manager.email, team.roles.Member),
      'members:manage',
    );
    expect(
      codeOf(
        await t.gql(
          DOC.invite,
          { t: team.id, e: person.email, r: team.roles.Admin },
          manager.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    const asMember = ok(
      await t.gql(
        DOC.invite,
        { t: team.id, e: person.email, r: team.roles.Member },
        manager.headers,
      ),
    );
    expect(asMember.inviteTeamMember.roleName).toBe('Member');
  });

  it('an invitation gives no more than its sender can give when it is accepted', async () => {
    const { owner, team } = await teamWithOwner();
    const admin = await signUp(t, 'inv-demoted-admin');
    const adminMembership = await addMember(t, owner, team.id, admin.email, team.roles.Admin);
    const person = await signUp(t, 'inv-stale');
    const id = await invite(t, admin, team.id, person.email, team.roles.Admin);
    ok(
      await t.gql(
        ChangeMemberRoleDocument,
        { membershipId: adminMembership, roleId: team.roles.Member },
        owner.headers,
      ),
    );
    expect(codeOf(await t.gql(DOC.accept, { id }, person.headers))).toBe('CONFLICT');
    expect(await memberships(team.id, person.id)).toBe(0);
    // The team renews it under someone who can give the role: now it goes through.
    expect(await invite(t, owner, team.id, person.email, team.roles.Admin)).toBe(id);
    expect(ok(await t.gql(DOC.accept, { id }, person.headers)).acceptInvitation.role.name).toBe(
      'Admin',
    );
  });
});

describe('an API key can do none of it', () => {
  let key: CreatedKey;
  let team: TeamFixture;
  let invitationId: string;
  beforeAll(async () => {
    const made = await teamWithOwner('Keyed');
    team = made.team;
    key = await createKey(t, made.owner, team.id, {
      scopes: ['team:read', 'members:read', 'apiKeys:read', 'audit:read'],
    });
    invitationId = await invite(
      t,
      made.owner,
      team.id,
      uniqueEmail('inv-keyed'),
      team.roles.Member,
    );
  });

  it.each([
    ['myInvitations', DOC.mine, () => ({})],
    [
      'inviteTeamMember',
      DOC.invite,
      () => ({ t: team.id, e: uniqueEmail('by-key'), r: team.roles.Member }),
    ],
    ['acceptInvitation', DOC.accept, () => ({ id: invitationId })],
    ['declineInvitation', DOC.decline, () => ({ id: invitationId })],
    ['revokeInvitation', DOC.revoke, () => ({ id: invitationId })],
    ['Team.invitations', DOC.teamInvitations, () => ({ id: team.id })],
  ] as const)('%s: FORBIDDEN', async (_name, doc, vars) => {
    const res = await t.gql(doc, vars(), basic(key.key, key.secret));
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(JSON.stringify(res.data ?? {})).not.toContain('@example.com');
    expect(await stateOf(invitationId)).toBe('PENDING');
  });
});

describe('open invitations of one team are bounded', () => {
  it('past the bound a new address is RATE_LIMITED; renewing is not; revoking makes room', async () => {
    const small = await startTestServer({ INVITATION_MAX_PENDING: '3' });
    try {
      const owner = await signUp(small, 'inv-bounded');
      const team = await createTeam(small, owner);
      const ids = [];
      for (let i = 0; i < 3; i++)
        ids.push(await invite(small, owner, team.id, uniqueEmail('inv-bound'), team.roles.Member));
      const over = await small.gql(
        DOC.invite,
        { t: team.id, e: uniqueEmail('inv-over'), r: team.roles.Member },
        owner.headers,
      );
      expect(codeOf(over)).toBe('RATE_LIMITED');
      const [{ email }] = await small.dataSource.query(
        `SELECT email FROM invitations WHERE id = $1`,
        [ids[0]],
      );
      expect(await invite(small, owner, team.id, email, team.roles.Auditor)).toBe(ids[0]);
      ok(await small.gql(DOC.revoke, { id: ids[1] }, owner.headers));
      ok(
        await small.gql(
          DOC.invite,
          { t: team.id, e: uniqueEmail('inv-room'), r: team.roles.Member },
          owner.headers,
        ),
      );
    } finally {
      await small.close();
    }
  });
});

describe('sign-up off: exactly the invited address may sign up', () => {
  it('refuses everyone else, lets the invited address in (any case), and closes again once it is answered', async () => {
    const closed = await startTestServer({ ALLOW_SIGNUP: 'false' });
    try {
      const owner = await platformAdmin(closed);
      const team = await createTeam(closed, owner, 'Closed shop');
      const invited = uniqueEmail('inv-newcomer');
      const id = await invite(closed, owner, team.id, invited, team.roles.Member);

      const others = [uniqueEmail('inv-uninvited'), `x${invited}`, invited.replace('@', '.x@')];
      for (const email of others) {
        const res = await closed.gql(DOC.signUp, { e: email, p: PASSWORD, n: 'Stranger' });
        expect({ email, status: res.status, code: codeOf(res) }).toEqual({
          email,
          status: 200,
          code: 'FORBIDDEN',
        });
      }
      // what is no email address at all is bad input, open or closed
      for (const email of [`${invited}\u0000`, `\ud800${invited}`]) {
        const res = await closed.gql(DOC.signUp, { e: email, p: PASSWORD, n: 'Stranger' });
        expect({ email, status: res.status, code: codeOf(res) }).toEqual({
          email,
          status: 200,
          code: 'BAD_USER_INPUT',
        });
      }
      const joined = ok(
        await closed.gql(DOC.signUp, { e: invited.toUpperCase(), p: PASSWORD, n: 'Newcomer' }),
      ).signUp;
      const newcomer = {
        id: joined.user.id,
        email: invited,
        token: joined.token,
        headers: bearer(joined.token),
      };
      expect(await accept(closed, newcomer, id)).toEqual(expect.any(String));

      // answered (or revoked, or expired): the address is no longer a way in
      const later = uniqueEmail('inv-too-late');
      const revoked = await invite(closed, owner, team.id, later, team.roles.Member);
      ok(await closed.gql(DOC.revoke, { id: revoked }, owner.headers));
      expect(codeOf(await closed.gql(DOC.signUp, { e: later, p: PASSWORD, n: 'Too late' }))).toBe(
        'FORBIDDEN',
      );
      const expired = uniqueEmail('inv-expired');
      const expiredId = await invite(closed, owner, team.id, expired, team.roles.Member);
      await closed.dataSource.query(
        `UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [expiredId],
      );
      expect(codeOf(await closed.gql(DOC.signUp, { e: expired, p: PASSWORD, n: 'Expired' }))).toBe(
        'FORBIDDEN',
      );
      const [{ n }] = await closed.dataSource.query(
        `SELECT count(*)::int AS n FROM users WHERE email IN ($1, $2)`,
        [later, expired],
      );
      expect(n).toBe(0);
      // the newcomer signs in like anyone
      expect((await logIn(closed, invited)).id).toBe(newcomer.id);
    } finally {
      await closed.close();
    }
  });
});

describe('every answer is on record', () => {
  it('member.invited, member.joined, invitation.declined and invitation.revoked are in the team chain, by who did them', async () => {
    const { owner, team } = await teamWithOwner();
    const joiner = await signUp(t, 'inv-joiner');
    const decliner = await signUp(t, 'inv-no');
    const joinId = await invite(t, owner, team.id, joiner.email, team.roles.Member);
    const declineId = await invite(t, owner, team.id, decliner.email, team.roles.Member);
    const revokeId = await invite(t, owner, team.id, uniqueEmail('inv-gone'), team.roles.Member);
    const membershipId = await accept(t, joiner, joinId);
    ok(await t.gql(DOC.decline, { id: declineId }, decliner.headers));
    ok(await t.gql(DOC.revoke, { id: revokeId }, owner.headers));
    const rows = (await chainOf(t, team.id)).filter((row) => row.action !== 'team.created');
    expect(
      rows.map((r) => [r.action, r.outcome, r.actor_user_id, r.target_type, r.target_id]),
    ).toEqual([
      ['member.invited', 'SUCCESS', owner.id, 'Invitation', joinId],
      ['member.invited', 'SUCCESS', owner.id, 'Invitation', declineId],
      ['member.invited', 'SUCCESS', owner.id, 'Invitation', revokeId],
      ['member.joined', 'SUCCESS', joiner.id, 'Membership', membershipId],
      ['invitation.declined', 'SUCCESS', decliner.id, 'Invitation', declineId],
      ['invitation.revoked', 'SUCCESS', owner.id, 'Invitation', revokeId],
    ]);
    expect(rows[3].metadata).toMatchObject({
      invitationId: joinId,
      userId: joiner.id,
      role: 'Member',
      invitedById: owner.id,
    });
  });
});

describe('old invitations are purged', () => {
  it('answered or expired more than 30 days ago: deleted by the maintenance job; the rest: kept', async () => {
    const { owner, team } = await teamWithOwner();
    const ids = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        invite(t, owner, team.id, uniqueEmail(`inv-purge-${i}`), team.roles.Member),
      ),
    );
    const [oldAnswered, oldExpired, recentAnswered] = ids;
    const days = 30;
    const answered = `UPDATE invitations SET state = $3, responded_at = now() - make_interval(days => $2) WHERE id = $1`;
    await t.dataSource.query(answered, [oldAnswered, days + 1, 'REVOKED']);
    await t.dataSource.query(
      `UPDATE invitations SET expires_at = now() - make_interval(days => $2) WHERE id = $1`,
      [oldExpired, days + 1],
    );
    await t.dataSource.query(answered, [recentAnswered, days - 1, 'DECLINED']);
    const oldOnesGone = async () =>
      (await stateOf(oldAnswered)) === undefined && (await stateOf(oldExpired)) === undefined;
    expect(await maintainUntil(t, oldOnesGone)).toBe(true);
    expect(await Promise.all(ids.map(stateOf))).toEqual([
      undefined,
      undefined,
      'DECLINED',
      'PENDING',
    ]);
  });
});
