import { Client } from 'pg';
import { basic, type CreatedKey } from '../helpers/api-keys';
import { graphqlClient } from '../helpers/graphql';
import {
  eventually,
  httpRequest,
  uniqueLoopback,
  uniqueLoopbackIn,
  unissuedSecret,
  verifyWith,
  withBadChecksum,
} from '../helpers/http';
import { seed } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

/**
 * Throttling of credential checks:
 * - failures (INVALID) are counted per calling address, and per clientIp when the caller is a
 *   gateway the deployment trusts (TRUST_PROXY); at the limit the address is refused
 *   (RATE_LIMITED, 429) even with correct credentials, on every instance;
 * - valid credentials never count: a gateway's own good traffic never gets it throttled;
 * - a secret whose checksum fails is refused without any database query.
 *
 * Every part talks from addresses of its own (127.x.y.z), so the counts of other test files,
 * which share this run's database, can't interfere.
 */
const MAX = 5;
/** the gateways of these tests: TRUST_PROXY names them, so they may speak for their clients */
const GATEWAYS = '127.77.0.0/16';
const gatewayAddress = () => uniqueLoopbackIn('127.77');
let a: TestServer; // VERIFY_MAX_FAILURES=5
let b: TestServer; // a second instance on the same database, same limits
let k: CreatedKey;

