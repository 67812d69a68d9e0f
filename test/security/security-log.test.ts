import { randomBytes } from 'node:crypto';
import { CreateRoleDocument } from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { chainOf, runAuditVerify, VERIFY_CHAIN_QUERY, withTriggersOff } from '../helpers/audit';
import {
  createTeam,
  platformAdmin,
  type SignedInUser,
  type TeamFixture,
} from '../helpers/factories';
import { graphqlClient } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, unissuedSecret } from '../helpers/http';
import { LineCollector } from '../helpers/log-lines';
import { seed, type SeededMember } from '../helpers/seed';
import { maintainUntil, startTestServer, type TestServer } from '../helpers/server';

/**
 * Only callers with a stake write into a team's audit chain. A caller that is not a member of a
 * team (anonymous, another team's user or key) and names its objects in refused mutations leaves
 * the team's chain as it was: its refusals are counted in the platform security log, per address
 * and minute, under the address the request really came from. Refusals at authentication are
 * counted there too. Members' refusals stay in the team's chain. Every request gets an id of the
 * server's own; the caller's X-Request-Id is kept, cleaned, as the client's id. A platform admin's
 * reads of a team it is not a member of leave one row per admin, team and hour in that team's log.
 */
let t: TestServer;
const log = new LineCollector();
let owner: SignedInUser;
let member: SeededMember;
let outsider: SignedInUser;
let team: TeamFixture;
let otherTeam: TeamFixture;
let roleId: string;
let membershipId: string;
let grantId: string;
let teamKey: CreatedKey;
let otherKey: CreatedKey;

const FORGED = '203.0.113.66';

beforeAll(async () => {
  // a low key-failure limit, to reach the 429 of a rate-limited caller in a few requests
  ({ t, owner, outsider, team, member, teamKey } = await seed(
    { LOG_LEVEL: 'info', VERIFY_MAX_FAILURES: '5' },
    { logStream: log },
  )
    .owner('seclog-owner')
    .user('outsider', 'seclog-outsider')
    .team('Security log')
    .member('member', 'Member', { prefix: 'seclog-member', grants: ['apiKeys:read'] })
    .key('teamKey', { scopes: ['team:read'] }));
  ({
    membershipId,
    grantIds: [grantId],
  } = member);
  otherTeam = await createTeam(t, outsider, 'Elsewhere');
  roleId = (await createRole(owner.headers, 'Reviewers')).data!.createRole.id;
  otherKey = await createKey(t, outsider, otherTeam.id, { scopes: ['team:read', 'members:read'] });
});
afterAll(() => t.close());

const createRole = (headers: Record<string, string>, name: string) =>
  t.gql(CreateRoleDocument, { teamId: team.id, name, permissions: ['team:read'] }, headers);

interface SecurityRow {
  action: string;
  outcome: string;
  actor_type: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  team_id: string | null;
  ip: string | null;
  request_id: string;
  metadata: Record<string, unknown>;
}

/** The security log's rows for an address, once this server has written what it counted. */
async function securityRows(ip: string): Promise<SecurityRow[]> {
  await t.server.services.securityLog.flush(true);
  return t.dataSource.query(`SELECT * FROM security_events WHERE ip = $1 ORDER BY chain_seq`, [ip]);
}

/** Minutes of the clock touched since `start`: the security log writes at most one row per minute for one caller. */
const minutesSince = (start: number) =>
  Math.floor(Date.now() / 60_000) - Math.floor(start / 60_000) + 1;

const counted = (rows: SecurityRow[]) =>
  rows.reduce((sum, row) => sum + Number(row.metadata.count), 0);
/** The `key` counts of the rows' `name` counts, added up: sumOf(rows, 'codes', 'UNAUTHENTICATED'). */
const sumOf = (rows: SecurityRow[], name: string, key: string) =>
  rows.reduce(
    (n, r) => n + ((r.metadata[name] as Record<string, number> | undefined)?.[key] ?? 0),
    0,
  );

/**
 * The team's chain as its members see it: how many rows, and whether it checks out. Rows of a
 * platform admin's reads are left out of the count: other test files' platform admins list every
 * team of this run's database (once an hour each), and may do so at any moment.
 */
async function chainState(teamId: string, by: SignedInUser = owner) {
  const rows = (await chainOf(t, teamId)).filter(
    (row) => row.action !== 'team.readByPlatformAdmin',
  );
  const verified = await t.gql(VERIFY_CHAIN_QUERY, { t: teamId }, by.headers);
  return { rows: rows.length, valid: verified.data?.verifyAuditChain.valid };
}

