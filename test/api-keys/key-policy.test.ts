import { createKey } from '../helpers/api-keys';
import { createTeam, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * The team's rules for its keys (setApiKeyPolicy, team:manage): each rule refuses a key that breaks
 * it when the key is created or changed, with BAD_USER_INPUT naming the rule and the field; never
 * when its secret is regenerated or it is revoked. Keys made before a stricter rule keep working
 * and list what they break (policyBreaches). Every change is in the audit log with the old and new
 * values. expiringApiKeys lists a team's active keys that expire soon, soonest first.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let admin: SeededMember;
let stranger: SignedInUser;

beforeAll(async () => {
  ({ t, owner, team, admin, stranger } = await seed()
    .owner('policy-owner')
    .team('Policies')
    .member('admin', 'Admin', { prefix: 'policy-admin' })
    .user('stranger', 'policy-stranger'));
}, 60_000);
afterAll(() => t.close());

const DAY = 24 * 60 * 60 * 1000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

const POLICY = `maxLifetimeDays requireExpiry requireAllowedIps allowedApplicationScopes
  defaultRateLimit { limit windowSeconds } applicationScopes { name description }`;
const SET = `mutation($t: ID!, $i: ApiKeyPolicyInput!) { setApiKeyPolicy(teamId: $t, input: $i) { ${POLICY} } }`;
const CREATE = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`;
const UPDATE = `mutation($id: ID!, $i: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $i) { id name } }`;

async function setPolicy(input: Record<string, unknown>, by = owner) {
  return t.gql(SET, { t: team.id, i: input }, by.headers);
}

async function policyNow() {
  const res = await t.gql(
    `query($t: ID!) { team(id: $t) { apiKeyPolicy { ${POLICY} } } }`,
    { t: team.id },
    owner.headers,
  );
  return (res.data as { team: { apiKeyPolicy: Record<string, unknown> } }).team.apiKeyPolicy;
}

async function keyCount(): Promise<number> {
  const [row]: { n: number }[] = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM api_keys WHERE team_id = $1`,
    [team.id],
  );
  return row.n;
}

/** A create refused by a rule: BAD_USER_INPUT naming the field, the rule in its message, no key. */
async function expectRefused(input: Record<string, unknown>, field: string, says: RegExp) {
  const before = await keyCount();
  const res = await t.gql(CREATE, { i: { teamId: team.id, name: 'app', ...input } }, owner.headers);
  expect({ code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
    code: 'BAD_USER_INPUT',
    field,
  });
  expect(res.errors?.[0]?.message).toMatch(says);
  expect(await keyCount()).toBe(before);
}

afterEach(async () => {
  await setPolicy({
    maxLifetimeDays: null,
    requireExpiry: false,
    requireAllowedIps: false,
    allowedApplicationScopes: null,
    defaultRateLimit: null,
    applicationScopes: [],
  });
});

