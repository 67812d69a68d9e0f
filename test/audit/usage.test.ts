import {
  ApiKeyLastUseDocument,
  ApiKeyUsageDocument,
  VerifyApiCredentialsDocument,
} from '../clients/generated/graphql';
import { ActorType, AuditOutcome } from '../../src/modules/audit/audit-event.entity';
import {
  appendSyntheticEvents,
  auditRowsOfRequest,
  chainOf,
  type AuditDbRow,
} from '../helpers/audit';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { addMember, type SignedInUser, signUp, type TeamFixture } from '../helpers/factories';
import { codeOf, type Gql, graphqlClient } from '../helpers/graphql';
import {
  eventually,
  httpRequest,
  uniqueLoopback,
  unissuedSecret,
  withBadChecksum,
} from '../helpers/http';
import { seed } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Key use: every request made with a key (GraphQL with Basic or X-Api-Key, the
 * verifyApiCredentials mutation, GET /v1/authorize) is traced as one apiKey.used event with the
 * key, outcome, code, channel, operation or scopes asked for, address and request id; the
 * writes are batched and flushed on shutdown; ApiKey.usage counts them per UTC day and outcome.
 */
let t: TestServer;
let gql: Gql;
let ip: string;
let owner: SignedInUser;
let team: TeamFixture;

beforeAll(
  async () =>
    ({ t, ip, gql, owner, team } = await seed().ownAddress().owner('usage-owner').team('Usage')),
);
afterAll(() => t.close());

/** The rows of one request, once the usage recorder has written them. */
async function rowsOf(requestId: string, count = 1, server = t): Promise<AuditDbRow[]> {
  return (
    (await eventually(async () => {
      const rows = await auditRowsOfRequest(server, requestId);
      return rows.length >= count ? rows : null;
    }, 5_000)) ?? []
  );
}

function use(row: AuditDbRow) {
  return {
    action: row.action,
    outcome: row.outcome,
    actor_type: row.actor_type,
    actor_api_key_id: row.actor_api_key_id,
    actor_label: row.actor_label,
    target_type: row.target_type,
    target_id: row.target_id,
    api_key_id: row.api_key_id,
    team_id: row.team_id,
    ip: row.ip,
    user_agent: row.user_agent,
    metadata: row.metadata,
  };
}

const traced = (
  key: CreatedKey,
  outcome: string,
  ipAddress: string,
  userAgent: string | null,
  metadata: Record<string, unknown>,
) => ({
  action: 'apiKey.used',
  outcome,
  actor_type: 'API_KEY',
  actor_api_key_id: key.id,
  actor_label: key.key,
  target_type: 'ApiKey',
  target_id: key.id,
  api_key_id: key.id,
  team_id: team.id,
  ip: ipAddress,
  user_agent: userAgent,
  metadata,
});

