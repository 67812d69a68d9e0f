import {
  ApiKeyLastUseDocument,
  ApiKeyUsageDocument,
  VerifyApiCredentialsDocument,
} from '../clients/generated/graphql';
import { ActorType, AuditOutcome } from '../../src/modules/audit/audit-event.entity';
import { appendSyntheticEvents, type AuditDbRow, VERIFY_CHAIN_QUERY } from '../helpers/audit';
import { LineCollector } from '../helpers/log-lines';
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
 * verifyApiCredentials mutation, GET /v1/authorize) is counted, and each key's minute is one
 * apiKey.used row on the team's chain, counting uses by address, answer and route, with the
 * address, agent and request of the minute's first use; the first right-secret use from an
 * address new to the key is an apiKey.usedFromNewAddress row of its own; each request's detail
 * is in the request log with the key's id. ApiKey.usage counts uses per UTC day and outcome.
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

/** The key's rows of one action, oldest first, once the usage recorder has written them all. */
async function rowsOfKey(
  key: CreatedKey,
  action = 'apiKey.used',
  server = t,
): Promise<AuditDbRow[]> {
  await server.server.services.usage.flush(true);
  return t.dataSource.query(
    `SELECT * FROM audit_events WHERE api_key_id = $1 AND action = $2 ORDER BY chain_seq`,
    [key.id, action],
  );
}

/** The uses the rows count, address|code|via -> uses. */
function usesOf(rows: AuditDbRow[]): Record<string, number> {
  const counted: Record<string, number> = {};
  for (const row of rows) {
    for (const u of (
      row.metadata as { uses: { address: string; code: string; via: string; count: number }[] }
    ).uses) {
      const name = `${u.address}|${u.code}|${u.via}`;
      counted[name] = (counted[name] ?? 0) + u.count;
    }
  }
  return counted;
}

/** Waits out the last seconds of a minute, so that the uses a test makes fall in one minute. */
async function withinOneMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 50));
}

const keyActor = (key: CreatedKey) => ({
  actor_type: 'API_KEY',
  actor_api_key_id: key.id,
  actor_label: key.key,
  target_type: 'ApiKey',
  target_id: key.id,
  api_key_id: key.id,
});