beforeAll(async () => {
  const env = { VERIFY_MAX_FAILURES: String(MAX), TRUST_PROXY: GATEWAYS };
  [{ t: a, k }, b] = await Promise.all([
    seed(env)
      .owner('limit-owner')
      .team('Rate limits')
      .key('k', { scopes: ['orders:read'] }),
    startTestServer(env),
  ]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('failures are limited', () => {
  it(`${MAX} INVALID verifications from one address, then RATE_LIMITED even with the right secret, on GraphQL and /v1/authorize`, async () => {
    const address = uniqueLoopback();
    const gql = graphqlClient(a.url, { from: address });
    expect((await verifyWith(gql, k.key, k.secret)).code).toBe('VALID');
    for (let i = 0; i < MAX; i++)
      expect((await verifyWith(gql, k.key, unissuedSecret())).code).toBe('INVALID');
    expect(await verifyWith(gql, k.key, k.secret)).toEqual({
      valid: false,
      code: 'RATE_LIMITED',
      teamId: null,
      scopes: [],
      apiKey: null,
    });
    const viaBasic = await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    expect(viaBasic.status).toBe(429);
    expect(viaBasic.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(
      (
        await httpRequest(`${a.url}/v1/authorize`, {
          headers: basic(k.key, k.secret),
          localAddress: address,
        })
      ).status,
    ).toBe(429);
    // only that address: another one is served as usual
    expect(
      (await verifyWith(graphqlClient(a.url, { from: uniqueLoopback() }), k.key, k.secret)).code,
    ).toBe('VALID');
  });

  it('counts per clientIp too: a client that failed through one trusted gateway is refused through another', async () => {
    const client = '203.0.113.50';
    const gateway1 = graphqlClient(a.url, { from: gatewayAddress() });
    const gateway2 = graphqlClient(a.url, { from: gatewayAddress() });
    for (let i = 0; i < MAX; i++)
      expect((await verifyWith(gateway1, k.key, unissuedSecret(), { clientIp: client })).code).toBe(
        'INVALID',
      );
    expect((await verifyWith(gateway2, k.key, k.secret, { clientIp: client })).code).toBe(
      'RATE_LIMITED',
    );
    expect((await verifyWith(gateway2, k.key, k.secret, { clientIp: '203.0.113.51' })).code).toBe(
      'VALID',
    );
    expect((await verifyWith(gateway2, k.key, k.secret)).code).toBe('VALID');
  });

  it(`one abusive client can't get its gateway refused: ${MAX} failures for one clientIp leave the gateway's other clients served; ${MAX * 20} failures over many clients do block the gateway`, async () => {
    const gateway = graphqlClient(a.url, { from: gatewayAddress() });
    for (let i = 0; i < MAX; i++)
      expect(
        (await verifyWith(gateway, k.key, unissuedSecret(), { clientIp: '198.51.100.1' })).code,
      ).toBe('INVALID');
    expect((await verifyWith(gateway, k.key, k.secret, { clientIp: '198.51.100.1' })).code).toBe(
      'RATE_LIMITED',
    );
    expect((await verifyWith(gateway, k.key, k.secret, { clientIp: '198.51.100.2' })).code).toBe(
      'VALID',
    );
    // A caller that makes up a new clientIp for every try is still stopped, at the gateway limit.
    for (let i = 0; i < MAX * 20 - MAX; i++) {
      await verifyWith(gateway, k.key, unissuedSecret(), {
        clientIp: `198.51.100.${10 + (i % 200)}`,
      });
    }
    expect((await verifyWith(gateway, k.key, k.secret, { clientIp: '198.51.100.250' })).code).toBe(
      'RATE_LIMITED',
    );
  });

  it('the count is shared by every instance: after the limit on one, a single failure blocks the next', async () => {
    const address = uniqueLoopback();
    for (let i = 0; i < MAX; i++)
      expect(
        (await verifyWith(graphqlClient(a.url, { from: address }), k.key, unissuedSecret())).code,
      ).toBe('INVALID');
    const onB = graphqlClient(b.url, { from: address });
    // one failure on B reads the shared count, which is already past the limit (B alone would
    // allow MAX of its own)
    expect((await verifyWith(onB, k.key, unissuedSecret())).code).toBe('INVALID');
    expect((await verifyWith(onB, k.key, k.secret)).code).toBe('RATE_LIMITED');
  });

  it('the refusal ends with the window', async () => {
    const c = await startTestServer({ VERIFY_MAX_FAILURES: '2', VERIFY_WINDOW_SECONDS: '1' });
    try {
      const gql = graphqlClient(c.url, { from: uniqueLoopback() });
      expect((await verifyWith(gql, k.key, unissuedSecret())).code).toBe('INVALID');
      // the window opened while that first failure was being answered: no later than now
      const started = Date.now();
      expect((await verifyWith(gql, k.key, unissuedSecret())).code).toBe('INVALID');
      expect((await verifyWith(gql, k.key, k.secret)).code).toBe('RATE_LIMITED');
      await new Promise((r) => setTimeout(r, Math.max(0, started + 1_300 - Date.now())));
      expect((await verifyWith(gql, k.key, k.secret)).code).toBe('VALID');
    } finally {
      await c.close();
    }
  });
});

describe('good traffic is never limited', () => {
  it(`200 VALID verifications in a row from one address (with ${MAX - 1} failures already counted) are never RATE_LIMITED`, async () => {
    const address = uniqueLoopback();
    const gql = graphqlClient(a.url, { from: address });
    for (let i = 0; i < MAX - 1; i++)
      expect((await verifyWith(gql, k.key, unissuedSecret())).code).toBe('INVALID');
    const codes = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const { code } = await verifyWith(gql, k.key, k.secret, { requiredScopes: ['orders:read'] });
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    for (let i = 0; i < 50; i++) {
      const res = await httpRequest(`${a.url}/v1/authorize`, {
        headers: basic(k.key, k.secret),
        localAddress: address,
      });
      codes.set(`authorize ${res.status}`, (codes.get(`authorize ${res.status}`) ?? 0) + 1);
    }
    for (let i = 0; i < 50; i++) {
      const res = await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
      codes.set(`graphql ${res.status}`, (codes.get(`graphql ${res.status}`) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({
      VALID: 200,
      'authorize 200': 50,
      'graphql 200': 50,
    });
    // the failures counted before are still there: the next one reaches the limit
    expect((await verifyWith(gql, k.key, unissuedSecret())).code).toBe('INVALID');
    expect((await verifyWith(gql, k.key, k.secret)).code).toBe('RATE_LIMITED');
  });
});

describe('a bad checksum costs no database query', () => {
  let c: TestServer;
  beforeAll(async () => {
    c = await startTestServer({ VERIFY_MAX_FAILURES: '1000' });
  });
  afterAll(() => c.close());

  /**
   * Counts every query any pg client of this process sends while `run` runs, except the change
   * feed's acks (key changes made by other test files' servers on this run's database reach this
   * process's feed at any moment, and it acks them on its own connection).
   */
  async function queriesDuring(run: () => Promise<void>): Promise<number> {
    const spy = jest.spyOn(Client.prototype, 'query');
    try {
      await run();
      return spy.mock.calls.filter(
        ([, values]) => !(Array.isArray(values) && values[0] === 'empress_api_key_changed_ack'),
      ).length;
    } finally {
      spy.mockRestore();
    }
  }

  it('answers INVALID for secrets whose checksum fails without touching the database', async () => {
    const gql = graphqlClient(c.url, { from: uniqueLoopback() });
    // nothing queued in any server's usage recorder (the spy sees every server of this file),
    // whose timer would otherwise write during the count, and no work on the servers' own timers
    // (purges, webhook deliveries, expiry notices)
    await Promise.all([a, b, c].map((server) => server.server.services.usage.flush(true)));
    await Promise.all([a, b, c].map((server) => server.server.services.stopTimedWork()));
    // The spy sees queries: an unknown key with a well-formed secret needs at least the lookup.
    const control = await queriesDuring(async () => {
      expect((await verifyWith(gql, `empk_${'Q'.repeat(24)}`, unissuedSecret())).code).toBe(
        'INVALID',
      );
    });
    expect(control).toBeGreaterThan(0);

    const seen: string[] = [];
    const count = await queriesDuring(async () => {
      for (let i = 0; i < 20; i++) {
        // never-seen keys (nothing cached) with secrets that are right but for their checksum
        const key = `empk_${String(i).padStart(2, '0')}${'x'.repeat(22)}`;
        seen.push((await verifyWith(gql, key, withBadChecksum(k.secret))).code);
      }
      seen.push((await verifyWith(gql, k.key, withBadChecksum(k.secret))).code);
      const res = await httpRequest(`${c.url}/v1/authorize`, {
        headers: basic(`empk_${'y'.repeat(24)}`, withBadChecksum(k.secret)),
        localAddress: uniqueLoopback(),
      });
      seen.push(`authorize ${res.status}`);
    });
    expect(seen).toEqual([...Array(21).fill('INVALID'), 'authorize 401']);
    expect(count).toBe(0);
  });
});

describe('wrong secrets are counted in memory and shared in batches', () => {
  it("50 wrong secrets from one address: one write for the window's first, then a batch; the shared count holds all 50 soon after", async () => {
    const c = await startTestServer({ VERIFY_MAX_FAILURES: '1000' });
    try {
      const address = uniqueLoopback();
      const gql = graphqlClient(c.url, { from: address });
      const { statements } = await statementsDuring(c.dataSource, async () => {
        for (let i = 0; i < 50; i++)
          expect((await verifyWith(gql, k.key, unissuedSecret())).code).toBe('INVALID');
      });
      const writes = statements.filter((s) => s.includes('rate_limits'));
      // the first failure learns the shared count; the rest wait for a batch (every 200 ms),
      // which may come after the 50 were answered; a write per failure would be 50
      expect(writes.length).toBeGreaterThanOrEqual(1);
      expect(writes.length).toBeLessThan(10);
      const shared = await eventually(async () => {
        const [row] = await c.dataSource.query<{ count: number }[]>(
          `SELECT count FROM rate_limits WHERE bucket = $1`,
          [`verify:caller:${address}`],
        );
        return row?.count === 50 ? row : null;
      }, 2_000);
      expect(shared?.count).toBe(50);
    } finally {
      await c.close();
    }
  });

  it(`the limit still holds across instances: failures alternating between two stop at most ${2 * MAX}, then both refuse the right secret`, async () => {
    const address = uniqueLoopback();
    const onA = graphqlClient(a.url, { from: address });
    const onB = graphqlClient(b.url, { from: address });
    let invalid = 0;
    for (let i = 0; i < 4 * MAX; i++) {
      const { code } = await verifyWith(i % 2 ? onB : onA, k.key, unissuedSecret());
      if (code === 'INVALID') invalid++;
      else expect(code).toBe('RATE_LIMITED');
    }
    // each instance stops at the limit as far as it knows (the shared count and its own)
    expect(invalid).toBeGreaterThanOrEqual(MAX);
    expect(invalid).toBeLessThanOrEqual(2 * MAX);
    await new Promise((r) => setTimeout(r, 300)); // a batch later, both know the whole count
    expect((await verifyWith(onA, k.key, k.secret)).code).toBe('RATE_LIMITED');
    expect((await verifyWith(onB, k.key, k.secret)).code).toBe('RATE_LIMITED');
  });
});
