import {
  ApiKeyRevocationDocument,
  CreateRoleDocument,
  FieldsOfTypeDocument,
  MySessionsDocument,
  ReportLeakedSecretDocument,
  TeamsDocument,
} from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { createTeam, invite, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { codeOf, type Gql, typed } from '../helpers/graphql';
import { unissuedSecret, withBadChecksum } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * An application calling with an API key:
 * - it is the API_KEY principal and reads exactly what its scopes allow, in its own team only;
 * - it can't change keys, members, roles or teams, whatever scopes it holds;
 * - every kind of bad credentials (wrong, unknown, malformed, expired, revoked, outside its
 *   addresses) gets one and the same 401 UNAUTHENTICATED answer.
 */
let t: TestServer;
let gql: Gql;
let owner: SignedInUser;
let outsider: SignedInUser;
let team: TeamFixture;
let otherTeam: TeamFixture;
let reader: CreatedKey; // team:read apiKeys:read orders:read
let appOnly: CreatedKey; // orders:read
let memberReader: CreatedKey; // team:read members:read
let everything: CreatedKey; // every scope a key may hold
let foreignKey: CreatedKey; // of another team
let expiring: CreatedKey & { expiresAt: number };
let memberId: string;
let grantId: string;
let customRoleId: string;
let invitationId: string;
let ownerSessionId: string;

beforeAll(async () => {
  let member: SeededMember;
  ({ t, gql, owner, outsider, team, member, reader, appOnly, memberReader, everything } =
    await seed()
      .ownAddress()
      .owner('principal-owner')
      .user('outsider', 'principal-outsider')
      .team('Principal')
      .member('member', 'Member', { prefix: 'principal-member', grants: ['apiKeys:create'] })
      .key('reader', { name: 'reader', scopes: ['team:read', 'apiKeys:read', 'orders:read'] })
      .key('appOnly', { name: 'app only', scopes: ['orders:read'] })
      .key('memberReader', { name: 'member reader', scopes: ['team:read', 'members:read'] })
      .key('everything', {
        name: 'everything',
        scopes: ['team:read', 'members:read', 'apiKeys:read', 'audit:read', 'orders:read'],
      }));
  ({
    membershipId: memberId,
    grantIds: [grantId],
  } = member);
  ownerSessionId = (await t.gql(MySessionsDocument, {}, owner.headers)).data!.mySessions[0].id;
  otherTeam = await createTeam(t, owner, 'Principal, other team');
  foreignKey = await createKey(t, owner, otherTeam.id, {
    name: 'foreign',
    scopes: ['team:read', 'apiKeys:read'],
  });
  expiring = {
    ...(await createKey(t, owner, team.id, {
      name: 'expiring',
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    })),
    expiresAt: Date.now() + 2_000,
  };
  invitationId = await invite(t, owner, team.id, outsider.email, team.roles.Member);
  const role = await t.gql(
    CreateRoleDocument,
    { teamId: team.id, name: 'Custom', permissions: ['team:read'] },
    owner.headers,
  );
  customRoleId = role.data!.createRole.id;
});
afterAll(() => t.close());

const as = (k: CreatedKey) => basic(k.key, k.secret);

/** The team and its keys as the owner reads them after the attempts. */
interface TeamNow {
  name: string;
  members: { id: string; role: { name: string }; grants: { id: string }[] }[];
  roles: { id: string; name: string; permissions: string[] }[];
}
type KeyNow = { id: string; name: string; status: string; secretVersion: number; scopes: string[] };

describe('what an API key may read', () => {
  it('viewer says API_KEY, with the key and never a user', async () => {
    const res = await gql(
      `{ viewer { type user { id } apiKey { id key scopes team { id } } } }`,
      {},
      as(reader),
    );
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      viewer: {
        type: 'API_KEY',
        user: null,
        apiKey: {
          id: reader.id,
          key: reader.key,
          scopes: ['apiKeys:read', 'orders:read', 'team:read'],
          team: { id: team.id },
        },
      },
    });
    const viaHeaders = await gql(
      `{ viewer { type apiKey { id } } }`,
      {},
      { 'x-api-key': appOnly.key, 'x-api-secret': appOnly.secret },
    );
    expect(viaHeaders.data).toEqual({ viewer: { type: 'API_KEY', apiKey: { id: appOnly.id } } });
    // it is not a person
    expect(codeOf(await gql(`{ me { id } }`, {}, as(reader)))).toBe('FORBIDDEN');
  });

  it('team:read reads its team (viewerPermissions = its scopes of this API), and only its own team', async () => {
    const res = await gql(
      typed<{
        team: { id: string; name: string; viewerPermissions: string[]; roles: { name: string }[] };
      }>(`query($id: ID!) { team(id: $id) { id name viewerPermissions roles { name } } }`),
      { id: team.id },
      as(reader),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.team).toMatchObject({
      id: team.id,
      name: 'Principal',
      viewerPermissions: ['apiKeys:read', 'team:read'],
    });
    expect(res.data!.team.roles.map((r) => r.name)).toEqual(
      expect.arrayContaining(['Owner', 'Admin', 'Member', 'Auditor']),
    );
    const teams = await gql(`{ teams { id } }`, {}, as(reader));
    expect(teams.data).toEqual({ teams: [{ id: team.id }] });
    // the other team of the same owner does not exist for this key
    expect(
      codeOf(
        await gql(`query($id: ID!) { team(id: $id) { id } }`, { id: otherTeam.id }, as(reader)),
      ),
    ).toBe('NOT_FOUND');
    // without team:read: FORBIDDEN
    expect(
      codeOf(await gql(`query($id: ID!) { team(id: $id) { id } }`, { id: team.id }, as(appOnly))),
    ).toBe('FORBIDDEN');
  });

  it('apiKeys:read lists and reads the keys of its team, never their secrets; without it FORBIDDEN', async () => {
    const list = await gql(
      typed<{
        apiKeys: {
          totalCount: number;
          edges: { node: { id: string; key: string; secretLast4: string } }[];
        };
      }>(
        `query($t: ID!) { apiKeys(teamId: $t, first: 100) { totalCount edges { node { id key secretLast4 } } } }`,
      ),
      { t: team.id },
      as(reader),
    );
    expect(list.errors).toBeUndefined();
    const ids = list.data!.apiKeys.edges.map((e) => e.node.id);
    expect(ids).toEqual(expect.arrayContaining([reader.id, appOnly.id, everything.id]));
    expect(list.text).not.toContain(everything.secret);
    const one = await gql(
      `query($id: ID!) { apiKey(id: $id) { id name } }`,
      { id: everything.id },
      as(reader),
    );
    expect(one.data).toEqual({ apiKey: { id: everything.id, name: 'everything' } });
    expect(
      codeOf(
        await gql(
          `query($t: ID!) { apiKeys(teamId: $t) { totalCount } }`,
          { t: team.id },
          as(appOnly),
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await gql(`query($id: ID!) { apiKey(id: $id) { id } }`, { id: reader.id }, as(appOnly)),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await gql(
          `query($id: ID!) { apiKey(id: $id) { id } }`,
          { id: reader.id },
          as(memberReader),
        ),
      ),
    ).toBe('FORBIDDEN');
    // another team's keys: NOT_FOUND, as if they did not exist
    expect(
      codeOf(
        await gql(
          `query($t: ID!) { apiKeys(teamId: $t) { totalCount } }`,
          { t: otherTeam.id },
          as(reader),
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(
      codeOf(
        await gql(`query($id: ID!) { apiKey(id: $id) { id } }`, { id: foreignKey.id }, as(reader)),
      ),
    ).toBe('NOT_FOUND');
  });

  it('members need members:read: FORBIDDEN without it, visible with it', async () => {
    const denied = await gql(
      `query($id: ID!) { team(id: $id) { id members { id } } }`,
      { id: team.id },
      as(reader),
    );
    expect(codeOf(denied)).toBe('FORBIDDEN');
    expect(denied.errors![0].path).toEqual(['team', 'members']);
    expect(JSON.stringify(denied.data ?? null)).not.toContain(memberId);
    const allowed = await gql(
      typed<{ team: { members: { id: string; role: { name: string } }[] } }>(
        `query($id: ID!) { team(id: $id) { members { id role { name } } } }`,
      ),
      { id: team.id },
      as(memberReader),
    );
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data!.team.members.map((m) => m.id)).toContain(memberId);
  });
});

describe('what an API key may never do', () => {
  // Every mutation of keys, members, roles and teams, with real targets of its own team, so a
  // refusal can only be about who is asking. The key holds every scope a key can hold.
  const mutations: [string, string, () => Record<string, unknown>][] = [
    ['createTeam', `mutation { createTeam(name: "by a key") { id } }`, () => ({})],
    [
      'addTeamMember',
      `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
      () => ({ t: team.id, e: outsider.email, r: team.roles.Member }),
    ],
    [
      'inviteTeamMember',
      `mutation($t: ID!, $e: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
      () => ({ t: team.id, e: outsider.email, r: team.roles.Admin }),
    ],
    [
      'acceptInvitation',
      `mutation($id: ID!) { acceptInvitation(id: $id) { id } }`,
      () => ({ id: invitationId }),
    ],
    [
      'declineInvitation',
      `mutation($id: ID!) { declineInvitation(id: $id) }`,
      () => ({ id: invitationId }),
    ],
    [
      'revokeInvitation',
      `mutation($id: ID!) { revokeInvitation(id: $id) }`,
      () => ({ id: invitationId }),
    ],
    [
      'changeMemberRole',
      `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id } }`,
      () => ({ m: memberId, r: team.roles.Admin }),
    ],
    [
      'removeTeamMember',
      `mutation($m: ID!) { removeTeamMember(membershipId: $m) }`,
      () => ({ m: memberId }),
    ],
    [
      'createRole',
      `mutation($t: ID!) { createRole(teamId: $t, name: "Sneaky", permissions: ["team:read"]) { id } }`,
      () => ({ t: team.id }),
    ],
    [
      'updateRole',
      `mutation($id: ID!) { updateRole(id: $id, name: "Renamed", permissions: ["team:manage"]) { id } }`,
      () => ({ id: customRoleId }),
    ],
    ['deleteRole', `mutation($id: ID!) { deleteRole(id: $id) }`, () => ({ id: customRoleId })],
    [
      'grantPermission',
      `mutation($m: ID!) { grantPermission(membershipId: $m, permission: "apiKeys:manage") { id } }`,
      () => ({ m: memberId }),
    ],
    [
      'revokePermissionGrant',
      `mutation($id: ID!) { revokePermissionGrant(id: $id) }`,
      () => ({ id: grantId }),
    ],
    [
      'createApiKey',
      `mutation($t: ID!) { createApiKey(input: { teamId: $t, name: "child", scopes: ["orders:read"] }) { secret } }`,
      () => ({ t: team.id }),
    ],
    [
      'updateApiKey',
      `mutation($id: ID!) { updateApiKey(id: $id, input: { name: "renamed by a key" }) { id } }`,
      () => ({ id: reader.id }),
    ],
    [
      'updateApiKey (itself)',
      `mutation($id: ID!) { updateApiKey(id: $id, input: { scopes: ["orders:write"] }) { id } }`,
      () => ({ id: everything.id }),
    ],
    [
      'regenerateApiKeySecret',
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
      () => ({ id: reader.id }),
    ],
    [
      'regenerateApiKeySecret (itself)',
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
      () => ({ id: everything.id }),
    ],
    [
      'revokeApiKey',
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      () => ({ id: reader.id }),
    ],
    [
      'revokeApiKey (itself)',
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      () => ({ id: everything.id }),
    ],
    [
      'transferApiKey',
      `mutation($id: ID!, $m: ID!) { transferApiKey(id: $id, toMembershipId: $m) { id } }`,
      () => ({ id: reader.id, m: memberId }),
    ],
    [
      'transferApiKey (itself)',
      `mutation($id: ID!, $m: ID!) { transferApiKey(id: $id, toMembershipId: $m) { id } }`,
      () => ({ id: everything.id, m: memberId }),
    ],
    [
      'updateTeam',
      `mutation($id: ID!) { updateTeam(id: $id, name: "renamed by a key") { id } }`,
      () => ({ id: team.id }),
    ],
    [
      'setApiKeyPolicy',
      `mutation($t: ID!) { setApiKeyPolicy(teamId: $t, input: { requireExpiry: true }) { requireExpiry } }`,
      () => ({ t: team.id }),
    ],
    ['leaveTeam', `mutation($t: ID!) { leaveTeam(teamId: $t) }`, () => ({ t: team.id })],
    ['logOut', `mutation { logOut }`, () => ({})],
    ['logOutEverywhere', `mutation { logOutEverywhere }`, () => ({})],
    [
      'changePassword',
      `mutation { changePassword(currentPassword: "whatever it was", newPassword: "chosen by a key") }`,
      () => ({}),
    ],
    [
      'revokeSession',
      `mutation($id: ID!) { revokeSession(id: $id) }`,
      () => ({ id: ownerSessionId }),
    ],
    ['updateProfile', `mutation { updateProfile(name: "renamed by a key") { id } }`, () => ({})],
  ];

  it('the list below covers every such mutation of the schema', async () => {
    const res = await t.gql(FieldsOfTypeDocument, { name: 'Mutation' });
    const served = res.data!.__type!.fields!.map((f) => f.name);
    const relevant = served.filter(
      (name) =>
        /ApiKey|Team|Member|Role|Permission|Invitation|logOut|Password|Session|Profile/.test(
          name,
        ) && name !== 'verifyApiCredentials',
    );
    const listed = new Set(mutations.map(([name]) => name.split(' ')[0]));
    expect(relevant.filter((name) => !listed.has(name))).toEqual([]);
  });

  it.each(mutations.map(([name, doc, vars]) => ({ name, doc, vars })))(
    '$name is FORBIDDEN for a key holding every scope',
    async ({ doc, vars }) => {
      const res = await gql(doc, vars(), as(everything));
      expect(res.status).toBe(200);
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(Object.values(res.data ?? {}).every((v) => v === null)).toBe(true);
    },
  );

  it('and nothing was changed by any of those attempts', async () => {
    const state = await t.gql(
      typed<{
        team: TeamNow;
        apiKeys: { edges: { node: KeyNow }[] };
      }>(`query($t: ID!) { team(id: $t) { name members { id role { name } grants { id } } roles { id name permissions } }
                        apiKeys(teamId: $t, first: 100) { edges { node { id name status secretVersion scopes } } } }`),
      { t: team.id },
      owner.headers,
    );
    const { team: now, apiKeys } = state.data!;
    expect(now.name).toBe('Principal');
    const member = now.members.find((m) => m.id === memberId)!;
    expect(member.role.name).toBe('Member');
    expect(member.grants.map((g) => g.id)).toEqual([grantId]);
    expect(now.members).toHaveLength(2);
    const custom = now.roles.find((r) => r.id === customRoleId);
    expect(custom).toMatchObject({ name: 'Custom', permissions: ['team:read'] });
    expect(now.roles.map((r) => r.name)).not.toContain('Sneaky');
    const keys = new Map(apiKeys.edges.map((e) => [e.node.id, e.node]));
    expect(keys.get(reader.id)).toMatchObject({
      name: 'reader',
      status: 'ACTIVE',
      secretVersion: 1,
    });
    expect(keys.get(everything.id)).toMatchObject({
      name: 'everything',
      status: 'ACTIVE',
      secretVersion: 1,
    });
    expect([...keys.values()].map((k) => k.name)).not.toContain('child');
    const [invitation] = await t.dataSource.query(
      `SELECT state, role_id FROM invitations WHERE id = $1`,
      [invitationId],
    );
    expect(invitation).toEqual({ state: 'PENDING', role_id: team.roles.Member });
    const teams = await t.gql(TeamsDocument, {}, owner.headers);
    expect(teams.data!.teams.map((x) => x.name)).not.toContain('by a key');
    // the key's owner keeps their name, password and session
    expect((await t.gql(`{ me { name } mySessions { id } }`, {}, owner.headers)).data).toEqual({
      me: { name: 'principal-owner' },
      mySessions: [{ id: ownerSessionId }],
    });
    // and the key still works
    expect((await gql(`{ viewer { type } }`, {}, as(everything))).data).toEqual({
      viewer: { type: 'API_KEY' },
    });
  });
});

describe('what an API key may call as anyone may', () => {
  it('reportLeakedSecret, which needs no credentials: the reported key is revoked, the reporting key keeps working', async () => {
    const leaked = await createKey(t, owner, team.id, { name: 'leaked', scopes: ['orders:read'] });
    const res = await gql(
      ReportLeakedSecretDocument,
      { secret: leaked.secret, url: 'https://example.com/principal' },
      as(appOnly),
    );
    expect(res.data).toEqual({ reportLeakedSecret: true });
    const now = await t.gql(ApiKeyRevocationDocument, { id: leaked.id }, owner.headers);
    expect(now.data!.apiKey).toMatchObject({ status: 'REVOKED', revocationReason: 'LEAKED' });
    expect((await gql(`{ viewer { type } }`, {}, as(appOnly))).data).toEqual({
      viewer: { type: 'API_KEY' },
    });
  });
});

describe('bad credentials', () => {
  it('wrong, unknown, malformed, expired, revoked and out-of-range credentials all get the identical 401', async () => {
    const revoked = await createKey(t, owner, team.id, { name: 'revoked' });
    expect((await gql(`{ viewer { type } }`, {}, as(revoked))).status).toBe(200);
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: revoked.id },
      owner.headers,
    );
    const fenced = await createKey(t, owner, team.id, {
      name: 'fenced',
      allowedIps: ['10.0.0.0/8'],
    });
    await new Promise((r) => setTimeout(r, Math.max(0, expiring.expiresAt - Date.now() + 200)));

    const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    const cases: [string, Record<string, string>][] = [
      ['wrong secret (valid checksum)', basic(reader.key, unissuedSecret())],
      ['wrong secret (bad checksum)', basic(reader.key, withBadChecksum(reader.secret))],
      ["another key's secret", basic(reader.key, appOnly.secret)],
      ['unknown key', basic(`empk_${'Z'.repeat(24)}`, reader.secret)],
      ['malformed key', basic('empk_short', reader.secret)],
      ['malformed secret', basic(reader.key, 'emps_tooshort')],
      ['empty secret', { authorization: b64(`${reader.key}:`) }],
      ['no colon', { authorization: b64(reader.key) }],
      ['not base64', { authorization: 'Basic %%%not-base64%%%' }],
      ['scheme only', { authorization: 'Basic' }],
      ['unknown scheme', { authorization: `Digest ${reader.key}` }],
      ['X-Api-Key without secret', { 'x-api-key': reader.key }],
      [
        'X-Api-Key with wrong secret',
        { 'x-api-key': reader.key, 'x-api-secret': unissuedSecret() },
      ],
      ['bogus bearer token', { authorization: 'Bearer emst_not-a-session' }],
      ['expired key, right secret', as(expiring)],
      ['revoked key, right secret', as(revoked)],
      ['key outside its allowed addresses, right secret', as(fenced)],
    ];
    const answers = [];
    for (const [label, headers] of cases) {
      const res = await gql(`{ viewer { type } }`, {}, headers);
      answers.push({ label, status: res.status, body: normalized(res.text), code: codeOf(res) });
    }
    const reference = answers[0];
    expect(reference.status).toBe(401);
    expect(reference.code).toBe('UNAUTHENTICATED');
    expect(
      answers
        .filter((a) => a.status !== 401 || a.body !== reference.body)
        .map((a) => `${a.label}: ${a.status} ${a.body}`),
    ).toEqual([]);
    expect(reference.body).not.toMatch(/expired|revoked|unknown|checksum|address/i);
  });
});

/** The body with any request-specific identifier taken out. */
function normalized(text: string): string {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => !/^request_?id$/i.test(k))
          .map(([k, v]) => [k, strip(v)]),
      );
    }
    return value;
  };
  return JSON.stringify(strip(JSON.parse(text)));
}