/** Every kind of change a caller can aim at the team, each naming one of its objects. */
function mutationsOnTheTeam(): {
  field: string;
  document: string;
  variables: Record<string, unknown>;
}[] {
  const m = (field: string, document: string, variables: Record<string, unknown>) => ({
    field,
    document,
    variables,
  });
  return [
    m(
      'createRole',
      `mutation($t: ID!) { createRole(teamId: $t, name: "Intruders", permissions: []) { id } }`,
      { t: team.id },
    ),
    m('updateRole', `mutation($id: ID!) { updateRole(id: $id, name: "Renamed") { id } }`, {
      id: roleId,
    }),
    m('deleteRole', `mutation($id: ID!) { deleteRole(id: $id) }`, { id: roleId }),
    m(
      'changeMemberRole',
      `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id } }`,
      {
        m: membershipId,
        r: team.roles.Owner,
      },
    ),
    m('removeTeamMember', `mutation($m: ID!) { removeTeamMember(membershipId: $m) }`, {
      m: membershipId,
    }),
    m(
      'grantPermission',
      `mutation($m: ID!) { grantPermission(membershipId: $m, permission: "audit:read") { id } }`,
      { m: membershipId },
    ),
    m('revokePermissionGrant', `mutation($id: ID!) { revokePermissionGrant(id: $id) }`, {
      id: grantId,
    }),
    m(
      'createApiKey',
      `mutation($t: ID!) { createApiKey(input: { teamId: $t, name: "mine", scopes: ["audit:read"] }) { secret } }`,
      {
        t: team.id,
      },
    ),
    m(
      'updateApiKey',
      `mutation($id: ID!) { updateApiKey(id: $id, input: { name: "mine" }) { id } }`,
      { id: teamKey.id },
    ),
    m(
      'regenerateApiKeySecret',
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
      { id: teamKey.id },
    ),
    m('revokeApiKey', `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: teamKey.id }),
    m(
      'transferApiKey',
      `mutation($id: ID!, $m: ID!) { transferApiKey(id: $id, toMembershipId: $m) { id } }`,
      {
        id: teamKey.id,
        m: membershipId,
      },
    ),
    m('updateTeam', `mutation($id: ID!) { updateTeam(id: $id, name: "Taken over") { id } }`, {
      id: team.id,
    }),
    m(
      'addTeamMember',
      `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
      {
        t: team.id,
        e: outsider.email,
        r: team.roles.Owner,
      },
    ),
    m('leaveTeam', `mutation($t: ID!) { leaveTeam(teamId: $t) }`, { t: team.id }),
  ];
}

type ActorColumns = {
  actor_type: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
};
const callers: [string, () => Record<string, string>, () => ActorColumns][] = [
  [
    'an anonymous caller',
    () => ({}),
    () => ({ actor_type: 'ANONYMOUS', actor_user_id: null, actor_api_key_id: null }),
  ],
  [
    "another team's user",
    () => outsider.headers,
    () => ({ actor_type: 'USER', actor_user_id: outsider.id, actor_api_key_id: null }),
  ],
  [
    "another team's key",
    () => basic(otherKey.key, otherKey.secret),
    () => ({ actor_type: 'API_KEY', actor_user_id: null, actor_api_key_id: otherKey.id }),
  ],
];

