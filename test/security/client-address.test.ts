import { auditRowsOfRequest } from '../helpers/audit';
import { basic, type CreatedKey } from '../helpers/api-keys';
import { graphqlClient, typed } from '../helpers/graphql';
import {
  eventually,
  httpRequest,
  uniqueLoopback,
  unissuedSecret,
  verifyWith,
} from '../helpers/http';
import {
  nginxAvailable,
  NGINX_BIN,
  startEchoUpstream,
  startNginx,
  type RunningNginx,
} from '../helpers/nginx';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * A client can't choose its own address. With TRUST_PROXY unset the service believes nobody's
 * X-Forwarded-For: a client on loopback or a private network (another container, a pod behind
 * source NAT) that sets it neither passes an IP allow-list, nor escapes the per-address limits,
 * nor writes a made-up address into the audit log. Behind a proxy the deployment names
 * (TRUST_PROXY), the header that proxy sets is believed.
 */
const FORGED = '203.0.113.5';
const VERIFY_CODE = typed<{ verifyApiCredentials: { code: string } }>(
  `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s) { code } }`,
);

let t: TestServer; // defaults; VERIFY_MAX_FAILURES=5 so the limit test is short
let fenced: CreatedKey; // allowedIps 203.0.113.0/24: the forged address is inside, the real one is not

beforeAll(async () => {
  ({ t, fenced } = await seed({ VERIFY_MAX_FAILURES: '5' })
    .owner('address-owner')
    .team('Addresses')
    .key('fenced', { name: 'fenced', scopes: ['orders:read'], allowedIps: ['203.0.113.0/24'] }));
});
afterAll(() => t.close());

describe('with TRUST_PROXY unset, X-Forwarded-For is believed from nobody', () => {
  it('a key allow-listed for 203.0.113.0/24, sent from 127.0.0.1 with a forged header, is refused on /graphql', async () => {
    const res = await t.gql(
      `{ viewer { type } }`,
      {},
      { ...basic(fenced.key, fenced.secret), 'x-forwarded-for': FORGED },
    );
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const verified = await t.gql(
      VERIFY_CODE,
      { k: fenced.key, s: fenced.secret },
      { 'x-forwarded-for': FORGED, 'x-real-ip': FORGED, forwarded: `for=${FORGED}` },
    );
    expect(verified.data?.verifyApiCredentials.code).toBe('IP_NOT_ALLOWED');
  });

  it('… and on /v1/authorize', async () => {
    const res = await httpRequest(`${t.url}/v1/authorize`, {
      headers: { ...basic(fenced.key, fenced.secret), 'x-forwarded-for': FORGED },
    });
    expect(res.status).toBe(403);
    expect(res.headers['x-empress-key-id']).toBeUndefined();
  });

  it('the audit trace of the use records the real address, not the forged one', async () => {
    const from = uniqueLoopback();
    const res = await httpRequest(`${t.url}/v1/authorize`, {
      headers: { ...basic(fenced.key, fenced.secret), 'x-forwarded-for': FORGED },
      localAddress: from,
    });
    const requestId = String(res.headers['x-request-id']);
    const rows = await eventually(async () =>
      (await auditRowsOfRequest(t, requestId)).length ? auditRowsOfRequest(t, requestId) : null,
    );
    expect(rows?.map((row) => row.ip)).toEqual([from]);
  });

  it('a new forged address per try does not escape the per-address failure limit', async () => {
    const from = uniqueLoopback();
    const gql = graphqlClient(t.url, { from });
    for (let i = 0; i < 5; i++) {
      const res = await gql(
        VERIFY_CODE,
        { k: fenced.key, s: unissuedSecret() },
        {
          'x-forwarded-for': `198.51.100.${i + 1}`,
        },
      );
      expect(res.data?.verifyApiCredentials.code).toBe('INVALID');
    }
    const refused = await gql(
      VERIFY_CODE,
      { k: fenced.key, s: fenced.secret },
      {
        'x-forwarded-for': '198.51.100.99',
      },
    );
    expect(refused.data?.verifyApiCredentials.code).toBe('RATE_LIMITED');
    // the address really used is the one refused, whatever it claims next
    expect(
      (
        await httpRequest(`${t.url}/v1/authorize`, {
          headers: { ...basic(fenced.key, fenced.secret), 'x-forwarded-for': '198.51.100.100' },
          localAddress: from,
        })
      ).status,
    ).toBe(429);
    expect(
      (
        await verifyWith(
          graphqlClient(t.url, { from: uniqueLoopback() }),
          fenced.key,
          fenced.secret,
        )
      ).code,
    ).toBe('IP_NOT_ALLOWED');
  });
});

const nginxTest = nginxAvailable() || process.env.CI ? describe : describe.skip;

nginxTest(
  'behind a real nginx named in TRUST_PROXY, the address nginx forwards is believed',
  () => {
    let proxied: TestServer; // TRUST_PROXY=127.0.0.1: nginx connects to the service from there
    let nginx: RunningNginx;
    let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
    const client = uniqueLoopback(); // where the client connects to nginx from
    let mine: CreatedKey; // allowedIps: the client's address only
    let forged: CreatedKey; // allowedIps 203.0.113.0/24

    beforeAll(async () => {
      if (!nginxAvailable())
        throw new Error(
          `nginx is required in CI but ${NGINX_BIN} does not exist (apt-get install -y nginx)`,
        );
      ({
        t: proxied,
        mine,
        forged,
      } = await seed({ TRUST_PROXY: '127.0.0.1' })
        .owner('proxied-owner')
        .team('Behind nginx')
        .key('mine', { name: 'mine', scopes: ['orders:read'], allowedIps: [`${client}/32`] })
        .key('forged', {
          name: 'forged',
          scopes: ['orders:read'],
          allowedIps: ['203.0.113.0/24'],
        }));
      upstream = await startEchoUpstream();
      nginx = await startNginx({
        servicePort: Number(new URL(proxied.url).port),
        upstreamPort: upstream.port,
      });
    });
    afterAll(async () => {
      await nginx?.stop();
      await upstream?.close();
      await proxied?.close();
    });

    const through = (path: string, headers: Record<string, string>) =>
      httpRequest(`${nginx.url}${path}`, { headers, localAddress: client });

    it('auth_request: the client behind nginx passes its allow-list; a header it forges is replaced by nginx', async () => {
      expect((await through('/orders', basic(mine.key, mine.secret))).status).toBe(200);
      expect(
        (
          await through('/orders', {
            ...basic(forged.key, forged.secret),
            'x-forwarded-for': FORGED,
          })
        ).status,
      ).toBe(403);
      // straight to the service, the same client is not behind nginx: its own address counts
      const direct = await httpRequest(`${proxied.url}/v1/authorize`, {
        headers: basic(mine.key, mine.secret),
        localAddress: client,
      });
      expect(direct.status).toBe(200);
      const notProxy = await httpRequest(`${proxied.url}/v1/authorize`, {
        headers: { ...basic(mine.key, mine.secret), 'x-forwarded-for': client },
        localAddress: uniqueLoopback(),
      });
      expect(notProxy.status).toBe(403);
    });

    it('GraphQL through nginx sees the client address too', async () => {
      const res = await httpRequest(`${nginx.url}/empress/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...basic(mine.key, mine.secret) },
        body: JSON.stringify({ query: '{ viewer { type } }' }),
        localAddress: client,
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).data.viewer.type).toBe('API_KEY');
    });
  },
);
