import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { httpRequest, uniqueLoopback, unissuedSecret, type HttpAnswer } from '../helpers/http';
import {
  nginxAvailable,
  NGINX_BIN,
  startEchoUpstream,
  startNginx,
  type RunningNginx,
} from '../helpers/nginx';
import { seed } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * GET /v1/authorize, the forward-authentication endpoint for gateways: 200 with the key's team,
 * id and scopes in X-Empress-* headers; 401 for bad credentials; 403 for a missing required
 * scope or a client outside the key's addresses. Then the same through a real nginx with
 * auth_request in front of an upstream.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let k: CreatedKey; // orders:read team:read
let fenced: CreatedKey; // allowedIps 10.0.0.0/8
let local: CreatedKey; // allowedIps 127.0.0.0/8
const from = uniqueLoopback();

beforeAll(async () => {
  ({ t, owner, team, k, fenced, local } = await seed()
    .owner('authorize-owner')
    .team('Authorize')
    .key('k', { name: 'gateway app', scopes: ['orders:read', 'team:read'] })
    .key('fenced', { name: 'fenced', scopes: ['orders:read'], allowedIps: ['10.0.0.0/8'] })
    .key('local', { name: 'local', scopes: ['orders:read'], allowedIps: ['127.0.0.0/8'] }));
});
afterAll(() => t.close());

function authorize(headers: Record<string, string>, method = 'GET'): Promise<HttpAnswer> {
  return httpRequest(`${t.url}/v1/authorize`, { method, headers, localAddress: from });
}

function expectGranted(res: HttpAnswer, key: CreatedKey, scopes: string) {
  expect(res.status).toBe(200);
  expect(res.headers['x-empress-team-id']).toBe(team.id);
  expect(res.headers['x-empress-key-id']).toBe(key.id);
  expect(res.headers['x-empress-scopes']).toBe(scopes);
  expect(res.headers['cache-control']).toBe('no-store');
  expectBody(res, 'VALID');
}

/** The answer's body names its code, as JSON that says so. */
function expectBody(res: HttpAnswer, code: string) {
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(JSON.parse(res.text)).toEqual({ code });
}

function expectNoIdentity(res: HttpAnswer) {
  for (const name of ['x-empress-team-id', 'x-empress-key-id', 'x-empress-scopes'])
    expect(res.headers[name]).toBeUndefined();
}

describe('GET /v1/authorize', () => {
  it('200 with X-Empress-Team-Id, X-Empress-Key-Id and X-Empress-Scopes for good Basic credentials', async () => {
    expectGranted(await authorize(basic(k.key, k.secret)), k, 'orders:read team:read');
  });

  it('200 for X-Api-Key / X-Api-Secret too (and for the methods other proxies forward)', async () => {
    expectGranted(
      await authorize({ 'x-api-key': k.key, 'x-api-secret': k.secret }),
      k,
      'orders:read team:read',
    );
    expectGranted(await authorize(basic(k.key, k.secret), 'POST'), k, 'orders:read team:read');
  });

  it('401 for bad or missing credentials, with no identity headers', async () => {
    const bad: Record<string, string>[] = [
      basic(k.key, unissuedSecret()),
      basic(`empk_${'N'.repeat(24)}`, k.secret),
      basic('garbage', 'garbage'),
      { 'x-api-key': k.key },
      { 'x-api-key': k.key, 'x-api-secret': fenced.secret },
      { authorization: `Bearer ${owner.token}` }, // a person's session is not an application's key
      {},
    ];
    for (const headers of bad) {
      const res = await authorize(headers);
      expect(res.status).toBe(401);
      expectNoIdentity(res);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expectBody(res, 'INVALID');
    }
  });

  it('403 when the key lacks a scope named in X-Required-Scopes; 200 when it holds them all', async () => {
    expect(
      (await authorize({ ...basic(k.key, k.secret), 'x-required-scopes': 'orders:read' })).status,
    ).toBe(200);
    expect(
      (
        await authorize({
          ...basic(k.key, k.secret),
          'x-required-scopes': 'orders:read, team:read',
        })
      ).status,
    ).toBe(200);
    for (const scopes of ['orders:write', 'orders:read orders:write', 'team:read,members:read']) {
      const res = await authorize({ ...basic(k.key, k.secret), 'x-required-scopes': scopes });
      expect(res.status).toBe(403);
      expectNoIdentity(res);
    }
  });

  it("403 when the client is outside the key's allowedIps; X-Forwarded-For is not believed from a caller that is no named proxy", async () => {
    // no TRUST_PROXY: the caller (127.x) is the client, whatever X-Forwarded-For claims
    for (const xff of [undefined, '10.1.2.3', '10.1.2.3, 10.9.9.9']) {
      const res = await authorize({
        ...basic(fenced.key, fenced.secret),
        ...(xff ? { 'x-forwarded-for': xff } : {}),
      });
      expect(res.status).toBe(403);
      expectNoIdentity(res);
    }
    expectGranted(
      await authorize({ ...basic(local.key, local.secret), 'x-forwarded-for': '192.168.1.1' }),
      local,
      'orders:read',
    );
    // a wrong secret is 401 whatever the address: status is told only with the right secret
    expect(
      (
        await authorize({
          ...basic(fenced.key, unissuedSecret()),
          'x-forwarded-for': '192.168.1.1',
        })
      ).status,
    ).toBe(401);
  });

  it('from a proxy named in TRUST_PROXY, X-Forwarded-For names the client: the rightmost address not added by a named proxy', async () => {
    const proxied = await startTestServer({ TRUST_PROXY: `${from},10.0.0.0/8` });
    try {
      const via = (xff: string) =>
        httpRequest(`${proxied.url}/v1/authorize`, {
          headers: { ...basic(fenced.key, fenced.secret), 'x-forwarded-for': xff },
          localAddress: from,
        });
      expectGranted(await via('10.1.2.3'), fenced, 'orders:read');
      // 10.9.9.9 is a named hop, so the address before it is the client
      expectGranted(await via('10.1.2.3, 10.9.9.9'), fenced, 'orders:read');
      // 192.0.2.200 is not: what it claims about the address before it is not believed
      for (const xff of [
        '192.168.1.1',
        '11.0.0.1',
        '192.0.2.1, 10.1.2.3',
        '10.1.2.3, 192.0.2.200',
      ]) {
        const res = await via(xff);
        expect(res.status).toBe(403);
        expectNoIdentity(res);
      }
    } finally {
      await proxied.close();
    }
  });
});

