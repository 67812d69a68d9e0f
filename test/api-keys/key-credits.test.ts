import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { codeOf, graphqlClient, type Gql } from '../helpers/graphql';
import { eventually, httpRequest } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { withOtherInstances, type ServerProcess } from '../helpers/server-process';

/**
 * A key's credits: each request with the right secret spends its cost (1, or `cost` /
 * X-Empress-Cost), and one the credits don't cover is USAGE_EXCEEDED, with what is left. Three
 * real instances on one database spend from the same credits through leases taken out of the
 * key's row, so credits never go below zero, however many requests race; a daily or monthly
 * refill happens once, on whichever instance sees the new period first; unused leases go back.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let others: ServerProcess[] = [];

beforeAll(async () => {
  [{ t, owner, team }, others] = await withOtherInstances(
    seed().owner('credits-owner').team('Credits'),
    2,
  );
}, 60_000);
afterAll(async () => {
  await Promise.all([...others.map((o) => o.stop()), t?.close()]);
});

interface Credits {
  remaining: number;
  refillAmount?: number | null;
  refillInterval?: 'DAILY' | 'MONTHLY' | null;
}

const withCredits = (credits: Credits, name = 'metered') =>
  createKey(t, owner, team.id, { name, credits });

const VERIFY = `mutation($k: String!, $s: String!, $cost: Int) {
  verifyApiCredentials(key: $k, secret: $s, cost: $cost) { code creditsRemaining } }`;

async function check(k: CreatedKey, cost?: number, gql: Gql = t.gql) {
  const res = await gql(VERIFY, { k: k.key, s: k.secret, cost });
  if (!res.data) throw new Error(`verify failed: ${res.text}`);
  return (res.data as { verifyApiCredentials: { code: string; creditsRemaining: number | null } })
    .verifyApiCredentials;
}

/** What the key's row holds now: credits taken out as leases are no longer in it. */
async function stored(k: CreatedKey): Promise<{ remaining: number; lastRefillAt: Date }> {
  const [row] = await t.dataSource.query<{ remaining: number; lastRefillAt: Date }[]>(
    `SELECT credits_remaining AS remaining, credits_last_refill_at AS "lastRefillAt"
       FROM api_keys WHERE id = $1`,
    [k.id],
  );
  return row;
}

const KEY_CREDITS = `query($id: ID!) { apiKey(id: $id) {
  credits { remaining refillAmount refillInterval lastRefillAt } } }`;

async function creditsOf(k: CreatedKey) {
  const res = await t.gql(KEY_CREDITS, { id: k.id }, owner.headers);
  return (res.data as { apiKey: { credits: Record<string, unknown> | null } }).apiKey.credits;
}