describe('each use of a key is one apiKey.used event', () => {
  let key: CreatedKey;

  beforeAll(async () => {
    key = await createKey(t, owner, team.id, {
      name: 'traced',
      scopes: ['team:read', 'orders:read'],
    });
  });

  it('GraphQL with Basic and with X-Api-Key: via graphql, with the operation name', async () => {
    const res = await httpRequest(`${t.url}/graphql`, {
      method: 'POST',
      localAddress: ip,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'usage-test/basic',
        ...basic(key.key, key.secret),
      },
      body: JSON.stringify({ query: 'query WhoAmI { viewer { type } }', operationName: 'WhoAmI' }),
    });
    expect(res.status).toBe(200);
    const [row] = await rowsOf(res.headers['x-request-id'] as string);
    expect(use(row)).toEqual(
      traced(key, 'SUCCESS', ip, 'usage-test/basic', {
        code: 'VALID',
        via: 'graphql',
        operation: 'WhoAmI',
      }),
    );

    const viaHeaders = await gql(
      `{ viewer { type } }`,
      {},
      { 'x-api-key': key.key, 'x-api-secret': key.secret, 'user-agent': 'usage-test/x-api-key' },
    );
    const rows = await rowsOf(viaHeaders.headers.get('x-request-id')!);
    expect(rows.map(use)).toEqual([
      traced(key, 'SUCCESS', ip, 'usage-test/x-api-key', { code: 'VALID', via: 'graphql' }),
    ]);

    // the right key with a wrong (well-formed) secret: refused (401), and traced as DENIED
    const wrong = await gql(
      `{ viewer { type } }`,
      {},
      { ...basic(key.key, unissuedSecret()), 'user-agent': 'usage-test/wrong' },
    );
    expect(wrong.status).toBe(401);
    expect((await rowsOf(wrong.headers.get('x-request-id')!)).map(use)).toEqual([
      traced(key, 'DENIED', ip, 'usage-test/wrong', { code: 'INVALID', via: 'graphql' }),
    ]);
    // a secret whose checksum fails is turned away before any lookup: nothing to trace about a key
    const mangled = await gql(
      `{ viewer { type } }`,
      {},
      { ...basic(key.key, withBadChecksum(key.secret)), 'user-agent': 'usage-test/mangled' },
    );
    expect(mangled.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await auditRowsOfRequest(t, mangled.headers.get('x-request-id')!)).toEqual([]);
  });

  it('verifyApiCredentials: via verifyApiCredentials, with the scopes asked for and the caller address (a client address it names is only its claim)', async () => {
    const ok = await gql(
      VerifyApiCredentialsDocument,
      {
        key: key.key,
        secret: key.secret,
        requiredScopes: ['orders:read'],
        clientIp: '198.51.100.20',
      },
      { 'user-agent': 'gateway/1.0' },
    );
    expect(ok.data!.verifyApiCredentials.code).toBe('VALID');
    expect((await rowsOf(ok.headers.get('x-request-id')!)).map(use)).toEqual([
      // the caller is no gateway the deployment named (TRUST_PROXY): its own address is the one recorded
      traced(key, 'SUCCESS', ip, 'gateway/1.0', {
        code: 'VALID',
        via: 'verifyApiCredentials',
        requiredScopes: ['orders:read'],
        claimedClientIp: '198.51.100.20',
      }),
    ]);

    const scope = await gql(
      VerifyApiCredentialsDocument,
      { key: key.key, secret: key.secret, requiredScopes: ['orders:write'] },
      { 'user-agent': 'gateway/1.0' },
    );
    expect(scope.data!.verifyApiCredentials.code).toBe('INSUFFICIENT_SCOPE');
    expect((await rowsOf(scope.headers.get('x-request-id')!)).map(use)).toEqual([
      traced(key, 'DENIED', ip, 'gateway/1.0', {
        code: 'INSUFFICIENT_SCOPE',
        via: 'verifyApiCredentials',
        requiredScopes: ['orders:write'],
      }),
    ]);
  });

  it('GET /v1/authorize: via authorize, with the forwarded method and URI, the required scopes and the address', async () => {
    const res = await httpRequest(`${t.url}/v1/authorize`, {
      localAddress: ip,
      headers: {
        ...basic(key.key, key.secret),
        'x-required-scopes': 'orders:read, team:read',
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': '/orders/42',
        'user-agent': 'nginx-auth-request',
      },
    });
    expect(res.status).toBe(200);
    expect((await rowsOf(res.headers['x-request-id'] as string)).map(use)).toEqual([
      traced(key, 'SUCCESS', ip, 'nginx-auth-request', {
        code: 'VALID',
        via: 'authorize',
        operation: 'GET /orders/42',
        requiredScopes: ['orders:read', 'team:read'],
      }),
    ]);

    const denied = await httpRequest(`${t.url}/v1/authorize`, {
      localAddress: ip,
      headers: {
        ...basic(key.key, key.secret),
        'x-required-scopes': 'orders:write',
        'x-original-uri': '/orders',
        'user-agent': 'nginx-auth-request',
      },
    });
    expect(denied.status).toBe(403);
    expect((await rowsOf(denied.headers['x-request-id'] as string)).map(use)).toEqual([
      traced(key, 'DENIED', ip, 'nginx-auth-request', {
        code: 'INSUFFICIENT_SCOPE',
        via: 'authorize',
        operation: '/orders',
        requiredScopes: ['orders:write'],
      }),
    ]);
  });

  it('lastUsedAt and lastUsedIp follow the last accepted use', async () => {
    const at = Date.now();
    const fresh = uniqueLoopback();
    await graphqlClient(t.url, { from: fresh })(
      `{ viewer { type } }`,
      {},
      basic(key.key, key.secret),
    );
    const seen = await eventually(async () => {
      const res = await t.gql(ApiKeyLastUseDocument, { id: key.id }, owner.headers);
      const k = res.data!.apiKey;
      return k.lastUsedIp === fresh ? k : null;
    });
    expect(seen).not.toBeNull();
    expect(new Date(seen!.lastUsedAt!).getTime()).toBeGreaterThanOrEqual(at - 1_000);
  });

  it('a change to a key is filed after the uses that came before it', async () => {
    const k = await createKey(t, owner, team.id, { name: 'ordered' });
    await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: k.id }, owner.headers);
    const trail = (await chainOf(t, team.id))
      .filter((r) => r.api_key_id === k.id)
      .map((r) => r.action);
    expect(trail).toEqual(['apiKey.created', 'apiKey.used', 'apiKey.used', 'apiKey.revoked']);
  });
});

