import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { basic, createKey } from '../helpers/api-keys';
import { createTeam, PASSWORD, signUp, uniqueEmail, type SignedInUser } from '../helpers/factories';
import { codeOf, graphqlClient, typed } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, unissuedSecret, verifyWith } from '../helpers/http';
import { seed } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Brute force: sign-in failures are counted per account and address (10 per 15 minutes by
 * default), per address across accounts (30) and per account across addresses (100, a ceiling one
 * address can't reach); key verification per calling address (VERIFY_MAX_FAILURES, 100 per minute
 * by default). Failure counts live in the shared store (PostgreSQL, or Redis with REDIS_URL), so a
 * lock holds on every instance. Only logIn fields that ran count.
 *
 * Every test talks from addresses of its own (127.x.y.z): the failure counts are shared by the
 * whole test run through the database, and 127.0.0.1 belongs to the other test files.
 */

const LOGIN = typed<{ logIn: { token: string; user: { id: string } } }>(
  `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token user { id } } }`,
);
const REDIS_URL = 'redis://127.0.0.1:6379';

/** Is a Redis answering at REDIS_URL? Asked synchronously, so the test can be skipped by name. */
function redisReachable(): boolean {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const s=require('net').connect(6379,'127.0.0.1');s.setTimeout(1000);s.on('connect',()=>s.write('PING\\r\\n'));s.on('data',d=>process.exit(String(d).startsWith('+PONG')?0:1));s.on('error',()=>process.exit(1));s.on('timeout',()=>process.exit(1));`,
    ],
    { timeout: 3_000 },
  );
  return probe.status === 0;
}
const REDIS_UP = redisReachable();

/** One logIn over HTTP from `from`, with the body as it came (`text`, and `body` parsed whole). */
async function rawLogIn(url: string, from: string, email: string, password: string) {
  const res = await graphqlClient(url, { from })(LOGIN, { e: email, p: password });
  return { ...res, body: JSON.parse(res.text) as unknown };
}

interface AuditedRow {
  action: string;
  outcome: string;
  target_id: string | null;
  ip: string | null;
  request_id: string;
  metadata: Record<string, unknown> | null;
}

function auditRows(
  t: TestServer,
  action: string,
  where: { targetId?: string; ip?: string; since?: Date },
): Promise<AuditedRow[]> {
  return t.dataSource.query(
    `SELECT action, outcome, target_id, ip, request_id, metadata FROM audit_events
      WHERE action = $1 AND ($2::text IS NULL OR target_id = $2) AND ($3::text IS NULL OR ip = $3)
        AND occurred_at >= $4 ORDER BY chain_seq`,
    [action, where.targetId ?? null, where.ip ?? null, where.since ?? new Date(0)],
  );
}

let t: TestServer;
let owner: SignedInUser;
beforeAll(async () => ({ t, owner } = await seed().owner('bf-owner')));
afterAll(() => t?.close());

describe('sign-in lockout (defaults: 10 per account and address, 30 per address, 100 per account, per 15 minutes)', () => {
  it('locks one address out of one account after 10 failures, with the same answer as a wrong password; elsewhere the account signs in', async () => {
    expect(t.config.limits).toMatchObject({
      loginFailures: 10,
      loginAddressFailures: 30,
      loginAccountFailures: 100,
      loginWindowMinutes: 15,
    });
    const victim = await signUp(t, 'victim');
    const attacker = uniqueLoopback();
    const since = new Date();
    const first = await rawLogIn(t.url, attacker, victim.email, 'wrong password 0');
    for (let i = 1; i < 10; i++) {
      const wrong = await rawLogIn(t.url, attacker, victim.email, `wrong password ${i}`);
      expect(wrong.text).toBe(first.text);
    }
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      errors: [
        {
          message: 'Email or password is incorrect',
          locations: [{ line: 1, column: 38 }],
          path: ['logIn'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
      data: null,
    });

    // attempt 11 from that address: the right password
    const locked = await rawLogIn(t.url, attacker, victim.email, PASSWORD);
    // byte-identical to any other failure: same status, same body (no hint that it is a lock)
    expect(locked.status).toBe(first.status);
    expect(locked.text).toBe(first.text);
    const unknown = await rawLogIn(t.url, uniqueLoopback(), uniqueEmail('nobody'), PASSWORD);
    expect(unknown.status).toBe(first.status);
    expect(unknown.text).toBe(first.text);

    // the lockout is audited once, naming the account, the address and the figures
    const lockouts = await auditRows(t, 'auth.lockedOut', { targetId: victim.id, since });
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({
      outcome: 'DENIED',
      ip: attacker,
      metadata: { lockedBy: 'accountAndAddress', failures: 10, windowSeconds: 900 },
    });
    const failures = await auditRows(t, 'auth.loginFailed', { targetId: victim.id, since });
    expect(failures).toHaveLength(10); // the locked attempt was refused before the account was looked up
    const refused = await auditRows(t, 'auth.loginFailed', { ip: attacker, since });
    expect(refused.filter((r) => r.metadata?.locked === true)).toHaveLength(1);
    // the window is 15 minutes: the lock is still there a moment later
    expect((await rawLogIn(t.url, attacker, victim.email, PASSWORD)).text).toBe(first.text);
    // and it is that address's lock only: the owner, elsewhere, signs in
    expect(
      (await rawLogIn(t.url, uniqueLoopback(), victim.email, PASSWORD)).data!.logIn.user.id,
    ).toBe(victim.id);
  });

  it('locks the account for every address once failures from many addresses reach LOGIN_MAX_ACCOUNT_FAILURES, audited once', async () => {
    const s = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_ACCOUNT_FAILURES: '8' });
    try {
      const victim = await signUp(t, 'ceiling');
      const since = new Date();
      const first = await rawLogIn(s.url, uniqueLoopback(), victim.email, 'many wrong passwords 0');
      for (let i = 1; i < 8; i++)
        await rawLogIn(s.url, uniqueLoopback(), victim.email, `many wrong passwords ${i}`);
      const locked = await rawLogIn(s.url, uniqueLoopback(), victim.email, PASSWORD);
      expect(locked.text).toBe(first.text);
      const lockouts = await auditRows(s, 'auth.lockedOut', { targetId: victim.id, since });
      expect(lockouts).toHaveLength(1);
      expect(lockouts[0].metadata).toEqual({
        lockedBy: 'account',
        failures: 8,
        windowSeconds: 900,
      });
    } finally {
      await s.close();
    }
  });

  it('refuses the 31st attempt from one address after 30 failures on 30 accounts, and audits the address lockout', async () => {
    const address = uniqueLoopback();
    const since = new Date();
    const first = await rawLogIn(t.url, address, uniqueEmail('spray'), 'password-spray-0');
    for (let i = 1; i < 30; i++) {
      expect(
        (await rawLogIn(t.url, address, uniqueEmail('spray'), `password-spray-${i}`)).text,
      ).toBe(first.text);
    }
    // 31st from that address: a real account with its right password
    const innocent = await signUp(t, 'innocent');
    const locked = await rawLogIn(t.url, address, innocent.email, PASSWORD);
    expect(locked.status).toBe(first.status);
    expect(locked.text).toBe(first.text);
    // the account itself is fine from anywhere else
    const elsewhere = await rawLogIn(t.url, uniqueLoopback(), innocent.email, PASSWORD);
    expect(elsewhere.data!.logIn.user.id).toBe(innocent.id);

    const lockouts = await auditRows(t, 'auth.lockedOut', { ip: address, since });
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({
      outcome: 'DENIED',
      metadata: { lockedBy: 'address', failures: 30, windowSeconds: 900 },
    });
  });

  it('counts only the logIn fields that ran: of 15 aliased guesses in one document, the first fails and ends it, and is the only one counted', async () => {
    // logIn is non-null: GraphQL stops at the first failed field. The 14 it never ran told the
    // caller nothing, so they cost nothing: packing guesses into one document buys no more guesses.
    const victim = await signUp(t, 'aliased');
    const address = uniqueLoopback();
    const gql = graphqlClient(t.url, { from: address });
    const since = new Date();
    const document = `mutation($e: String!) { ${Array.from({ length: 15 }, (_, i) => `a${i}: logIn(email: $e, password: "wrong guess ${i}") { token }`).join(' ')} }`;
    const first = await gql(document, { e: victim.email });
    expect(first.status).toBe(200);
    expect(first.data).toBeNull();
    expect(first.errors).toEqual([
      {
        message: 'Email or password is incorrect',
        locations: expect.any(Array),
        path: ['a0'],
        extensions: { code: 'UNAUTHENTICATED' },
      },
    ]);
    expect(await auditRows(t, 'auth.loginFailed', { ip: address, since })).toHaveLength(1);
    expect(await auditRows(t, 'auth.lockedOut', { ip: address, since })).toHaveLength(0);
    // the owner, from elsewhere, signs in
    const next = await graphqlClient(t.url, { from: uniqueLoopback() })(
      typed<{ a0: { token: string } }>(
        `mutation($e: String!, $p: String!) { a0: logIn(email: $e, password: $p) { token } }`,
      ),
      { e: victim.email, p: PASSWORD },
    );
    expect(next.data?.a0?.token).toEqual(expect.any(String));
  });

  it('a document of 1 success, 1 failure and 3 fields never run counts exactly 1 failure', async () => {
    const victim = await signUp(t, 'aliased-mixed');
    const address = uniqueLoopback();
    const since = new Date();
    const res = await graphqlClient(t.url, { from: address })(
      `mutation($e: String!, $p: String!) { ok: logIn(email: $e, password: $p) { token } b: logIn(email: $e, password: "nope nope nope 1") { token } c: logIn(email: $e, password: "nope nope nope 2") { token } d: logIn(email: $e, password: "nope nope nope 3") { token } e: logIn(email: $e, password: "nope nope nope 4") { token } }`,
      { e: victim.email, p: PASSWORD },
    );
    expect(res.data).toBeNull();
    expect(await auditRows(t, 'auth.loginFailed', { ip: address, since })).toHaveLength(1);
    const counts = await t.dataSource.query(
      `SELECT bucket, count FROM rate_limits WHERE bucket = ANY($1) ORDER BY bucket`,
      [[`login:account:${victim.email}`, `login:pair:${victim.email}|${address}`]],
    );
    expect(counts).toEqual([
      { bucket: `login:account:${victim.email}`, count: 1 },
      { bucket: `login:pair:${victim.email}|${address}`, count: 1 },
    ]);
  });

  it('holds against credential stuffing: 40 concurrent guesses from 40 addresses against a ceiling of 10 get exactly 10 checked, and the right password after them is refused', async () => {
    const s = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_ACCOUNT_FAILURES: '10' });
    try {
      const victim = await signUp(t, 'stuffed');
      const since = new Date();
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          graphqlClient(s.url, { from: uniqueLoopback() })(
            `mutation($e: String!, $p: String!) { g: logIn(email: $e, password: $p) { token } }`,
            { e: victim.email, p: `stuffed-guess-${i}` },
          ),
        ),
      );
      const texts = new Set(
        answers.map((a) => JSON.stringify({ status: a.status, data: a.data, errors: a.errors })),
      );
      expect(texts.size).toBe(1);
      // every guess was answered alike; exactly 10 of them were checked against the password
      const checked = await auditRows(s, 'auth.loginFailed', { targetId: victim.id, since });
      const refusedLocked = await s.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.loginFailed' AND request_id = ANY($1) AND metadata->>'locked' = 'true'`,
        [answers.map((a) => a.headers.get('x-request-id'))],
      );
      expect(checked).toHaveLength(10);
      expect(refusedLocked[0].n).toBe(30);
      expect(await auditRows(s, 'auth.lockedOut', { targetId: victim.id, since })).toHaveLength(1);
      // the right password, from a fresh address, after the wave: refused; no session was opened
      expect((await rawLogIn(s.url, uniqueLoopback(), victim.email, PASSWORD)).data).toBeNull();
      expect(
        await s.dataSource.query(`SELECT 1 FROM sessions WHERE user_id = $1 AND created_at >= $2`, [
          victim.id,
          since,
        ]),
      ).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('holds across instances: 10 failures from one address on instance A lock that address out of the account on instance B', async () => {
    const b = await startTestServer();
    try {
      const victim = await signUp(t, 'two-instances');
      const attacker = uniqueLoopback();
      // B has served this account from that address before, and knows nothing of the failures to come
      expect((await rawLogIn(b.url, attacker, victim.email, PASSWORD)).data!.logIn.user.id).toBe(
        victim.id,
      );
      for (let i = 0; i < 10; i++)
        await rawLogIn(t.url, attacker, victim.email, `wrong on a ${i} password`);
      const onB = await rawLogIn(b.url, attacker, victim.email, PASSWORD);
      expect(onB.data).toBeNull();
      expect(codeOf(onB)).toBe('UNAUTHENTICATED');
      const onA = await rawLogIn(t.url, attacker, victim.email, PASSWORD);
      expect(onB.text).toBe(onA.text);
      expect(
        (await rawLogIn(b.url, uniqueLoopback(), victim.email, PASSWORD)).data!.logIn.user.id,
      ).toBe(victim.id);
    } finally {
      await b.close();
    }
  });

  it('counts per the configured figures: LOGIN_MAX_FAILURES=3 locks an address out of an account on the 4th attempt', async () => {
    const three = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_MINUTES: '1' });
    try {
      const victim = await signUp(t, 'three');
      const address = uniqueLoopback();
      for (let i = 0; i < 2; i++)
        await rawLogIn(three.url, address, victim.email, `wrong password ${i}`);
      // 2 failures: the right password still works, and gives that address a fresh start
      expect((await rawLogIn(three.url, address, victim.email, PASSWORD)).data!.logIn.user.id).toBe(
        victim.id,
      );
      for (let i = 0; i < 3; i++)
        await rawLogIn(three.url, address, victim.email, `wrong password again ${i}`);
      expect((await rawLogIn(three.url, address, victim.email, PASSWORD)).data).toBeNull();
      const [lockout] = await auditRows(three, 'auth.lockedOut', { targetId: victim.id });
      expect(lockout.metadata).toEqual({
        lockedBy: 'accountAndAddress',
        failures: 3,
        windowSeconds: 60,
      });
    } finally {
      await three.close();
    }
  });

  it('does not count successful sign-ins against an address: 12 good sign-ins from one address all work', async () => {
    const address = uniqueLoopback();
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp(t, 'office')));
    for (const user of users) {
      expect((await rawLogIn(t.url, address, user.email, PASSWORD)).data!.logIn.user.id).toBe(
        user.id,
      );
    }
  });
});