describe('refusals of callers with no stake in the team', () => {
  it.each(callers)(
    "%s naming the team's objects, with a forged X-Forwarded-For, leaves the team's chain untouched " +
      'and lands in the security log under its real address',
    async (_who, credentials, actor) => {
      const from = uniqueLoopback();
      const start = Date.now();
      const gql = graphqlClient(t.url, { from });
      const before = await chainState(team.id);
      const mutations = mutationsOnTheTeam();
      for (const { field, document, variables } of mutations) {
        const res = await gql(document, variables, { ...credentials(), 'x-forwarded-for': FORGED });
        expect({ field, data: res.data ?? null, code: res.errors?.[0]?.extensions?.code }).toEqual({
          field,
          data: null,
          code: expect.stringMatching(/^(UNAUTHENTICATED|FORBIDDEN|NOT_FOUND)$/),
        });
      }
      // key uses are counted per minute: written now, so that none is still to come
      await t.server.services.usage.flush(true);
      // the team's chain: not one row more, still intact
      expect(await chainState(team.id)).toEqual(before);
      // in no chain under the forged address, nor under the real one (a key's own team traces its
      // uses: its minute rows and its first use from this address)
      const chained = await t.dataSource.query(
        `SELECT team_id, action FROM audit_events WHERE ip = ANY($1)`,
        [[FORGED, from]],
      );
      const ownKeyUse = (r: { team_id: string; action: string }) =>
        (r.action === 'apiKey.used' || r.action === 'apiKey.usedFromNewAddress') &&
        r.team_id === otherTeam.id;
      expect(chained.filter((r: { team_id: string; action: string }) => !ownKeyUse(r))).toEqual([]);
      if (actor().actor_type === 'API_KEY') {
        // ... where each of its uses is counted, under its real address
        const [{ uses }] = await t.dataSource.query(
          `SELECT coalesce(sum((u->>'count')::int), 0)::int AS uses
             FROM audit_events, jsonb_array_elements(metadata->'uses') AS u
            WHERE action = 'apiKey.used' AND team_id = $1 AND api_key_id = $2
              AND u->>'address' = $3 AND u->>'code' = 'VALID' AND u->>'via' = 'graphql'`,
          [otherTeam.id, otherKey.id, from],
        );
        expect(uses).toBe(mutations.length);
      }

      const rows = await securityRows(from);
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows.length).toBeLessThanOrEqual(minutesSince(start));
      expect(counted(rows)).toBe(mutations.length);
      for (const row of rows) {
        expect(row).toMatchObject({
          action: 'security.mutationRefused',
          outcome: 'DENIED',
          ip: from,
          team_id: team.id,
          ...actor(),
        });
        expect(row.metadata.teams).toEqual([team.id]);
      }
      const fields = Object.assign({}, ...rows.map((r) => r.metadata.mutations));
      expect(Object.keys(fields).sort()).toEqual(mutations.map((m) => m.field).sort());
      expect(
        await t.dataSource.query(`SELECT id FROM security_events WHERE ip = $1`, [FORGED]),
      ).toEqual([]);
    },
  );

  it('a flood of 1,000 refused requests from one address adds a bounded number of rows, and none to any chain', async () => {
    const from = uniqueLoopback();
    const start = Date.now();
    const gql = graphqlClient(t.url, { from });
    const before = await chainState(team.id);
    const document = `mutation($t: ID!, $n: String!) { createRole(teamId: $t, name: $n, permissions: ["audit:read"]) { id } }`;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (sent < 1_000) {
          sent++;
          const res = await gql(
            document,
            { t: team.id, n: `flood-${sent}` },
            { 'x-forwarded-for': FORGED },
          );
          expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        }
      }),
    );
    expect(await chainState(team.id)).toEqual(before);
    const rows = await securityRows(from);
    expect(rows.length).toBeLessThanOrEqual(minutesSince(start));
    expect(counted(rows)).toBe(1_000);
    // no chain at all got a row from that address (other test files write into the run's database
    // meanwhile, so the rows are found by address rather than counted)
    expect(await t.dataSource.query(`SELECT id FROM audit_events WHERE ip = $1`, [from])).toEqual(
      [],
    );
  });

  it('past the per-minute cap, refusals from many addresses are counted in one overflow row', async () => {
    const capped = await startTestServer({ SECURITY_LOG_MAX_ROWS_PER_MINUTE: '3' });
    try {
      const addresses = Array.from({ length: 10 }, () => uniqueLoopback());
      const since = new Date(Date.now() - 1_000);
      for (const from of addresses) {
        const res = await graphqlClient(capped.url, { from })(
          `mutation($t: ID!) { updateTeam(id: $t, name: "x") { id } }`,
          { t: team.id },
        );
        expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      await capped.server.services.securityLog.flush(true);
      const rows: SecurityRow[] = await t.dataSource.query(
        `SELECT * FROM security_events WHERE (ip = ANY($1) OR (action = 'security.overflow' AND occurred_at >= $2)) ORDER BY chain_seq`,
        [addresses, since],
      );
      const overflow = rows.filter((r) => r.action === 'security.overflow');
      // at most 3 rows a minute (plus one overflow row each): 2 minutes if the requests spanned two
      expect(rows.length - overflow.length).toBeLessThanOrEqual(6);
      expect(overflow.length).toBeGreaterThanOrEqual(1);
      expect(counted(rows)).toBe(10);
      expect(overflow[0]).toMatchObject({
        actor_type: 'SYSTEM',
        ip: null,
        metadata: expect.objectContaining({
          actions: { 'security.mutationRefused': expect.any(Number) },
        }),
      });
    } finally {
      await capped.close();
    }
  });

  it("a member's refusal still lands in the team's chain, as the member's", async () => {
    const res = await createRole(member.headers, 'Mine');
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const requestId = res.headers.get('x-request-id');
    const rows = await t.dataSource.query(
      `SELECT team_id, action, outcome, actor_user_id FROM audit_events WHERE request_id = $1`,
      [requestId],
    );
    expect(rows).toEqual([
      { team_id: team.id, action: 'role.created', outcome: 'DENIED', actor_user_id: member.id },
    ]);
  });
});