describe("a key's minute is one apiKey.used row", () => {
  let key: CreatedKey;

  beforeAll(async () => {
    key = await createKey(t, owner, team.id, {
      name: 'traced',
      scopes: ['team:read', 'orders:read'],
    });
  });

  it('counts the uses of all three routes by address, answer and route, with the first use as its request', async () => {
    await withinOneMinute();
    const first = await httpRequest(`${t.url}/graphql`, {
      method: 'POST',
      localAddress: ip,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'usage-test/basic',
        'x-request-id': 'client-first',
        ...basic(key.key, key.secret),
      },
      body: JSON.stringify({ query: 'query WhoAmI { viewer { type } }', operationName: 'WhoAmI' }),
    });
    expect(first.status).toBe(200);
    await gql(`{ viewer { type } }`, {}, { 'x-api-key': key.key, 'x-api-secret': key.secret });
    // the right key with a wrong (well-formed) secret: refused, and counted as INVALID
    expect((await gql(`{ viewer { type } }`, {}, basic(key.key, unissuedSecret()))).status).toBe(
      401,
    );
    // a secret whose checksum fails is turned away before any lookup: nothing to count for a key
    const mangled = await gql(
      `{ viewer { type } }`,
      {},
      basic(key.key, withBadChecksum(key.secret)),
    );
    expect(mangled.status).toBe(401);
    const verify = (requiredScopes: string[]) =>
      gql(VerifyApiCredentialsDocument, { key: key.key, secret: key.secret, requiredScopes });
    expect((await verify(['orders:read'])).data!.verifyApiCredentials.code).toBe('VALID');
    expect((await verify(['orders:write'])).data!.verifyApiCredentials.code).toBe(
      'INSUFFICIENT_SCOPE',
    );
    const authorize = (scopes: string) =>
      httpRequest(`${t.url}/v1/authorize`, {
        localAddress: ip,
        headers: { ...basic(key.key, key.secret), 'x-required-scopes': scopes },
      });
    expect((await authorize('orders:read')).status).toBe(200);
    expect((await authorize('orders:write')).status).toBe(403);

    const rows = await rowsOfKey(key);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      action: 'apiKey.used',
      outcome: 'DENIED', // some use of the minute was refused
      ...keyActor(key),
      team_id: team.id,
      ip,
      user_agent: 'usage-test/basic',
      request_id: first.headers['x-request-id'],
    });
    expect(row.metadata).toMatchObject({ count: 7, clientRequestId: 'client-first' });
    const minute = (row.metadata as { minute: string }).minute;
    expect(Date.parse(minute) % 60_000).toBe(0);
    expect(new Date(row.occurred_at).getTime() - Date.parse(minute)).toBeLessThan(60_000);
    expect(usesOf(rows)).toEqual({
      [`${ip}|VALID|graphql`]: 2,
      [`${ip}|INVALID|graphql`]: 1,
      [`${ip}|VALID|verifyApiCredentials`]: 1,
      [`${ip}|INSUFFICIENT_SCOPE|verifyApiCredentials`]: 1,
      [`${ip}|VALID|authorize`]: 1,
      [`${ip}|INSUFFICIENT_SCOPE|authorize`]: 1,
    });
  });

  it('a minute of accepted uses only is SUCCESS; a new minute is a new row, and the chain still checks', async () => {
    const k = await createKey(t, owner, team.id, { name: 'two minutes' });
    await withinOneMinute();
    await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    await t.server.services.usage.flush(true); // as if the minute were over
    await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    const rows = await rowsOfKey(k);
    expect(rows.map((r) => [r.outcome, (r.metadata as { count: number }).count])).toEqual([
      ['SUCCESS', 2],
      ['SUCCESS', 1],
    ]);
    const check = await t.gql(VERIFY_CHAIN_QUERY, { t: team.id }, owner.headers);
    expect(check.data!.verifyAuditChain.valid).toBe(true);
  });

  it('a gateway named in TRUST_PROXY: uses count for the client address it names; an untrusted caller only for its own', async () => {
    const gateway = await startTestServer({ TRUST_PROXY: '127.0.0.1' });
    try {
      const k = await createKey(t, owner, team.id, { name: 'behind a gateway' });
      const send = graphqlClient(gateway.url);
      const verify = (clientIp: string) =>
        send(VerifyApiCredentialsDocument, { key: k.key, secret: k.secret, clientIp });
      expect((await verify('198.51.100.20')).data!.verifyApiCredentials.code).toBe('VALID');
      const untrusted = graphqlClient(gateway.url, { from: ip });
      await untrusted(VerifyApiCredentialsDocument, {
        key: k.key,
        secret: k.secret,
        clientIp: '198.51.100.21',
      });
      const counted = usesOf(await rowsOfKey(k, 'apiKey.used', gateway));
      expect(counted).toEqual({
        '198.51.100.20|VALID|verifyApiCredentials': 1,
        [`${ip}|VALID|verifyApiCredentials`]: 1,
      });
    } finally {
      await gateway.close();
    }
  });

  it('lastUsedAt and lastUsedIp follow the last accepted use within a second or so', async () => {
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
});