const nginxTest = nginxAvailable() || process.env.CI ? describe : describe.skip;

nginxTest('behind a real nginx with auth_request', () => {
  let nginx: RunningNginx;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;

  beforeAll(async () => {
    if (!nginxAvailable())
      throw new Error(
        `nginx is required in CI but ${NGINX_BIN} does not exist (apt-get install -y nginx)`,
      );
    upstream = await startEchoUpstream();
    nginx = await startNginx({
      servicePort: Number(new URL(t.url).port),
      upstreamPort: upstream.port,
    });
  });
  afterAll(async () => {
    await nginx?.stop();
    await upstream?.close();
  });

  const through = (p: string, headers: Record<string, string> = {}) =>
    httpRequest(`${nginx.url}${p}`, { headers });

  it("passes a key's 429 to the client with Retry-After and the RateLimit headers", async () => {
    const limited = await createKey(t, owner, team.id, {
      name: 'limited behind nginx',
      rateLimit: { limit: 1, windowSeconds: 60 },
    });
    const before = upstream.hits.length;
    expect((await through('/orders/1', basic(limited.key, limited.secret))).status).toBe(200);
    const refused = await through('/orders/2', basic(limited.key, limited.secret));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit-policy']).toBe('"key";q=1;w=60');
    expect(refused.headers['ratelimit']).toMatch(/^"key";r=0;t=\d+$/);
    expect(upstream.hits).toHaveLength(before + 1);
  });

  it('passes a key out of credits to the client as a 429 with its code and what is left', async () => {
    const metered = await createKey(t, owner, team.id, {
      name: 'metered behind nginx',
      credits: { remaining: 1 },
    });
    const before = upstream.hits.length;
    expect((await through('/orders/1', basic(metered.key, metered.secret))).status).toBe(200);
    const refused = await through('/orders/2', basic(metered.key, metered.secret));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ code: 'USAGE_EXCEEDED' });
    expect(refused.headers['x-empress-credits-remaining']).toBe('0');
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(upstream.hits).toHaveLength(before + 1);
  });

  it('lets good credentials through, and the upstream sees the team, key and scopes', async () => {
    const before = upstream.hits.length;
    const res = await through('/orders/42?x=1', basic(k.key, k.secret));
    expect(res.status).toBe(200);
    expect(upstream.hits).toHaveLength(before + 1);
    const seen = JSON.parse(res.text);
    expect(seen.url).toBe('/orders/42?x=1');
    expect(seen.headers['x-empress-team-id']).toBe(team.id);
    expect(seen.headers['x-empress-key-id']).toBe(k.id);
    expect(seen.headers['x-empress-scopes']).toBe('orders:read team:read');

    const viaHeaders = await through('/orders', { 'x-api-key': k.key, 'x-api-secret': k.secret });
    expect(viaHeaders.status).toBe(200);
    expect(JSON.parse(viaHeaders.text).headers['x-empress-team-id']).toBe(team.id);
  });

  it('answers 401 to bad or missing credentials, and the upstream never sees the request', async () => {
    const before = upstream.hits.length;
    for (const headers of [
      basic(k.key, unissuedSecret()),
      basic(`empk_${'M'.repeat(24)}`, k.secret),
      {},
      { 'x-empress-team-id': team.id },
    ]) {
      expect((await through('/orders/42', headers)).status).toBe(401);
    }
    expect(upstream.hits).toHaveLength(before);
  });

  it('a client cannot forge the identity headers', async () => {
    const res = await through('/orders', {
      ...basic(k.key, k.secret),
      'x-empress-team-id': 'forged',
      'x-empress-scopes': 'everything',
    });
    const seen = JSON.parse(res.text);
    expect(seen.headers['x-empress-team-id']).toBe(team.id);
    expect(seen.headers['x-empress-scopes']).toBe('orders:read team:read');
  });

  it('403 for a location that requires a scope the key lacks, and for a client outside allowedIps', async () => {
    const before = upstream.hits.length;
    expect((await through('/admin/orders', basic(k.key, k.secret))).status).toBe(403);
    // nginx sets X-Forwarded-For to the real client (127.0.0.1): a forged one does not help
    expect(
      (
        await through('/orders', {
          ...basic(fenced.key, fenced.secret),
          'x-forwarded-for': '10.1.2.3',
        })
      ).status,
    ).toBe(403);
    expect(upstream.hits).toHaveLength(before);
    expect((await through('/orders', basic(local.key, local.secret))).status).toBe(200);
    expect(upstream.hits).toHaveLength(before + 1);
  });
});
