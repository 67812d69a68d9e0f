import {
  ChangeMemberRoleDocument,
  CreateRoleDocument,
  RevokeApiKeyDocument,
} from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { addMember, type SignedInUser, signUp, type TeamFixture } from '../helpers/factories';
import { codeOf, typed } from '../helpers/graphql';
import { httpRequest } from '../helpers/http';
import { seed } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Nobody obtains a credential that holds a permission they lack, and a key can do no more than
 * the member answerable for it (its owner) can do today.
 *
 * - Regenerating, updating or transferring a key needs every API permission in its scopes: a
 *   member with apiKeys:manage but not audit:read can't mint a secret for an audit:read key.
 * - A key's API permissions are its scopes cut to what its owner holds now, on every instance
 *   from the key's next request; once the owner has left, the key keeps its application scopes,
 *   loses its API permissions, and is listed as needing a new owner until it is transferred.
 */
let a: TestServer;
let b: TestServer; // a second instance on the same database
let owner: SignedInUser;
let team: TeamFixture;

const DOC = {
  regenerate: `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
  update: `mutation($id: ID!) { updateApiKey(id: $id, input: { name: "mine now" }) { id } }`,
  revoke: RevokeApiKeyDocument,
  transfer: `mutation($id: ID!, $m: ID!) { transferApiKey(id: $id, toMembershipId: $m) { id owner { id } effectiveScopes } }`,
  events: `query($t: ID!) { auditEvents(teamId: $t, first: 1) { edges { node { id } } } }`,
  key: typed<{ apiKey: KeySeen }>(
    `query($id: ID!) { apiKey(id: $id) { owner { id } scopes effectiveScopes viewerCanUpdate viewerCanRegenerate viewerCanRevoke } }`,
  ),
  verify: typed<{ verifyApiCredentials: { code: string; scopes: string[] } }>(
    `mutation($k: String!, $s: String!, $r: [String!]) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r) { code scopes } }`,
  ),
  orphans: typed<{ apiKeys: { edges: { node: { id: string } }[] } }>(
    `query($t: ID!) { apiKeys(teamId: $t, needsOwner: true) { edges { node { id } } } }`,
  ),
};

/** An API key as its team sees it: whose it is, what it names and what it can do now. */
interface KeySeen {
  owner: { id: string } | null;
  scopes: string[];
  effectiveScopes: string[];
  viewerCanUpdate: boolean;
  viewerCanRegenerate: boolean;
  viewerCanRevoke: boolean;
}

async function role(name: string, permissions: string[]): Promise<string> {
  const res = await a.gql(
    CreateRoleDocument,
    { teamId: team.id, name, permissions },
    owner.headers,
  );
  if (!res.data?.createRole) throw new Error(JSON.stringify(res.errors));
  return res.data.createRole.id;
}

async function member(
  roleId: string,
  prefix: string,
): Promise<{ user: SignedInUser; membershipId: string }> {
  const user = await signUp(a, prefix);
  return { user, membershipId: await addMember(a, owner, team.id, user.email, roleId) };
}

const secretOf = async (key: CreatedKey) =>
  (await a.dataSource.query(`SELECT secret_version FROM api_keys WHERE id = $1`, [key.id]))[0]
    .secret_version;

beforeAll(async () => {
  [{ t: a, owner, team }, b] = await Promise.all([
    seed().owner('key-owner-owner').team('Key owners'),
    startTestServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('nobody obtains a credential holding a permission they lack', () => {
  let manager: { user: SignedInUser; membershipId: string }; // apiKeys:manage, no audit:read
  let auditKey: CreatedKey;

  beforeAll(async () => {
    manager = await member(
      await role('Key manager', ['team:read', 'apiKeys:read', 'apiKeys:manage']),
      'key-manager',
    );
    auditKey = await createKey(a, owner, team.id, {
      name: 'siem',
      scopes: ['audit:read', 'orders:read'],
    });
  });

  it('a member with apiKeys:manage but not audit:read can neither regenerate, update nor take an audit:read key', async () => {
    const before = await secretOf(auditKey);
    for (const [doc, vars] of [
      [DOC.regenerate, { id: auditKey.id }],
      [DOC.update, { id: auditKey.id }],
      [DOC.transfer, { id: auditKey.id, m: manager.membershipId }],
    ] as const) {
      const res = await a.gql(doc, vars, manager.user.headers);
      expect({ doc, code: codeOf(res) }).toEqual({ doc, code: 'FORBIDDEN' });
    }
    expect(await secretOf(auditKey)).toBe(before);
    // the key still answers to its one secret, and the manager never held another
    expect(
      codeOf(await a.gql(DOC.events, { t: team.id }, basic(auditKey.key, auditKey.secret))),
    ).toBeUndefined();
  });

  it('the key tells the caller so, from the same rules (viewerCan…), and revoking it stays possible', async () => {
    const seenByManager = await a.gql(DOC.key, { id: auditKey.id }, manager.user.headers);
    expect(seenByManager.data!.apiKey).toMatchObject({
      viewerCanUpdate: false,
      viewerCanRegenerate: false,
      viewerCanRevoke: true,
    });
    const seenByOwner = await a.gql(DOC.key, { id: auditKey.id }, owner.headers);
    expect(seenByOwner.data!.apiKey).toMatchObject({
      viewerCanUpdate: true,
      viewerCanRegenerate: true,
      viewerCanRevoke: true,
    });
    const spare = await createKey(a, owner, team.id, { name: 'spare', scopes: ['audit:read'] });
    expect(
      (await a.gql(DOC.revoke, { id: spare.id }, manager.user.headers)).data?.revokeApiKey.status,
    ).toBe('REVOKED');
  });

  it('nor can anyone hand a key to a member who lacks one of its API permissions', async () => {
    const res = await a.gql(
      DOC.transfer,
      { id: auditKey.id, m: manager.membershipId },
      owner.headers,
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(
      (await a.dataSource.query(`SELECT owner_id FROM api_keys WHERE id = $1`, [auditKey.id]))[0]
        .owner_id,
    ).toBe(owner.id);
  });
});

describe('a key can do no more than its owner can do today', () => {
  let analystRole: string; // can create keys and read the audit log
  let readerRole: string; // can create keys, not read the audit log
  let analyst: { user: SignedInUser; membershipId: string };
  let key: CreatedKey; // the analyst's: audit:read, team:read, orders:read

  beforeAll(async () => {
    analystRole = await role('Analyst', [
      'team:read',
      'apiKeys:read',
      'apiKeys:create',
      'audit:read',
    ]);
    readerRole = await role('Reader', ['team:read', 'apiKeys:read', 'apiKeys:create']);
    analyst = await member(analystRole, 'analyst');
    key = await createKey(a, analyst.user, team.id, {
      name: 'analyst key',
      scopes: ['audit:read', 'team:read', 'orders:read'],
    });
  });

  const eventsWithKey = (server: TestServer) =>
    server.gql(DOC.events, { t: team.id }, basic(key.key, key.secret));
  const verifyOn = async (server: TestServer, required: string[]) =>
    (await server.gql(DOC.verify, { k: key.key, s: key.secret, r: required })).data!
      .verifyApiCredentials;

  it('while its owner holds audit:read, the key reads the audit log, on both instances', async () => {
    expect(codeOf(await eventsWithKey(a))).toBeUndefined();
    expect(codeOf(await eventsWithKey(b))).toBeUndefined(); // b now has the key cached
    expect(
      (await a.gql(DOC.key, { id: key.id }, owner.headers)).data!.apiKey.effectiveScopes,
    ).toEqual(['audit:read', 'orders:read', 'team:read']);
  });

  it('when the owner loses audit:read, the key loses it on its next request, on every instance', async () => {
    const changed = await a.gql(
      ChangeMemberRoleDocument,
      { membershipId: analyst.membershipId, roleId: readerRole },
      owner.headers,
    );
    expect(codeOf(changed)).toBeUndefined();
    for (const server of [b, a]) {
      expect(codeOf(await eventsWithKey(server))).toBe('FORBIDDEN');
      expect(await verifyOn(server, ['audit:read'])).toEqual({
        code: 'INSUFFICIENT_SCOPE',
        scopes: ['orders:read', 'team:read'],
      });
      expect((await verifyOn(server, ['orders:read'])).code).toBe('VALID');
    }
    const authorized = await httpRequest(`${b.url}/v1/authorize`, {
      headers: basic(key.key, key.secret),
    });
    expect(authorized.headers['x-empress-scopes']).toBe('orders:read team:read');
    // its declared scopes are unchanged: should the owner regain audit:read, so does the key
    expect((await a.gql(DOC.key, { id: key.id }, owner.headers)).data!.apiKey).toMatchObject({
      scopes: ['audit:read', 'orders:read', 'team:read'],
      effectiveScopes: ['orders:read', 'team:read'],
    });
  });

  it('a role change that takes the permission away has the same effect (the role is edited, not swapped)', async () => {
    const other = await member(analystRole, 'analyst-two');
    const otherKey = await createKey(a, other.user, team.id, {
      name: 'second',
      scopes: ['audit:read'],
    });
    expect(
      codeOf(await b.gql(DOC.events, { t: team.id }, basic(otherKey.key, otherKey.secret))),
    ).toBeUndefined();
    const edited = await a.gql(
      `mutation($id: ID!) { updateRole(id: $id, permissions: ["team:read", "apiKeys:read", "apiKeys:create"]) { id } }`,
      { id: analystRole },
      owner.headers,
    );
    expect(codeOf(edited)).toBeUndefined();
    expect(
      codeOf(await b.gql(DOC.events, { t: team.id }, basic(otherKey.key, otherKey.secret))),
    ).toBe('FORBIDDEN');
  });

  it('once the owner has left, the key keeps its application scopes, loses its API permissions and needs a new owner', async () => {
    expect((await verifyOn(b, ['team:read'])).code).toBe('VALID');
    const left = await a.gql(
      `mutation($t: ID!) { leaveTeam(teamId: $t) }`,
      { t: team.id },
      analyst.user.headers,
    );
    expect(left.data?.leaveTeam).toBe(true);
    for (const server of [b, a]) {
      expect(await verifyOn(server, ['orders:read'])).toEqual({
        code: 'VALID',
        scopes: ['orders:read'],
      });
      expect((await verifyOn(server, ['team:read'])).code).toBe('INSUFFICIENT_SCOPE');
      expect(
        codeOf(
          await server.gql(
            `query($t: ID!) { team(id: $t) { id } }`,
            { t: team.id },
            basic(key.key, key.secret),
          ),
        ),
      ).toBe('FORBIDDEN');
    }
    const seen = await a.gql(DOC.key, { id: key.id }, owner.headers);
    expect(seen.data!.apiKey).toMatchObject({ owner: null, effectiveScopes: ['orders:read'] });
    const orphans = await a.gql(DOC.orphans, { t: team.id }, owner.headers);
    expect(orphans.data!.apiKeys.edges.map((e) => e.node.id)).toContain(key.id);
  });

  it('transferred to a member holding its permissions, it can do everything it names again', async () => {
    const [ownerMembership] = await a.dataSource.query(
      `SELECT id FROM memberships WHERE team_id = $1 AND user_id = $2`,
      [team.id, owner.id],
    );
    const res = await a.gql(DOC.transfer, { id: key.id, m: ownerMembership.id }, owner.headers);
    expect(res.data?.transferApiKey).toEqual({
      id: key.id,
      owner: { id: owner.id },
      effectiveScopes: ['audit:read', 'orders:read', 'team:read'],
    });
    expect(codeOf(await eventsWithKey(b))).toBeUndefined();
    const orphans = await a.gql(DOC.orphans, { t: team.id }, owner.headers);
    expect(orphans.data!.apiKeys.edges.map((e) => e.node.id)).not.toContain(key.id);
    const [row] = await a.dataSource.query(
      `SELECT metadata FROM audit_events WHERE team_id = $1 AND action = 'apiKey.transferred' ORDER BY chain_seq DESC LIMIT 1`,
      [team.id],
    );
    expect(row.metadata).toMatchObject({ fromUserId: analyst.user.id, toUserId: owner.id });
  });
});