describe('sign-in lockout with REDIS_URL (counters in Redis)', () => {
  const itRedis = REDIS_UP ? it : it.skip;
  if (!REDIS_UP) {
    console.warn(`Redis is not reachable at ${REDIS_URL}: the Redis lockout test is skipped`);
  }

  itRedis(
    `${REDIS_UP ? '' : '[skipped: no Redis at redis://127.0.0.1:6379] '}locks an address out of an account after 10 failures with the counters live in Redis (empress:rl:*), on two instances`,
    async () => {
      const redis = new Redis(REDIS_URL);
      const [a, b] = await Promise.all([
        startTestServer({ REDIS_URL }),
        startTestServer({ REDIS_URL }),
      ]);
      const victim = await signUp(t, 'redis-victim');
      const address = uniqueLoopback();
      const pairKey = `empress:rl:login:pair:${victim.email}|${address}`;
      const dayKey = `empress:rl:login:pair-day:${victim.email}|${address}`;
      const accountKey = `empress:rl:login:account:${victim.email}`;
      const addressKey = `empress:rl:login:address:${address}`;
      try {
        for (let i = 0; i < 5; i++)
          await rawLogIn(a.url, address, victim.email, `redis-wrong-a-${i}`);
        for (let i = 0; i < 5; i++)
          await rawLogIn(b.url, address, victim.email, `redis-wrong-b-${i}`);
        // the counters are in Redis, with their windows as their time to live
        for (const key of [pairKey, dayKey, accountKey, addressKey])
          expect(await redis.get(key)).toBe('10');
        const ttl = await redis.pttl(pairKey);
        expect(ttl).toBeGreaterThan(14 * 60_000);
        expect(ttl).toBeLessThanOrEqual(15 * 60_000);
        expect(await redis.pttl(dayKey)).toBeGreaterThan(23 * 3600_000);
        expect(await redis.keys(`empress:rl:login:*${victim.email}*`)).toHaveLength(3);
        // and not in PostgreSQL
        expect(
          await t.dataSource.query(`SELECT 1 FROM rate_limits WHERE bucket LIKE $1`, [
            `%${victim.email}%`,
          ]),
        ).toHaveLength(0);

        // the 11th attempt from that address, right password, either instance: refused; audited once
        const onA = await rawLogIn(a.url, address, victim.email, PASSWORD);
        const onB = await rawLogIn(b.url, address, victim.email, PASSWORD);
        expect(onA.data).toBeNull();
        expect(onB.text).toBe(onA.text);
        const lockouts = await auditRows(t, 'auth.lockedOut', { targetId: victim.id });
        expect(lockouts.map((r) => r.metadata?.lockedBy)).toEqual(['accountAndAddress']);
        // from another address, the owner signs in
        expect(
          (await rawLogIn(b.url, uniqueLoopback(), victim.email, PASSWORD)).data!.logIn.user.id,
        ).toBe(victim.id);

        // lifting the counter in Redis (an operator's unlock) lets that address in at once on a fresh instance
        await redis.del(pairKey);
        const c = await startTestServer({ REDIS_URL });
        try {
          expect((await rawLogIn(c.url, address, victim.email, PASSWORD)).data!.logIn.user.id).toBe(
            victim.id,
          );
        } finally {
          await c.close();
        }
      } finally {
        await redis.del(pairKey, dayKey, accountKey, addressKey);
        redis.disconnect();
        await Promise.all([a.close(), b.close()]);
      }
    },
  );
});