describe('the first use from a new address is an event of its own', () => {
  it('written within a second or so with its request, once per address, and never for a wrong secret', async () => {
    const k = await createKey(t, owner, team.id, { name: 'new places' });
    const home = uniqueLoopback();
    const elsewhere = uniqueLoopback();
    const attacker = uniqueLoopback();
    const from = (address: string) => graphqlClient(t.url, { from: address });
    const first = await from(home)(
      `{ viewer { type } }`,
      {},
      {
        ...basic(k.key, k.secret),
        'user-agent': 'first-home',
      },
    );
    const newAddressRows = async (count: number) =>
      (await eventually(async () => {
        const rows: AuditDbRow[] = await t.dataSource.query(
          `SELECT * FROM audit_events WHERE api_key_id = $1 AND action = 'apiKey.usedFromNewAddress' ORDER BY chain_seq`,
          [k.id],
        );
        return rows.length >= count ? rows : null;
      }, 5_000)) ?? [];
    const [homeRow] = await newAddressRows(1); // no flush: the recorder writes it by itself
    expect(homeRow).toMatchObject({
      outcome: 'SUCCESS',
      ...keyActor(k),
      team_id: team.id,
      ip: home,
      user_agent: 'first-home',
      request_id: first.headers.get('x-request-id'),
      metadata: { code: 'VALID', via: 'graphql' },
    });

    for (let i = 0; i < 3; i++) await from(home)(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    await from(attacker)(`{ viewer { type } }`, {}, basic(k.key, unissuedSecret()));
    const refused = await httpRequest(`${t.url}/v1/authorize`, {
      localAddress: elsewhere,
      headers: { ...basic(k.key, k.secret), 'x-required-scopes': 'orders:write' },
    });
    expect(refused.status).toBe(403); // the right secret, from a new place, asking too much
    await t.server.services.usage.flush(true);
    const rows = await newAddressRows(2);
    expect(rows.map((r) => [r.ip, r.outcome, (r.metadata as { code: string }).code])).toEqual([
      [home, 'SUCCESS', 'VALID'],
      [elsewhere, 'DENIED', 'INSUFFICIENT_SCOPE'],
    ]);
  });

  it('two instances that see the same new address write one event between them', async () => {
    const k = await createKey(t, owner, team.id, { name: 'two instances' });
    const other = await startTestServer();
    try {
      const place = uniqueLoopback();
      await Promise.all(
        [t, other].flatMap((server) =>
          Array.from({ length: 5 }, () =>
            graphqlClient(server.url, { from: place })(
              `{ viewer { type } }`,
              {},
              basic(k.key, k.secret),
            ),
          ),
        ),
      );
      await Promise.all([t, other].map((server) => server.server.services.usage.flush(true)));
      expect((await rowsOfKey(k, 'apiKey.usedFromNewAddress')).map((r) => r.ip)).toEqual([place]);
      // and the uses of both: one row each (an instance counts its own)
      expect(usesOf(await rowsOfKey(k))).toEqual({ [`${place}|VALID|graphql`]: 10 });
    } finally {
      await other.close();
    }
  });
});

describe("each request's detail is in the request log, with the key's id", () => {
  it('at /v1/authorize: the key, its answer and the forwarded method and path (never the query string)', async () => {
    const log = new LineCollector();
    const logged = await startTestServer({ LOG_LEVEL: 'info' }, { logStream: log });
    try {
      const k = await createKey(t, owner, team.id, { name: 'logged' });
      const res = await httpRequest(`${logged.url}/v1/authorize`, {
        headers: {
          ...basic(k.key, k.secret),
          'x-forwarded-method': 'GET',
          'x-forwarded-uri': '/orders/42?token=do-not-log',
        },
      });
      expect(res.status).toBe(200);
      const wrong = await logged.gql(VerifyApiCredentialsDocument, {
        key: k.key,
        secret: unissuedSecret(),
      });
      const lineOf = (requestId: string) =>
        log.lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === 'request' && l.reqId === requestId);
      const line = await eventually(
        async () => lineOf(String(res.headers['x-request-id'])) ?? null,
      );
      expect(line).toMatchObject({ apiKeyId: k.id, keyCode: 'VALID', forwarded: 'GET /orders/42' });
      expect(JSON.stringify(log.lines)).not.toContain('do-not-log');
      const wrongLine = await eventually(
        async () => lineOf(wrong.headers.get('x-request-id')!) ?? null,
      );
      expect(wrongLine).toMatchObject({ apiKeyId: k.id, keyCode: 'INVALID' });
    } finally {
      await logged.close();
    }
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
    // minutes as the usage recorder writes them now: each counts its uses by code
    const minutes: [string, { code: string; count: number }[]][] = [
      [
        '2024-03-02T07:00:10.000Z',
        [
          { code: 'VALID', count: 40 },
          { code: 'INVALID', count: 2 },
        ],
      ],
      ['2024-03-04T09:30:00.000Z', [{ code: 'VALID', count: 10 }]],
    ];
    await appendSyntheticEvents(t, team.id, minutes.length, (i) => ({
      occurredAt: at(minutes[i][0]),
      outcome: minutes[i][1].length > 1 ? AuditOutcome.DENIED : AuditOutcome.SUCCESS,
      action: 'apiKey.used',
      actorType: ActorType.API_KEY,
      actorApiKeyId: key.id,
      targetType: 'ApiKey',
      targetId: key.id,
      metadata: {
        count: minutes[i][1].reduce((n, u) => n + u.count, 0),
        uses: minutes[i][1].map((u) => ({ address: '198.51.100.7', via: 'authorize', ...u })),
      },
    }));
    // not a use: the creation of the key is on its trail but is no use of it
    await appendSyntheticEvents(t, team.id, 1, () => ({
      occurredAt: at('2024-03-01T11:00:00Z'),
      action: 'apiKey.updated',
      targetType: 'ApiKey',
      targetId: key.id,
    }));
  });

  it('counts per UTC day and outcome, from included, to excluded (rows of single uses and of minutes alike)', async () => {
    const res = await t.gql(
      USAGE,
      { id: key.id, from: '2024-03-01T00:00:00.000Z', to: '2024-03-05T00:00:00.000Z' },
      owner.headers,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.apiKey.usage).toEqual([
      { day: '2024-03-01', outcome: 'DENIED', count: 1 },
      { day: '2024-03-01', outcome: 'SUCCESS', count: 3 },
      { day: '2024-03-02', outcome: 'DENIED', count: 4 },
      { day: '2024-03-02', outcome: 'SUCCESS', count: 40 },
      { day: '2024-03-04', outcome: 'SUCCESS', count: 11 },
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
    await t.server.services.usage.flush(true);
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
    ).toHaveLength(5);
  });
});

describe('usage counts are written when the server closes', () => {
  it('uses made in the current minute are all written by close()', async () => {
    const key = await createKey(t, owner, team.id, { name: 'shutdown', scopes: ['orders:read'] });
    await withinOneMinute();
    const other = await startTestServer();
    const from = uniqueLoopback();
    const send = graphqlClient(other.url, { from });
    await Promise.all([
      ...Array.from({ length: 4 }, () =>
        send(`{ viewer { type } }`, {}, basic(key.key, key.secret)),
      ),
      ...Array.from({ length: 4 }, () =>
        send(VerifyApiCredentialsDocument, { key: key.key, secret: key.secret }),
      ),
    ]);
    for (let i = 0; i < 4; i++) {
      const r = await httpRequest(`${other.url}/v1/authorize`, {
        localAddress: from,
        headers: basic(key.key, key.secret),
      });
      expect(r.status).toBe(200);
    }
    const written = async (): Promise<AuditDbRow[]> =>
      t.dataSource.query(
        `SELECT * FROM audit_events WHERE api_key_id = $1 AND action = 'apiKey.used'`,
        [key.id],
      );
    expect(await written()).toEqual([]); // the minute is not over
    await other.close();
    expect(usesOf(await written())).toEqual({
      [`${from}|VALID|graphql`]: 4,
      [`${from}|VALID|verifyApiCredentials`]: 4,
      [`${from}|VALID|authorize`]: 4,
    });
  });
});