describe('a key with credits', () => {
  it('spends one per request until none are left, then USAGE_EXCEEDED, saying what is left', async () => {
    const k = await withCredits({ remaining: 3 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await check(k));
    expect(answers).toEqual([
      { code: 'VALID', creditsRemaining: 2 },
      { code: 'VALID', creditsRemaining: 1 },
      { code: 'VALID', creditsRemaining: 0 },
      { code: 'USAGE_EXCEEDED', creditsRemaining: 0 },
    ]);
    expect((await stored(k)).remaining).toBe(0);
    const free = await createKey(t, owner, team.id, { name: 'unmetered' });
    expect(await check(free)).toEqual({ code: 'VALID', creditsRemaining: null });
  });

  it('a request may cost more than one; cost 0 checks the key without spending; a bad cost changes nothing', async () => {
    const k = await withCredits({ remaining: 10 });
    expect(await check(k, 4)).toEqual({ code: 'VALID', creditsRemaining: 6 });
    expect(await check(k, 4)).toEqual({ code: 'VALID', creditsRemaining: 2 });
    expect(await check(k, 4)).toEqual({ code: 'USAGE_EXCEEDED', creditsRemaining: 2 });
    expect(await check(k, 0)).toEqual({ code: 'VALID', creditsRemaining: 2 });
    for (const cost of [-1, 10_001]) {
      const res = await t.gql(VERIFY, { k: k.key, s: k.secret, cost });
      expect({ code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'cost',
      });
    }
    expect(await check(k, 2)).toEqual({ code: 'VALID', creditsRemaining: 0 });
  });

  it('/v1/authorize reads the cost from X-Empress-Cost, says what is left, and answers 429 when it is not covered', async () => {
    const k = await withCredits({ remaining: 5 });
    const authorize = (cost?: string) =>
      httpRequest(`${t.url}/v1/authorize`, {
        headers: { ...basic(k.key, k.secret), ...(cost ? { 'x-empress-cost': cost } : {}) },
      });
    const first = await authorize('3');
    expect(first.status).toBe(200);
    expect(first.headers['x-empress-credits-remaining']).toBe('2');
    for (const bad of ['-1', '1.5', 'lots', '10001']) {
      const refused = await authorize(bad);
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    const over = await authorize('3');
    expect(over.status).toBe(429);
    expect(JSON.parse(over.text)).toEqual({ code: 'USAGE_EXCEEDED' });
    expect(over.headers['x-empress-code']).toBe('USAGE_EXCEEDED');
    expect(over.headers['x-empress-credits-remaining']).toBe('2');
    // credits that never refill: waiting won't help, so no Retry-After
    expect(over.headers['retry-after']).toBeUndefined();
    expect(over.headers['x-empress-key-id']).toBeUndefined();
    expect((await authorize()).headers['x-empress-credits-remaining']).toBe('1');
  });

  it('a key out of credits that refills is told when to come back, at the gateway and over GraphQL', async () => {
    const k = await withCredits({ remaining: 0, refillAmount: 10, refillInterval: 'DAILY' });
    const untilMidnight = Math.ceil((nextUtcMidnight() - Date.now()) / 1000);
    const gateway = await httpRequest(`${t.url}/v1/authorize`, {
      headers: basic(k.key, k.secret),
    });
    expect(gateway.status).toBe(429);
    expect(Number(gateway.headers['retry-after'])).toBeGreaterThanOrEqual(untilMidnight - 5);
    expect(Number(gateway.headers['retry-after'])).toBeLessThanOrEqual(untilMidnight + 5);
    const api = await httpRequest(`${t.url}/graphql`, {
      method: 'POST',
      headers: { ...basic(k.key, k.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { type } }' }),
    });
    expect(api.status).toBe(429);
    const [error] = (
      JSON.parse(api.text) as {
        errors: { message: string; extensions: { code: string; reason: string } }[];
      }
    ).errors;
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'USAGE_EXCEEDED' });
    expect(error.message).toMatch(/credits/);
    expect(Number(api.headers['retry-after'])).toBeGreaterThanOrEqual(untilMidnight - 5);
  });

  it('rate-limited requests spend no credits', async () => {
    const k = await createKey(t, owner, team.id, {
      name: 'limited and metered',
      rateLimit: { limit: 2, windowSeconds: 60 },
      credits: { remaining: 10 },
    });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await check(k)).code);
    expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect((await stored(k)).remaining).toBe(8);
  });
});