describe("a team's key rules", () => {
  it('a team that set none has none; the owner sets them, a field left out stays as it was', async () => {
    expect(await policyNow()).toEqual({
      maxLifetimeDays: null,
      requireExpiry: false,
      requireAllowedIps: false,
      allowedApplicationScopes: null,
      defaultRateLimit: null,
      applicationScopes: [],
    });
    const set = await setPolicy({
      maxLifetimeDays: 90,
      allowedApplicationScopes: ['orders:read', ' invoices:write'],
      applicationScopes: [{ name: 'orders:read', description: 'See orders' }],
    });
    expect(set.errors).toBeUndefined();
    await setPolicy({ requireExpiry: true });
    expect(await policyNow()).toEqual({
      maxLifetimeDays: 90,
      requireExpiry: true,
      requireAllowedIps: false,
      allowedApplicationScopes: ['invoices:write', 'orders:read'],
      defaultRateLimit: null,
      applicationScopes: [{ name: 'orders:read', description: 'See orders' }],
    });
  });

  it('a default rate limit is given to new keys that set none, and only to them', async () => {
    const limit = { limit: 100, windowSeconds: 60 };
    expect((await setPolicy({ defaultRateLimit: limit })).errors).toBeUndefined();
    const LIMIT_OF = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {
      apiKey { rateLimit { limit windowSeconds } } } }`;
    const made = async (input: Record<string, unknown>) => {
      const res = await t.gql(
        LIMIT_OF,
        { i: { teamId: team.id, name: 'app', ...input } },
        owner.headers,
      );
      return (res.data as { createApiKey: { apiKey: { rateLimit: unknown } } }).createApiKey.apiKey
        .rateLimit;
    };
    expect(await made({})).toEqual(limit);
    expect(await made({ rateLimit: { limit: 5, windowSeconds: 1 } })).toEqual({
      limit: 5,
      windowSeconds: 1,
    });
    await setPolicy({ defaultRateLimit: null });
    expect(await made({})).toBeNull();
  });

  it('each rule refuses a key that breaks it, naming the rule and the field', async () => {
    await setPolicy({ requireExpiry: true });
    await expectRefused({}, 'expiresAt', /require an expiry/);
    await setPolicy({ requireExpiry: false, maxLifetimeDays: 30 });
    await expectRefused({}, 'expiresAt', /require an expiry/);
    await expectRefused({ expiresAt: inDays(31) }, 'expiresAt', /at most 30 days/);
    await setPolicy({ maxLifetimeDays: null, requireAllowedIps: true });
    await expectRefused({}, 'allowedIps', /allowedIps/);
    await setPolicy({ requireAllowedIps: false, allowedApplicationScopes: ['orders:read'] });
    await expectRefused({ scopes: ['orders:read', 'orders:write'] }, 'scopes', /orders:write/);
    // this API's own permissions are the owner's business, not the policy's
    const allowed = await t.gql(
      CREATE,
      { i: { teamId: team.id, name: 'ok', scopes: ['orders:read', 'apiKeys:read'] } },
      owner.headers,
    );
    expect(allowed.errors).toBeUndefined();
  });

  it('a key that follows the rules is made; an update is held to the rules for what it sets', async () => {
    await setPolicy({ maxLifetimeDays: 30, requireAllowedIps: true });
    const made = await t.gql(
      CREATE,
      { i: { teamId: team.id, name: 'fine', expiresAt: inDays(29), allowedIps: ['10.0.0.0/8'] } },
      owner.headers,
    );
    expect(made.errors).toBeUndefined();
    const id = (made.data as { createApiKey: { apiKey: { id: string } } }).createApiKey.apiKey.id;
    const longer = await t.gql(UPDATE, { id, i: { expiresAt: inDays(45) } }, owner.headers);
    expect(codeOf(longer)).toBe('BAD_USER_INPUT');
    const open = await t.gql(UPDATE, { id, i: { allowedIps: [] } }, owner.headers);
    expect(codeOf(open)).toBe('BAD_USER_INPUT');
    const [row]: { expires_at: Date; allowed_ips: string[] }[] = await t.dataSource.query(
      `SELECT expires_at, allowed_ips FROM api_keys WHERE id = $1`,
      [id],
    );
    expect(row.allowed_ips).toEqual(['10.0.0.0/8']);
    expect(row.expires_at.getTime()).toBeLessThan(Date.now() + 30 * DAY);
  });

  it('a key made before a stricter rule keeps working, says what it breaks, and can be renamed, regenerated and revoked', async () => {
    const old = await createKey(t, owner, team.id, { name: 'old', scopes: ['orders:write'] });
    await setPolicy({ requireExpiry: true, allowedApplicationScopes: ['orders:read'] });
    const listed = await t.gql(
      `query($id: ID!) { apiKey(id: $id) { policyBreaches } }`,
      { id: old.id },
      owner.headers,
    );
    expect((listed.data as { apiKey: { policyBreaches: string[] } }).apiKey.policyBreaches).toEqual(
      [
        "The team's key rules require an expiry",
        "The team's key rules don't allow the application scope orders:write",
      ],
    );
    const renamed = await t.gql(UPDATE, { id: old.id, i: { name: 'old, renamed' } }, owner.headers);
    expect(renamed.errors).toBeUndefined();
    const regenerated = await t.gql(
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
      { id: old.id },
      owner.headers,
    );
    expect(regenerated.errors).toBeUndefined();
    const revoked = await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { status } }`,
      { id: old.id },
      owner.headers,
    );
    expect(revoked.data).toEqual({ revokeApiKey: { status: 'REVOKED' } });
  });

  it('every change is in the audit log with the old and new values', async () => {
    await setPolicy({ maxLifetimeDays: 7 });
    await setPolicy({
      maxLifetimeDays: 14,
      requireExpiry: true,
      defaultRateLimit: { limit: 10, windowSeconds: 1 },
    });
    const [row]: { metadata: Record<string, unknown>; actor_user_id: string }[] =
      await t.dataSource.query(
        `SELECT metadata, actor_user_id FROM audit_events
          WHERE team_id = $1 AND action = 'policy.changed' ORDER BY chain_seq DESC LIMIT 1`,
        [team.id],
      );
    expect(row.actor_user_id).toBe(owner.id);
    expect(row.metadata).toMatchObject({
      changed: ['maxLifetimeDays', 'requireExpiry', 'defaultRateLimit'],
      before: { maxLifetimeDays: 7, requireExpiry: false, defaultRateLimit: null },
      after: {
        maxLifetimeDays: 14,
        requireExpiry: true,
        defaultRateLimit: { limit: 10, windowSeconds: 1 },
      },
    });
  });

  it('bad rules are refused with the field named, and change nothing', async () => {
    await setPolicy({ maxLifetimeDays: 10 });
    const bad: [Record<string, unknown>, string][] = [
      [{ maxLifetimeDays: 0 }, 'maxLifetimeDays'],
      [{ maxLifetimeDays: 3651 }, 'maxLifetimeDays'],
      [{ defaultRateLimit: { limit: 0, windowSeconds: 60 } }, 'defaultRateLimit.limit'],
      [{ defaultRateLimit: { limit: 5, windowSeconds: 0 } }, 'defaultRateLimit.windowSeconds'],
      [{ allowedApplicationScopes: ['apiKeys:read'] }, 'allowedApplicationScopes'],
      [{ allowedApplicationScopes: ['no scope'] }, 'allowedApplicationScopes'],
      [
        { applicationScopes: [{ name: 'orders:read', description: ' ' }] },
        'applicationScopes.description',
      ],
      [
        {
          applicationScopes: [
            { name: 'orders:read', description: 'a' },
            { name: 'orders:read', description: 'b' },
          ],
        },
        'applicationScopes',
      ],
    ];
    for (const [input, field] of bad) {
      const res = await setPolicy(input);
      expect({ input, code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
        input,
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    expect(await policyNow()).toMatchObject({
      maxLifetimeDays: 10,
      allowedApplicationScopes: null,
    });
  });

  it("only team:manage sets them: an Admin is refused, another team's owner finds no team", async () => {
    const byAdmin = await setPolicy({ requireExpiry: true }, admin);
    expect(codeOf(byAdmin)).toBe('FORBIDDEN');
    const byStranger = await setPolicy({ requireExpiry: true }, stranger);
    expect(codeOf(byStranger)).toBe('NOT_FOUND');
    expect(await policyNow()).toMatchObject({ requireExpiry: false });
  });
});

describe('expiringApiKeys', () => {
  it("lists the team's active keys expiring within the days asked, soonest first", async () => {
    const { id: teamId } = await createTeam(t, owner, 'Expiring');
    const later = await createKey(t, owner, teamId, { name: 'later', expiresAt: inDays(10) });
    const sooner = await createKey(t, owner, teamId, { name: 'sooner', expiresAt: inDays(2) });
    const far = await createKey(t, owner, teamId, { name: 'far', expiresAt: inDays(40) });
    const gone = await createKey(t, owner, teamId, { name: 'gone', expiresAt: inDays(1) });
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: gone.id },
      owner.headers,
    );
    const query = `query($t: ID!, $d: Int) { expiringApiKeys(teamId: $t, withinDays: $d) { id } }`;
    const ids = async (days?: number) => {
      const res = await t.gql(query, { t: teamId, d: days }, owner.headers);
      expect(res.errors).toBeUndefined();
      return (res.data as { expiringApiKeys: { id: string }[] }).expiringApiKeys.map((k) => k.id);
    };
    expect(await ids()).toEqual([sooner.id, later.id]);
    expect(await ids(60)).toEqual([sooner.id, later.id, far.id]);
    expect(codeOf(await t.gql(query, { t: teamId, d: 0 }, owner.headers))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(query, { t: teamId }, stranger.headers))).toBe('NOT_FOUND');
  });
});
