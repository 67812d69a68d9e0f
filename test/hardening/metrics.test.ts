import { randomBytes } from 'node:crypto';
import { basic } from '../helpers/api-keys';
import type { SignedInUser } from '../helpers/factories';
import type { Gql } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, unissuedSecret, verifyWith } from '../helpers/http';
import { seed } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Metrics: GET /metrics answers Prometheus text with requests, GraphQL operations and
 * their latency per operation, key verifications by code, the usage queue and the database pool;
 * the numbers move with traffic, label values stay bounded whatever clients send, and with
 * METRICS_TOKEN set the endpoint wants that bearer token.
 */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  text: string;
  samples: Sample[];
  types: Map<string, string>;
  /** sum of the samples of `name` whose labels include `labels` */
  sum(name: string, labels?: Record<string, string>): number;
  /** distinct values of one label of one metric */
  values(name: string, label: string): string[];
}

function parse(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]] = pair[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  const matching = (name: string, labels: Record<string, string> = {}) =>
    samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  return {
    text,
    samples,
    types,
    sum: (name, labels) => matching(name, labels).reduce((a, s) => a + s.value, 0),
    values: (name, label) => [...new Set(matching(name).map((s) => s.labels[label]))].sort(),
  };
}

async function scrape(t: TestServer, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${t.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

let t: TestServer;
let owner: SignedInUser;
let key: { key: string; secret: string; id: string };
let gql: Gql;
beforeAll(
  async () =>
    ({ t, owner, key, gql } = await seed()
      .owner('metrics')
      .team('Metrics')
      .key('key', { scopes: ['team:read'] })
      .ownAddress()),
);
afterAll(() => t?.close());

describe('GET /metrics', () => {
  it('answers Prometheus text with the 6 families of the service, typed', async () => {
    const m = await scrape(t);
    expect(m.types.get('empress_http_requests_total')).toBe('counter');
    expect(m.types.get('empress_graphql_operations_total')).toBe('counter');
    expect(m.types.get('empress_graphql_operation_duration_seconds')).toBe('histogram');
    expect(m.types.get('empress_api_key_verifications_total')).toBe('counter');
    expect(m.types.get('empress_audit_usage_queue_depth')).toBe('gauge');
    expect(m.types.get('empress_db_pool_connections')).toBe('gauge');
    expect(m.values('empress_db_pool_connections', 'state')).toEqual(['idle', 'total', 'waiting']);
    // and the process defaults, under the same prefix
    expect(m.types.get('empress_process_cpu_seconds_total')).toBe('counter');
    expect(m.types.get('empress_nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('counts HTTP requests by route, method and status: +3 POST /graphql 200, +1 400, +1 unmatched 404', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 3; i++) await t.gql('{ viewer { type } }');
    await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ nope"}',
    });
    await fetch(`${t.url}/no-such-page-${randomBytes(4).toString('hex')}`);
    const after = await scrape(t);
    const delta = (labels: Record<string, string>) =>
      after.sum('empress_http_requests_total', labels) -
      before.sum('empress_http_requests_total', labels);
    expect(delta({ route: '/graphql', method: 'POST', status: '200' })).toBe(3);
    expect(delta({ route: '/graphql', method: 'POST', status: '400' })).toBe(1);
    expect(delta({ route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(delta({ route: '/metrics', method: 'GET', status: '200' })).toBe(1); // the first scrape
  });

  it('counts GraphQL operations by operation and outcome, with a latency histogram per operation', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 4; i++) await t.gql('{ viewer { type } }');
    await t.gql(`{ me { id } }`); // anonymous: refused
    await t.gql(`query Named { t1: teams { id } }`, {}, owner.headers);
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string>) =>
      after.sum(name, labels) - before.sum(name, labels);
    expect(
      delta('empress_graphql_operations_total', { operation: 'query:viewer', outcome: 'ok' }),
    ).toBe(4);
    expect(
      delta('empress_graphql_operations_total', {
        operation: 'query:me',
        outcome: 'UNAUTHENTICATED',
      }),
    ).toBe(1);
    // named by type and root field, not by the client's operation name or alias
    expect(
      delta('empress_graphql_operations_total', { operation: 'query:teams', outcome: 'ok' }),
    ).toBe(1);
    expect(
      delta('empress_graphql_operation_duration_seconds_count', { operation: 'query:viewer' }),
    ).toBe(4);
    expect(
      delta('empress_graphql_operation_duration_seconds_bucket', {
        operation: 'query:viewer',
        le: '+Inf',
      }),
    ).toBe(4);
    expect(
      delta('empress_graphql_operation_duration_seconds_sum', { operation: 'query:viewer' }),
    ).toBeGreaterThan(0);
    expect(after.values('empress_graphql_operation_duration_seconds_bucket', 'le')).toEqual(
      ['+Inf', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5'].sort(),
    );
  });

  it('counts key verifications by path and code: 3 VALID via graphql, 2 VALID + 2 INVALID via verifyApiCredentials, 1 VALID + 1 INVALID via authorize', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 3; i++)
      expect((await gql(`{ viewer { type } }`, {}, basic(key.key, key.secret))).data).toEqual({
        viewer: { type: 'API_KEY' },
      });
    for (let i = 0; i < 2; i++)
      expect((await verifyWith(gql, key.key, key.secret)).code).toBe('VALID');
    for (let i = 0; i < 2; i++)
      expect((await verifyWith(gql, key.key, unissuedSecret())).code).toBe('INVALID');
    const from = uniqueLoopback();
    expect(
      (
        await httpRequest(`${t.url}/v1/authorize`, {
          headers: basic(key.key, key.secret),
          localAddress: from,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await httpRequest(`${t.url}/v1/authorize`, {
          headers: basic(key.key, unissuedSecret()),
          localAddress: from,
        })
      ).status,
    ).toBe(401);
    const after = await scrape(t);
    const delta = (labels: Record<string, string>) =>
      after.sum('empress_api_key_verifications_total', labels) -
      before.sum('empress_api_key_verifications_total', labels);
    expect(delta({ via: 'graphql', code: 'VALID' })).toBe(3);
    expect(delta({ via: 'verifyApiCredentials', code: 'VALID' })).toBe(2);
    expect(delta({ via: 'verifyApiCredentials', code: 'INVALID' })).toBe(2);
    expect(delta({ via: 'authorize', code: 'VALID' })).toBe(1);
    expect(delta({ via: 'authorize', code: 'INVALID' })).toBe(1);
  });

  it("shows the usage queue holding a key's minute of verifications, and draining to 0 once it is written", async () => {
    // what the earlier tests counted is written: the queue starts empty
    await t.server.services.usage.flush(true);
    expect((await scrape(t)).sum('empress_audit_usage_queue_depth')).toBe(0);
    const start = new Date();
    await Promise.all(Array.from({ length: 50 }, () => verifyWith(gql, key.key, key.secret)));
    // one key's uses wait as one minute (two, if the minute turned and its end is not written yet)
    const seen = (await scrape(t)).sum('empress_audit_usage_queue_depth');
    expect(seen).toBeGreaterThanOrEqual(1);
    expect(seen).toBeLessThanOrEqual(2);
    // written once the minute is over; at once here
    await t.server.services.usage.flush(true);
    const after = await scrape(t);
    expect(after.sum('empress_audit_usage_queue_depth')).toBe(0);
    expect(after.sum('empress_audit_usage_dropped_total')).toBe(0);
    const [{ uses }] = await t.dataSource.query(
      `SELECT coalesce(sum((metadata->>'count')::int), 0)::int AS uses FROM audit_events
        WHERE action = 'apiKey.used' AND api_key_id = $1 AND occurred_at >= $2`,
      [key.id, start],
    );
    expect(uses).toBe(50);
  });

  it('shows the database pool: more open connections under 10 concurrent requests than idle at rest', async () => {
    const before = await scrape(t);
    expect(before.sum('empress_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    // 10 concurrent sessions lookups + team reads hold connections at once
    await Promise.all(
      Array.from({ length: 10 }, () =>
        t.gql(`{ teams { id members { user { id } } } }`, {}, owner.headers),
      ),
    );
    const after = await scrape(t);
    const total = after.sum('empress_db_pool_connections', { state: 'total' });
    expect(total).toBeGreaterThan(1);
    expect(total).toBeLessThanOrEqual(10); // the pool size of the test server
    expect(after.sum('empress_db_pool_connections', { state: 'idle' })).toBeLessThanOrEqual(total);
    expect(after.sum('empress_db_pool_connections', { state: 'waiting' })).toBe(0);
  });

  it('keeps label values bounded: 20 random operation names, aliases and paths add no label value', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 20; i++) {
      const junk = `x${randomBytes(6).toString('hex')}`;
      await t.gql(`query ${junk} { ${junk}: viewer { type } }`);
      await t.gql(`{ ${junk} }`);
      await fetch(`${t.url}/${junk}`);
    }
    const after = await scrape(t);
    for (const name of [
      'empress_graphql_operations_total',
      'empress_graphql_operation_duration_seconds_count',
    ]) {
      for (const op of after.values(name, 'operation'))
        expect(op).toMatch(/^((query|mutation):([A-Za-z_]+|\?)|invalid)$/);
    }
    expect(
      after
        .values('empress_http_requests_total', 'route')
        .every((r) => r === 'unmatched' || r.startsWith('/')),
    ).toBe(true);
    expect(after.text).not.toMatch(/x[0-9a-f]{12}/);
    expect(after.values('empress_http_requests_total', 'route').length).toBe(
      before.values('empress_http_requests_total', 'route').length,
    );
  });
});

describe('METRICS_TOKEN', () => {
  let guarded: TestServer;
  const token = randomBytes(16).toString('hex');
  beforeAll(async () => {
    guarded = await startTestServer({ METRICS_TOKEN: token });
  });
  afterAll(() => guarded?.close());

  it('refuses /metrics with 401 without the token, with a wrong one, and in another scheme; serves it with Bearer <token>', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${token}x` },
      { authorization: `Basic ${token}` },
      { authorization: token },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${guarded.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).not.toContain('empress_');
      expect(text).not.toContain(token);
    }
    const m = await scrape(guarded, { authorization: `Bearer ${token}` });
    expect(m.types.get('empress_http_requests_total')).toBe('counter');
    expect(m.sum('empress_http_requests_total', { route: '/metrics', status: '401' })).toBe(5);
  });

  it('answers /metrics to a caller on loopback when METRICS_TOKEN is unset', async () => {
    expect(t.config.metricsToken).toBeUndefined();
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
  });
});