describe('key verification limited per calling address', () => {
  let v: TestServer;
  let key: { key: string; secret: string };
  beforeAll(async () => {
    v = await startTestServer({ VERIFY_MAX_FAILURES: '5', VERIFY_WINDOW_SECONDS: '60' });
    const team = await createTeam(t, owner, 'Verify limits');
    key = await createKey(t, owner, team.id, { scopes: ['orders:read'] });
  });
  afterAll(() => v?.close());

  async function authorize(url: string, from: string, key: string, secret: string) {
    return httpRequest(`${url}/v1/authorize`, { headers: basic(key, secret), localAddress: from });
  }

  it('refuses verifyApiCredentials from an address after VERIFY_MAX_FAILURES=5 failures, even for the right secret; other addresses are served', async () => {
    const attacker = uniqueLoopback();
    const gql = graphqlClient(v.url, { from: attacker });
    for (let i = 0; i < 5; i++)
      expect((await verifyWith(gql, key.key, unissuedSecret())).code).toBe('INVALID');
    expect(await verifyWith(gql, key.key, key.secret)).toMatchObject({
      valid: false,
      code: 'RATE_LIMITED',
      apiKey: null,
      teamId: null,
    });
    // the gateway next door, with good credentials, is not slowed
    expect(
      (await verifyWith(graphqlClient(v.url, { from: uniqueLoopback() }), key.key, key.secret))
        .code,
    ).toBe('VALID');
  });

  it('refuses /v1/authorize with 429 from an address after 5 failures; 200 from another address', async () => {
    const attacker = uniqueLoopback();
    for (let i = 0; i < 5; i++)
      expect((await authorize(v.url, attacker, key.key, unissuedSecret())).status).toBe(401);
    const locked = await authorize(v.url, attacker, key.key, key.secret);
    expect(locked.status).toBe(429);
    expect(JSON.parse(locked.text)).toEqual({ code: 'RATE_LIMITED' });
    expect((await authorize(v.url, uniqueLoopback(), key.key, key.secret)).status).toBe(200);
  });

  it('shares one count per address between /v1/authorize, verifyApiCredentials and Basic auth on /graphql (3 + 2 failures lock)', async () => {
    const attacker = uniqueLoopback();
    for (let i = 0; i < 3; i++) await authorize(v.url, attacker, key.key, unissuedSecret());
    const gql = graphqlClient(v.url, { from: attacker });
    for (let i = 0; i < 2; i++) await verifyWith(gql, key.key, unissuedSecret());
    expect((await authorize(v.url, attacker, key.key, key.secret)).status).toBe(429);
    const viaBasic = await gql(`{ viewer { type } }`, {}, basic(key.key, key.secret));
    expect(viaBasic.status).toBe(429);
    expect(viaBasic.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  });

  it('never counts good credentials: 200 valid verifications from one address stay VALID', async () => {
    const gateway = uniqueLoopback();
    const gql = graphqlClient(v.url, { from: gateway });
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () => verifyWith(gql, key.key, key.secret)),
      );
      for (const r of batch) codes.add(r.code);
    }
    expect([...codes]).toEqual(['VALID']);
  });

  it('holds across instances: failures on one instance lock the address on another', async () => {
    const attacker = uniqueLoopback();
    for (let i = 0; i < 5; i++)
      await verifyWith(graphqlClient(v.url, { from: attacker }), key.key, unissuedSecret());
    const other = await startTestServer({ VERIFY_MAX_FAILURES: '5', VERIFY_WINDOW_SECONDS: '60' });
    try {
      // the other instance learns of the count with its first failure from that address
      expect(
        (await verifyWith(graphqlClient(other.url, { from: attacker }), key.key, unissuedSecret()))
          .code,
      ).toMatch(/INVALID|RATE_LIMITED/);
      expect(
        (await verifyWith(graphqlClient(other.url, { from: attacker }), key.key, key.secret)).code,
      ).toBe('RATE_LIMITED');
    } finally {
      await other.close();
    }
  });

  it('uses the default of 100 failures per address: the 101st verification is refused', async () => {
    expect(t.config.limits).toMatchObject({ verifyFailures: 100, verifyWindowSeconds: 60 });
    const attacker = uniqueLoopback();
    const gql = graphqlClient(t.url, { from: attacker });
    for (let i = 0; i < 100; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () => verifyWith(gql, key.key, unissuedSecret())),
      );
      expect(batch.every((r) => r.code === 'INVALID' || r.code === 'RATE_LIMITED')).toBe(true);
    }
    expect((await verifyWith(gql, key.key, key.secret)).code).toBe('RATE_LIMITED');
    expect((await authorize(t.url, attacker, key.key, key.secret)).status).toBe(429);
  });
});