describe('refusals at authentication', () => {
  it('100 bad bearer tokens on /graphql and /v1/audit/export are counted, not written as 100 rows', async () => {
    const from = uniqueLoopback();
    const start = Date.now();
    for (let i = 0; i < 100; i++) {
      const headers = {
        authorization: `Bearer emst_${randomBytes(32).toString('base64url')}`,
        'x-forwarded-for': FORGED,
      };
      const res =
        i % 10 === 0
          ? await httpRequest(`${t.url}/v1/audit/export?teamId=${team.id}`, {
              headers,
              localAddress: from,
            })
          : await httpRequest(`${t.url}/graphql`, {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: '{"query":"{ me { id } }"}',
              localAddress: from,
            });
      expect(res.status).toBe(401);
    }
    const rows = await securityRows(from);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThanOrEqual(minutesSince(start));
    expect(counted(rows)).toBe(100);
    for (const row of rows) {
      expect(row).toMatchObject({
        action: 'security.authRefused',
        outcome: 'DENIED',
        actor_type: 'ANONYMOUS',
        team_id: null,
      });
    }
    const sum = (name: string, key: string) => sumOf(rows, name, key);
    expect(sum('codes', 'UNAUTHENTICATED')).toBe(100);
    expect(sum('credentialKinds', 'session')).toBe(100);
    expect(sum('routes', '/v1/audit/export')).toBe(10);
    expect(JSON.stringify(rows)).not.toContain('emst_');
  });

  it('bad key credentials, then the 429 of a rate-limited caller, are counted by code', async () => {
    const from = uniqueLoopback();
    const start = Date.now();
    const gql = graphqlClient(t.url, { from });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const unknownKey = `empk_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 24)}`;
      statuses.push(
        (await gql(`{ viewer { type } }`, {}, basic(unknownKey, unissuedSecret()))).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const rows = await securityRows(from);
    expect(rows.length).toBeLessThanOrEqual(minutesSince(start));
    const sum = (name: string, key: string) => sumOf(rows, name, key);
    expect({
      UNAUTHENTICATED: sum('codes', 'UNAUTHENTICATED'),
      RATE_LIMITED: sum('codes', 'RATE_LIMITED'),
      apiKey: sum('credentialKinds', 'apiKey'),
    }).toEqual({ UNAUTHENTICATED: 5, RATE_LIMITED: 3, apiKey: 8 });
  });
});

describe('request ids', () => {
  it("two requests with the same X-Request-Id get different ids of the server's own, and keep the client's id", async () => {
    const clientId = `gw-${randomBytes(6).toString('hex')}`;
    const send = () => createRole({ ...member.headers, 'x-request-id': clientId }, 'Again');
    const [a, b] = [await send(), await send()];
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids).not.toContain(clientId);
    const rows = await t.dataSource.query(
      `SELECT request_id, metadata FROM audit_events WHERE request_id = ANY($1) ORDER BY chain_seq`,
      [ids],
    );
    expect(rows.map((r: { request_id: string }) => r.request_id)).toEqual(ids);
    for (const row of rows) expect(row.metadata.clientRequestId).toBe(clientId);
    for (const id of ids) {
      const line = log.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'request' && l.reqId === id);
      expect(line).toMatchObject({ reqId: id, clientRequestId: clientId });
    }
  });

  it("a hostile X-Request-Id is bounded and cleaned to a safe set of characters; it never becomes the request's id", async () => {
    const hostile = `gw id;<script>"\\${'x'.repeat(300)}`;
    const res = await createRole({ ...member.headers, 'x-request-id': hostile }, 'Hostile');
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [row] = await t.dataSource.query(
      `SELECT metadata FROM audit_events WHERE request_id = $1`,
      [id],
    );
    expect(row.metadata.clientRequestId).toBe(`gwidscript${'x'.repeat(54)}`);
  });
});