describe('credits set through the API', () => {
  const UPDATE = `mutation($id: ID!, $i: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $i) {
    credits { remaining refillAmount refillInterval } } }`;

  it('are set, replaced and removed, with the old and new credits in the audit log; bad credits change nothing', async () => {
    const k = await withCredits({ remaining: 100, refillAmount: 100, refillInterval: 'MONTHLY' });
    expect(await creditsOf(k)).toMatchObject({
      remaining: 100,
      refillAmount: 100,
      refillInterval: 'MONTHLY',
    });
    for (const [input, field] of [
      [{ credits: { remaining: -1 } }, 'credits.remaining'],
      [{ credits: { remaining: 5, refillAmount: 5 } }, 'credits.refillInterval'],
      [
        { credits: { remaining: 5, refillAmount: 0, refillInterval: 'DAILY' } },
        'credits.refillAmount',
      ],
      [{ credits: { remaining: 5 }, clearCredits: true }, 'credits'],
    ] as const) {
      const res = await t.gql(UPDATE, { id: k.id, i: input }, owner.headers);
      expect({ code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    expect((await stored(k)).remaining).toBe(100);
    const replaced = await t.gql(
      UPDATE,
      { id: k.id, i: { credits: { remaining: 7 } } },
      owner.headers,
    );
    expect(replaced.data).toEqual({
      updateApiKey: { credits: { remaining: 7, refillAmount: null, refillInterval: null } },
    });
    const [row] = await t.dataSource.query<{ metadata: Record<string, unknown> }[]>(
      `SELECT metadata FROM audit_events WHERE target_id = $1 AND action = 'apiKey.updated'
        ORDER BY occurred_at DESC LIMIT 1`,
      [k.id],
    );
    expect(row.metadata).toMatchObject({
      changed: ['credits'],
      before: { credits: { remaining: 100, refillAmount: 100, refillInterval: 'MONTHLY' } },
      after: { credits: { remaining: 7, refillAmount: null, refillInterval: null } },
    });
    const cleared = await t.gql(UPDATE, { id: k.id, i: { clearCredits: true } }, owner.headers);
    expect(cleared.data).toEqual({ updateApiKey: { credits: null } });
    expect(await check(k)).toEqual({ code: 'VALID', creditsRemaining: null });
  });

  it('new credits replace what instances hold as leases: none of the old count is spent against them', async () => {
    const k = await withCredits({ remaining: 10_000 }, 'reset by an admin');
    expect(await check(k)).toEqual({ code: 'VALID', creditsRemaining: 9_999 });
    // this instance now holds a lease of 200 (a fiftieth of 10,000)
    expect((await stored(k)).remaining).toBe(9_800);
    await t.gql(UPDATE, { id: k.id, i: { credits: { remaining: 2 } } }, owner.headers);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await check(k)).code);
    expect(codes).toEqual(['VALID', 'VALID', 'USAGE_EXCEEDED']);
  });
});

describe('leases', () => {
  it('an instance takes a fiftieth of what is left, and gives back what it did not use once idle', async () => {
    const k = await withCredits({ remaining: 10_000 }, 'leased');
    for (let i = 0; i < 10; i++) await check(k);
    expect((await stored(k)).remaining).toBe(9_800);
    const given = await eventually(async () => (await stored(k)).remaining === 9_990, 8_000);
    expect(given).toBe(true);
  });
});

describe('across three instances', () => {
  const gqls = () => [t.gql, ...others.map((o) => graphqlClient(o.url))];

  it('50 requests at once, spread over the instances, spend exactly the credits there are and never below zero', async () => {
    const k = await withCredits({ remaining: 20 }, 'raced');
    const instances = gqls();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => check(k, 1, instances[i % instances.length])),
    );
    const codes = answers.map((a) => a.code);
    expect(codes.filter((c) => c === 'VALID')).toHaveLength(20);
    expect(codes.filter((c) => c === 'USAGE_EXCEEDED')).toHaveLength(30);
    expect((await stored(k)).remaining).toBe(0);
  });

  it('a large count raced with costs above one: what is spent never exceeds what there was', async () => {
    const k = await withCredits({ remaining: 300 }, 'raced with costs');
    const instances = gqls();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => check(k, 7, instances[i % instances.length])),
    );
    const spent = answers.filter((a) => a.code === 'VALID').length * 7;
    expect(spent).toBeLessThanOrEqual(300);
    // what is not spent is either still in the row or held as a lease, given back once idle
    await eventually(async () => (await stored(k)).remaining === 300 - spent, 8_000);
    expect((await stored(k)).remaining).toBe(300 - spent);
    expect(answers.every((a) => a.code === 'VALID' || a.code === 'USAGE_EXCEEDED')).toBe(true);
  });

  it('a refill due happens once, on whichever instance sees the new period first', async () => {
    const k = await withCredits(
      { remaining: 0, refillAmount: 5, refillInterval: 'DAILY' },
      'refilled',
    );
    await t.dataSource.query(
      `UPDATE api_keys SET credits_last_refill_at = now() - interval '1 day' WHERE id = $1`,
      [k.id],
    );
    // the refill due shows before anyone uses the key
    expect(await creditsOf(k)).toMatchObject({ remaining: 5 });
    const instances = gqls();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => check(k, 1, instances[i % instances.length])),
    );
    expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(5);
    const after = await stored(k);
    expect(after.remaining).toBe(0);
    expect(after.lastRefillAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

function nextUtcMidnight(): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
}