describe('ApiKey.usage(from, to)', () => {
  let key: CreatedKey;
  const USAGE = ApiKeyUsageDocument;
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    key = await createKey(t, owner, team.id, { name: 'counted', scopes: ['orders:read'] });
    const other = await createKey(t, owner, team.id, { name: 'not counted' });
    // Uses on known days, written the way the usage recorder writes them (hash-valid).
    const uses: [string, AuditOutcome, string][] = [
      ['2024-03-01T00:00:00.000Z', AuditOutcome.SUCCESS, key.id],
      ['2024-03-01T10:00:00.000Z', AuditOutcome.SUCCESS, key.id],
      ['2024-03-01T23:59:59.999Z', AuditOutcome.SUCCESS, key.id],
      ['2024-03-01T12:00:00.000Z', AuditOutcome.DENIED, key.id],
      ['2024-03-02T00:00:00.000Z', AuditOutcome.DENIED, key.id],
      ['2024-03-02T05:00:00.000Z', AuditOutcome.DENIED, key.id],
      ['2024-03-04T08:00:00.000Z', AuditOutcome.SUCCESS, key.id],
      ['2024-03-05T00:00:00.000Z', AuditOutcome.SUCCESS, key.id], // exactly `to`: excluded
      ['2024-03-01T10:00:00.000Z', AuditOutcome.SUCCESS, other.id], // another key
    ];
    await appendSyntheticEvents(t, team.id, uses.length, (i) => ({
      occurredAt: at(uses[i][0]),
      outcome: uses[i][1],
      action: 'apiKey.used',
      actorType: ActorType.API_KEY,
      actorApiKeyId: uses[i][2],
      targetType: 'ApiKey',
      targetId: uses[i][2],
      metadata: { code: uses[i][1] === AuditOutcome.SUCCESS ? 'VALID' : 'INVALID', via: 'graphql' },
    }));
    // not a use: the creation of the key is on its trail but is no use of it
    await appendSyntheticEvents(t, team.id, 1, () => ({
      occurredAt: at('2024-03-01T11:00:00Z'),
      action: 'apiKey.updated',
      targetType: 'ApiKey',
      targetId: key.id,
    }));
  });

  it('counts per UTC day and outcome, from included, to excluded', async () => {
    const res = await t.gql(
      USAGE,
      { id: key.id, from: '2024-03-01T00:00:00.000Z', to: '2024-03-05T00:00:00.000Z' },
      owner.headers,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.apiKey.usage).toEqual([
      { day: '2024-03-01', outcome: 'DENIED', count: 1 },
      { day: '2024-03-01', outcome: 'SUCCESS', count: 3 },
      { day: '2024-03-02', outcome: 'DENIED', count: 2 },
      { day: '2024-03-04', outcome: 'SUCCESS', count: 1 },
    ]);
    const narrow = await t.gql(
      USAGE,
      { id: key.id, from: '2024-03-01T10:00:00.000Z', to: '2024-03-02T00:00:00.000Z' },
      owner.headers,
    );
    expect(narrow.data!.apiKey.usage).toEqual([
      { day: '2024-03-01', outcome: 'DENIED', count: 1 },
      { day: '2024-03-01', outcome: 'SUCCESS', count: 2 },
    ]);
  });

  it('counts today’s real uses, over all three channels', async () => {
    const start = new Date();
    for (let i = 0; i < 3; i++) await gql(`{ viewer { type } }`, {}, basic(key.key, key.secret));
    await gql(
      `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s) { code } }`,
      { k: key.key, s: key.secret },
    );
    await gql(
      `mutation($k: String!, $s: String!, $r: [String!]) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r) { code } }`,
      {
        k: key.key,
        s: key.secret,
        r: ['nope:nope'],
      },
    );
    await httpRequest(`${t.url}/v1/authorize`, {
      localAddress: ip,
      headers: basic(key.key, key.secret),
    });
    const from = new Date(
      Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()),
    ).toISOString();
    const to = new Date(Date.parse(from) + 2 * 86_400_000).toISOString();
    const counts = await eventually(async () => {
      const usage = (await t.gql(USAGE, { id: key.id, from, to }, owner.headers)).data!.apiKey
        .usage;
      const total = usage.reduce((n, u) => n + u.count, 0);
      return total >= 6 ? usage : null;
    });
    expect(counts!.map((u) => [u.outcome, u.count])).toEqual([
      ['DENIED', 1],
      ['SUCCESS', 5],
    ]);
  });

  it('bad periods are BAD_USER_INPUT; it needs audit:read', async () => {
    const ask = (from: string, to: string, headers = owner.headers) =>
      t.gql(USAGE, { id: key.id, from, to }, headers);
    expect(codeOf(await ask('2024-03-02T00:00:00Z', '2024-03-01T00:00:00Z'))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await ask('2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z'))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await ask('2023-01-01T00:00:00Z', '2024-03-01T00:00:00Z'))).toBe(
      'BAD_USER_INPUT',
    );
    const member = await signUp(t, 'usage-member');
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    const res = await ask('2024-03-01T00:00:00Z', '2024-03-05T00:00:00Z', member.headers);
    expect(codeOf(res)).toBe('FORBIDDEN'); // the key itself is visible to a Member, its usage is not
    const auditor = await signUp(t, 'usage-auditor');
    await addMember(t, owner, team.id, auditor.email, team.roles.Auditor);
    expect(
      (await ask('2024-03-01T00:00:00Z', '2024-03-05T00:00:00Z', auditor.headers)).data!.apiKey
        .usage,
    ).toHaveLength(4);
  });
});

