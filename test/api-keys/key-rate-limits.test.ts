import { basic, createKey, verify, type CreatedKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { codeOf, graphqlClient } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, unissuedSecret, verifyWith } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { withOtherInstances, type ServerProcess } from '../helpers/server-process';

/**
 * A key's own rate limit (`limit` requests per `windowSeconds`, on every instance together): a
 * request with the right secret past it is RATE_LIMITED, with where the key stands (rateLimit:
 * limit, remaining, resetAt); /v1/authorize answers 429 with Retry-After and the RateLimit-Policy
 * and RateLimit headers of the IETF httpapi draft. Wrong secrets never count against it. Three
 * real instances on one database hold the limit together, within the documented overshoot (a
 * tenth of the limit per instance).
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let others: ServerProcess[] = [];

beforeAll(async () => {
  [{ t, owner, team }, others] = await withOtherInstances(
    seed().owner('rate-owner').team('Rate limits'),
    2,
  );
}, 60_000);
afterAll(async () => {
  await Promise.all([...others.map((o) => o.stop()), t?.close()]);
});

const limited = (limit: number, windowSeconds = 60, name = 'limited') =>
  createKey(t, owner, team.id, {
    name,
    scopes: ['orders:read'],
    rateLimit: { limit, windowSeconds },
  });

const VERIFY = `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s) {
  code rateLimit { limit remaining resetAt } } }`;

async function check(k: CreatedKey, secret = k.secret) {
  const res = await t.gql(VERIFY, { k: k.key, s: secret });
  return (
    res.data as {
      verifyApiCredentials: {
        code: string;
        rateLimit: { limit: number; remaining: number; resetAt: string } | null;
      };
    }
  ).verifyApiCredentials;
}

describe('a key with a rate limit', () => {
  it('is VALID until its window is used up, then RATE_LIMITED, telling what is left and when it resets', async () => {
    const k = await limited(3);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await check(k));
    expect(answers.map((a) => [a.code, a.rateLimit?.limit, a.rateLimit?.remaining])).toEqual([
      ['VALID', 3, 2],
      ['VALID', 3, 1],
      ['VALID', 3, 0],
      ['RATE_LIMITED', 3, 0],
    ]);
    const resetIn = Date.parse(answers[3].rateLimit!.resetAt) - Date.now();
    expect(resetIn).toBeGreaterThan(0);
    expect(resetIn).toBeLessThanOrEqual(60_000);
  });

  it('wrong secrets never count against it, and a key without a limit has none', async () => {
    const k = await limited(2);
    for (let i = 0; i < 5; i++) expect((await check(k, unissuedSecret())).code).toBe('INVALID');
    expect((await check(k)).rateLimit).toMatchObject({ remaining: 1 });
    const free = await createKey(t, owner, team.id, { name: 'free' });
    expect(await check(free)).toEqual({ code: 'VALID', rateLimit: null });
  });

  it('/v1/authorize answers 429 with Retry-After and the RateLimit headers', async () => {
    const k = await limited(2, 30);
    const authorize = () =>
      httpRequest(`${t.url}/v1/authorize`, {
        headers: basic(k.key, k.secret),
        localAddress: uniqueLoopback(),
      });
    const first = await authorize();
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"key";q=2;w=30');
    expect(first.headers['ratelimit']).toMatch(/^"key";r=1;t=(30|29)$/);
    expect((await authorize()).status).toBe(200);
    const refused = await authorize();
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(refused.headers['ratelimit']).toMatch(/^"key";r=0;t=\d+$/);
    expect(refused.headers['x-empress-key-id']).toBeUndefined();
    const free = await createKey(t, owner, team.id, { name: 'free at the gateway' });
    const open = await httpRequest(`${t.url}/v1/authorize`, {
      headers: basic(free.key, free.secret),
    });
    expect(open.status).toBe(200);
    expect(open.headers['ratelimit-policy']).toBeUndefined();
  });

  it("an application calling the API with the key is held to the same limit, and told it is the key's", async () => {
    const k = await limited(1, 60, 'caller');
    const call = () =>
      httpRequest(`${t.url}/graphql`, {
        method: 'POST',
        headers: { ...basic(k.key, k.secret), 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { type } }' }),
      });
    expect((await call()).status).toBe(200);
    const refused = await call();
    expect(refused.status).toBe(429);
    const [error] = (
      JSON.parse(refused.text) as { errors: { message: string; extensions: { code: string } }[] }
    ).errors;
    expect(error.extensions.code).toBe('RATE_LIMITED');
    expect(error.message).toMatch(/rate limit/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('is set, changed and removed through the API, and bad limits change nothing', async () => {
    const k = await limited(10);
    const UPDATE = `mutation($id: ID!, $i: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $i) { rateLimit { limit windowSeconds } } }`;
    const changed = await t.gql(
      UPDATE,
      { id: k.id, i: { rateLimit: { limit: 5, windowSeconds: 10 } } },
      owner.headers,
    );
    expect(changed.data).toEqual({ updateApiKey: { rateLimit: { limit: 5, windowSeconds: 10 } } });
    for (const [input, field] of [
      [{ rateLimit: { limit: 0, windowSeconds: 10 } }, 'rateLimit.limit'],
      [{ rateLimit: { limit: 5, windowSeconds: 86_401 } }, 'rateLimit.windowSeconds'],
      [{ rateLimit: { limit: 5, windowSeconds: 10 }, clearRateLimit: true }, 'rateLimit'],
    ] as const) {
      const res = await t.gql(UPDATE, { id: k.id, i: input }, owner.headers);
      expect({ code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    const cleared = await t.gql(UPDATE, { id: k.id, i: { clearRateLimit: true } }, owner.headers);
    expect(cleared.data).toEqual({ updateApiKey: { rateLimit: null } });
    expect((await verify(t, k.key, k.secret)).code).toBe('VALID');
  });
});

describe('across three instances', () => {
  it('the limit holds for all of them together, within a tenth of it per instance', async () => {
    const limit = 100;
    const k = await limited(limit, 60, 'shared');
    const instances = [t.gql, ...others.map((o) => graphqlClient(o.url))];
    // each instance is asked 100 times in a row, all three at once: 300 asks in all
    const answers = await Promise.all(
      instances.map(async (gql) => {
        const codes: string[] = [];
        for (let i = 0; i < limit; i++) codes.push((await verifyWith(gql, k.key, k.secret)).code);
        return codes;
      }),
    );
    const valid = answers.flat().filter((code) => code === 'VALID').length;
    console.info(`three instances, limit ${limit}: ${valid} VALID of ${answers.flat().length}`);
    expect(answers.flat().filter((code) => code !== 'VALID' && code !== 'RATE_LIMITED')).toEqual(
      [],
    );
    expect(valid).toBeGreaterThanOrEqual(limit);
    expect(valid).toBeLessThanOrEqual(limit + instances.length * Math.ceil(limit / 10));
  });
});
