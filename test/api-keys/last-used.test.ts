import { ApiKeyLastUseDocument, type ApiKeyLastUseQuery } from '../clients/generated/graphql';
import { randomBytes } from 'node:crypto';
import { basic, type CreatedKey } from '../helpers/api-keys';
import { selectRows } from '../helpers/db-dump';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { graphqlClient } from '../helpers/graphql';
import {
  eventually,
  httpRequest,
  uniqueLoopback,
  uniqueLoopbackIn,
  unissuedSecret,
  verifyWith,
} from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Every use of a key is traced: lastUsedAt / lastUsedIp follow within seconds (the usage
 * recorder writes them every second); the uses of each minute are one apiKey.used audit row
 * counting them by address, answer (code) and route, carrying the address, request id (the
 * server's, as answered in X-Request-Id) and the client's own request id of the minute's first
 * use; the first use with the right secret from an address new to the key is an
 * apiKey.usedFromNewAddress row of its own, with that request's outcome, address and ids.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let k: CreatedKey;

beforeAll(async () => {
  // the gateway of the /v1/authorize uses below is a proxy the deployment names
  ({ t, owner, team, k } = await seed({ TRUST_PROXY: '127.77.0.0/16' })
    .owner('last-used-owner')
    .team('Last used')
    .key('k', { scopes: ['orders:read', 'team:read'] }));
});
afterAll(() => t.close());

const clientRequestId = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

/** The server's id of a request, from its X-Request-Id answer. */
function serverIdOf(res: { headers: Headers | Record<string, unknown> }): string {
  const id =
    res.headers instanceof Headers ? res.headers.get('x-request-id') : res.headers['x-request-id'];
  if (typeof id !== 'string') throw new Error('no X-Request-Id in the answer');
  return id;
}

async function lastUse(): Promise<ApiKeyLastUseQuery['apiKey']> {
  const res = await t.gql(ApiKeyLastUseDocument, { id: k.id }, owner.headers);
  return res.data!.apiKey;
}

it('a new key has never been used', async () => {
  expect(await lastUse()).toEqual({ lastUsedAt: null, lastUsedIp: null });
});

it('a Basic request sets lastUsedAt and lastUsedIp (the caller) within a few seconds', async () => {
  const address = uniqueLoopback();
  const before = Date.now();
  const res = await graphqlClient(t.url, { from: address })(
    `{ viewer { type } }`,
    {},
    basic(k.key, k.secret),
  );
  expect(res.status).toBe(200);
  const seen = await eventually(async () => {
    const use = await lastUse();
    return use.lastUsedIp === address ? use : null;
  }, 5_000);
  expect(seen).not.toBeNull();
  const at = new Date(seen!.lastUsedAt!).getTime();
  expect(at).toBeGreaterThanOrEqual(before - 1_000);
  expect(at).toBeLessThanOrEqual(Date.now() + 1_000);
});

it('verifyApiCredentials with clientIp, from a gateway the deployment trusts, records the client address and a later time', async () => {
  const previous = await lastUse();
  await new Promise((r) => setTimeout(r, 20));
  const clientIp = '203.0.113.77';
  expect(
    (
      await verifyWith(
        graphqlClient(t.url, { from: uniqueLoopbackIn('127.77') }),
        k.key,
        k.secret,
        { clientIp },
      )
    ).code,
  ).toBe('VALID');
  const seen = await eventually(async () => {
    const use = await lastUse();
    return use.lastUsedIp === clientIp ? use : null;
  }, 5_000);
  expect(seen).not.toBeNull();
  expect(new Date(seen!.lastUsedAt!).getTime()).toBeGreaterThan(
    new Date(previous.lastUsedAt!).getTime(),
  );
});

it("a minute's uses are one apiKey.used row counting them by address, code and route, with the first use's request; each new address a right secret comes from is an apiKey.usedFromNewAddress row", async () => {
  const gateway = uniqueLoopbackIn('127.77');
  const app = uniqueLoopback();
  type Answer = { headers: Headers | Record<string, unknown> };
  type Outcome = 'SUCCESS' | 'DENIED';
  const uses: {
    clientId: string;
    id?: string;
    outcome: Outcome;
    ip: string;
    via: string;
    code: string;
    send: () => Promise<Answer>;
  }[] = [];
  const add = (
    what: string,
    outcome: Outcome,
    ip: string,
    via: string,
    code: string,
    send: (clientId: string) => Promise<Answer>,
  ) => {
    const clientId = clientRequestId(what);
    uses.push({ clientId, outcome, ip, via, code, send: () => send(clientId) });
  };
  const verifyAs = (id: string, secret: string, extra: Record<string, unknown>) =>
    graphqlClient(t.url, { from: gateway })(
      `mutation($k: String!, $s: String!, $r: [String!], $ip: String) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r, clientIp: $ip) { code } }`,
      { k: k.key, s: secret, ...extra },
      { 'x-request-id': id },
    );
  add('basic-ok', 'SUCCESS', app, 'graphql', 'VALID', (id) =>
    graphqlClient(t.url, { from: app })(
      `{ viewer { type } }`,
      {},
      { ...basic(k.key, k.secret), 'x-request-id': id },
    ),
  );
  add('basic-wrong', 'DENIED', app, 'graphql', 'INVALID', (id) =>
    graphqlClient(t.url, { from: app })(
      `{ viewer { type } }`,
      {},
      { ...basic(k.key, unissuedSecret()), 'x-request-id': id },
    ),
  );
  add('verify-ok', 'SUCCESS', '198.51.100.1', 'verifyApiCredentials', 'VALID', (id) =>
    verifyAs(id, k.secret, { ip: '198.51.100.1' }),
  );
  add('verify-wrong', 'DENIED', '198.51.100.2', 'verifyApiCredentials', 'INVALID', (id) =>
    verifyAs(id, unissuedSecret(), { ip: '198.51.100.2' }),
  );
  add(
    'verify-scope',
    'DENIED',
    '198.51.100.3',
    'verifyApiCredentials',
    'INSUFFICIENT_SCOPE',
    (id) => verifyAs(id, k.secret, { ip: '198.51.100.3', r: ['orders:write'] }),
  );
  add('authorize-ok', 'SUCCESS', '192.0.2.9', 'authorize', 'VALID', (id) =>
    httpRequest(`${t.url}/v1/authorize`, {
      headers: { ...basic(k.key, k.secret), 'x-forwarded-for': '192.0.2.9', 'x-request-id': id },
      localAddress: gateway,
    }),
  );
  add('authorize-scope', 'DENIED', '192.0.2.10', 'authorize', 'INSUFFICIENT_SCOPE', (id) =>
    httpRequest(`${t.url}/v1/authorize`, {
      headers: {
        ...basic(k.key, k.secret),
        'x-forwarded-for': '192.0.2.10',
        'x-required-scopes': 'members:read',
        'x-request-id': id,
      },
      localAddress: gateway,
    }),
  );
  // the earlier tests' uses are written first: this test's uses start a minute row of their own
  await t.server.services.usage.flush(true);
  const start = new Date();
  for (const use of uses) use.id = serverIdOf(await use.send());
  await t.server.services.usage.flush(true);

  const ids = uses.map((u) => u.id!);
  expect(new Set([...ids, ...uses.map((u) => u.clientId)]).size).toBe(2 * uses.length);
  const keyColumns = {
    actor_type: 'API_KEY',
    actor_api_key_id: k.id,
    actor_label: k.key,
    target_id: k.id,
    team_id: team.id,
  };

  // One row per minute: a row more only if the uses straddle the turn of a minute.
  const minutes = await selectRows(
    `SELECT request_id, outcome, ip, actor_type, actor_api_key_id, actor_label, target_id, team_id, metadata
       FROM audit_events WHERE action = 'apiKey.used' AND api_key_id = $1 AND occurred_at >= $2
      ORDER BY chain_seq`,
    [k.id, start],
  );
  expect(minutes.length).toBeGreaterThanOrEqual(1);
  expect(minutes.length).toBeLessThanOrEqual(2);
  expect(minutes[0].request_id).toBe(ids[0]);
  const counted: Record<string, number> = {};
  for (const row of minutes) {
    const metadata = row.metadata as {
      count: number;
      clientRequestId?: string;
      uses: { address: string; code: string; via: string; count: number }[];
    };
    // the row carries its minute's first use: its request, address and client request id
    const first = uses.find((u) => u.id === row.request_id);
    expect(first).toBeDefined();
    expect(row).toMatchObject({ ...keyColumns, ip: first!.ip });
    expect(metadata.clientRequestId).toBe(first!.clientId);
    expect(metadata.count).toBe(metadata.uses.reduce((n, u) => n + u.count, 0));
    expect(row.outcome).toBe(metadata.uses.every((u) => u.code === 'VALID') ? 'SUCCESS' : 'DENIED');
    for (const u of metadata.uses) {
      const name = `${u.address}|${u.code}|${u.via}`;
      counted[name] = (counted[name] ?? 0) + u.count;
    }
  }
  const expected: Record<string, number> = {};
  for (const use of uses) {
    const name = `${use.ip}|${use.code}|${use.via}`;
    expected[name] = (expected[name] ?? 0) + 1;
  }
  expect(counted).toEqual(expected);

  // Each address the right secret came from for the first time: one event with that request;
  // a wrong secret (INVALID) never makes one.
  const fresh = await selectRows(
    `SELECT request_id, outcome, ip, actor_type, actor_api_key_id, actor_label, target_id, team_id, metadata
       FROM audit_events WHERE action = 'apiKey.usedFromNewAddress' AND api_key_id = $1 AND occurred_at >= $2`,
    [k.id, start],
  );
  const rightSecret = uses.filter((u) => u.code !== 'INVALID');
  expect(fresh.map((r) => r.request_id).sort()).toEqual(rightSecret.map((u) => u.id).sort());
  for (const use of rightSecret) {
    const row = fresh.find((r) => r.request_id === use.id);
    expect({ what: use.clientId, ...row }).toEqual({
      what: use.clientId,
      request_id: use.id,
      outcome: use.outcome,
      ip: use.ip,
      ...keyColumns,
      metadata: { code: use.code, via: use.via, clientRequestId: use.clientId },
    });
  }
});