describe('usage events are flushed when the server closes', () => {
  it('uses made just before close() are all written', async () => {
    const key = await createKey(t, owner, team.id, { name: 'shutdown', scopes: ['orders:read'] });
    // A server of its own, closed right after the uses. The recorder writes every second, so
    // the check is only meaningful if the uses are still queued at close(): retry otherwise.
    for (let attempt = 1; ; attempt++) {
      const other = await startTestServer();
      const from = uniqueLoopback();
      const send = graphqlClient(other.url, { from });
      const requestIds: string[] = [];
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, () =>
          send(`{ viewer { type } }`, {}, basic(key.key, key.secret)),
        ),
        ...Array.from({ length: 4 }, () =>
          send(
            `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s) { code } }`,
            { k: key.key, s: key.secret },
          ),
        ),
      ]);
      for (const a of answers) requestIds.push(a.headers.get('x-request-id')!);
      for (let i = 0; i < 4; i++) {
        const r = await httpRequest(`${other.url}/v1/authorize`, {
          localAddress: from,
          headers: basic(key.key, key.secret),
        });
        requestIds.push(r.headers['x-request-id'] as string);
      }
      const count = async () => {
        const [{ n }] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM audit_events WHERE request_id = ANY($1) AND action = 'apiKey.used'`,
          [requestIds],
        );
        return n as number;
      };
      const before = await count();
      await other.close();
      const after = await count();
      if (before === requestIds.length && attempt < 5) continue; // the 1-second timer got there first
      expect(before).toBeLessThan(requestIds.length);
      expect(after).toBe(12);
      const rows: AuditDbRow[] = await t.dataSource.query(
        `SELECT * FROM audit_events WHERE request_id = ANY($1)`,
        [requestIds],
      );
      expect(rows.map((r) => (r.metadata as { via: string }).via).sort()).toEqual([
        ...Array(4).fill('authorize'),
        ...Array(4).fill('graphql'),
        ...Array(4).fill('verifyApiCredentials'),
      ]);
      expect(
        rows.every(
          (r) => r.api_key_id === key.id && r.outcome === AuditOutcome.SUCCESS && r.ip === from,
        ),
      ).toBe(true);
      break;
    }
  });
});

describe('usage events are written in batches', () => {
  it('2 s of back-to-back requests: every use written, in one transaction per second (plus one per 1,000 uses), not a stream of small ones', async () => {
    const key = await createKey(t, owner, team.id, { name: 'steady' });
    const from = uniqueLoopback();
    const until = Date.now() + 2_000;
    let sent = 0;
    while (Date.now() < until) {
      const res = await httpRequest(`${t.url}/v1/authorize`, {
        localAddress: from,
        headers: basic(key.key, key.secret),
      });
      expect(res.status).toBe(200);
      sent++;
    }
    await t.server.services.usage.flush();
    // The rows one transaction wrote share its xmin.
    const writes: { n: number }[] = await t.dataSource.query(
      `SELECT xmin::text AS tx, count(*)::int AS n FROM audit_events WHERE api_key_id = $1 AND action = 'apiKey.used' GROUP BY 1`,
      [key.id],
    );
    expect(writes.reduce((sum, w) => sum + w.n, 0)).toBe(sent);
    // ticks at most 3 in 2 s, the final flush, and the batches that filled up on the way
    expect(writes.length).toBeLessThanOrEqual(4 + Math.ceil(sent / 1_000));
  });
});