describe("a platform admin's reads", () => {
  const reads = `query($t: ID!) { team(id: $t) { name members { id } } apiKeys(teamId: $t) { totalCount } }`;
  const adminRows = (teamId: string, adminId: string) =>
    t.dataSource.query(
      `SELECT action, outcome, actor_user_id, target_id, metadata FROM audit_events
        WHERE team_id = $1 AND actor_user_id = $2 AND action = 'team.readByPlatformAdmin'`,
      [teamId, adminId],
    );

  it('reading a team twice within the hour, on two instances, leaves one row in its log; none in a team the admin belongs to', async () => {
    const admin = await platformAdmin(t);
    const second = await startTestServer();
    try {
      for (const server of [t, t, second]) {
        const res = await server.gql(reads, { t: team.id }, admin.headers);
        expect(res.errors).toBeUndefined();
      }
      expect(await adminRows(team.id, admin.id)).toEqual([
        {
          action: 'team.readByPlatformAdmin',
          outcome: 'SUCCESS',
          actor_user_id: admin.id,
          target_id: team.id,
          metadata: expect.objectContaining({ actingAsPlatformAdmin: true }),
        },
      ]);
      // its own team: it is a member there, and reads nothing it may not read as one
      const own = await createTeam(t, admin, 'Admin own');
      for (let i = 0; i < 2; i++)
        expect((await t.gql(reads, { t: own.id }, admin.headers)).errors).toBeUndefined();
      expect(await adminRows(own.id, admin.id)).toEqual([]);
      // members reading their own team leave nothing of the kind
      await t.gql(reads, { t: team.id }, owner.headers);
      const others = await t.dataSource.query(
        `SELECT id FROM audit_events WHERE team_id = $1 AND action = 'team.readByPlatformAdmin' AND actor_user_id = $2`,
        [team.id, owner.id],
      );
      expect(others).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('the record of which reads were written is purged after the hour that needs it', async () => {
    const admin = await platformAdmin(t);
    const old = new Date(Date.now() - 3 * 3_600_000);
    await t.dataSource.query(
      `INSERT INTO platform_admin_reads (admin_id, team_id, hour) VALUES ($1, $2, date_trunc('hour', $3::timestamptz))`,
      [admin.id, team.id, old],
    );
    expect((await t.gql(reads, { t: team.id }, admin.headers)).errors).toBeUndefined();
    const hoursOnRecord = (): Promise<{ hour: Date }[]> =>
      t.dataSource.query(`SELECT hour FROM platform_admin_reads WHERE admin_id = $1`, [admin.id]);
    expect(await maintainUntil(t, async () => (await hoursOnRecord()).length === 1)).toBe(true);
    const left = await hoursOnRecord();
    expect(Date.now() - new Date(left[0].hour).getTime()).toBeLessThan(3_600_000);
  });
});

describe('the security log itself', () => {
  it('is append-only, and audit:verify checks its chain', async () => {
    const from = uniqueLoopback();
    await graphqlClient(t.url, { from })(
      `mutation($t: ID!) { updateTeam(id: $t, name: "x") { id } }`,
      { t: team.id },
    );
    const [row] = await securityRows(from);
    expect(row).toBeDefined();
    for (const statement of [
      `UPDATE security_events SET ip = '192.0.2.1' WHERE ip = $1`,
      `DELETE FROM security_events WHERE ip = $1`,
    ]) {
      await expect(t.dataSource.query(statement, [from])).rejects.toThrow(/append-only/);
    }
    await expect(t.dataSource.query(`TRUNCATE security_events`)).rejects.toThrow(/append-only/);

    const intact = await runAuditVerify(['security']);
    expect(intact.stdout).toMatch(/ok\s+security log: \d+ events/);
    expect(intact.code).toBe(0);
    // an edit (with the triggers off, as only a database superuser could) is found
    await withTriggersOff(t, (m) =>
      m.query(`UPDATE security_events SET metadata = metadata || '{"count": 0}' WHERE ip = $1`, [
        from,
      ]),
    );
    try {
      const broken = await runAuditVerify(['security']);
      expect(broken.stdout).toMatch(/BROKEN\s+security log/);
      expect(broken.code).toBe(1);
    } finally {
      await withTriggersOff(t, (m) =>
        m.query(`UPDATE security_events SET metadata = $2 WHERE ip = $1`, [from, row.metadata]),
      );
    }
    expect((await runAuditVerify(['security'])).code).toBe(0);
  });
});
