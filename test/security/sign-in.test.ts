import { MyLockoutsDocument } from '../clients/generated/graphql';
import { bearer, PASSWORD, signUp, uniqueEmail, type SignedInUser } from '../helpers/factories';
import { codeOf, graphqlClient, typed } from '../helpers/graphql';
import { hashingCounts, hashingSince } from '../helpers/hashing';
import { uniqueLoopback } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Sign-in from the attacker's side: one request, or one address, can't lock another person out,
 * and a flood of sign-ins can't stall everyone's through the password hasher.
 *
 * - Only logIn fields that ran count: fields under @skip, or left unrun after a failed one, are free.
 * - Failures count per account and address (LOGIN_MAX_FAILURES), per address across accounts
 *   (LOGIN_MAX_ADDRESS_FAILURES) and per account across addresses, at a ceiling one address can't
 *   reach (LOGIN_MAX_ACCOUNT_FAILURES); an address that keeps failing on an account gets three
 *   windows' worth a day (backoff).
 * - A locked attempt answers exactly like a wrong password, without hashing.
 * - argon2 work is bounded (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE): a full queue answers
 *   RATE_LIMITED at once.
 *
 * Every test talks from loopback addresses of its own: failure counts are shared through the
 * run's database.
 */

const LOGIN = typed<{ logIn: { token: string; user: { id: string } } }>(
  `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token user { id } } }`,
);

function logInFrom(url: string, from: string, email: string, password: string) {
  return graphqlClient(url, { from })(LOGIN, { e: email, p: password });
}

/** The count in a bucket of the shared failure store, 0 when it has none. */
async function count(t: TestServer, bucket: string): Promise<number> {
  const rows: { count: number }[] = await t.dataSource.query(
    `SELECT count FROM rate_limits WHERE bucket = $1`,
    [bucket],
  );
  return rows[0]?.count ?? 0;
}

/** A document of `n` aliased logIn fields for $e, each with a wrong password and `directive` */
function aliasedLogIns(n: number, directive = ''): string {
  const fields = Array.from(
    { length: n },
    (_, i) => `a${i}: logIn(email: $e, password: "wrong password ${i}") ${directive} { token }`,
  );
  return `mutation($e: String!) { ${fields.join(' ')} }`;
}

/** The lockouts of the account signed in with `token` (from an address of its own). */
async function asUser(token: string, server: TestServer = t) {
  const res = await graphqlClient(server.url, { from: uniqueLoopback() })(
    MyLockoutsDocument,
    {},
    bearer(token),
  );
  expect(res.errors).toBeUndefined();
  return res.data!;
}

/** Make the short window of an account-and-address bucket look over, as after 15 minutes. */
function ageWindow(t: TestServer, email: string, address: string): Promise<unknown> {
  return t.dataSource.query(
    `UPDATE rate_limits SET window_start = now() - interval '16 minutes' WHERE bucket = $1`,
    [`login:pair:${email}|${address}`],
  );
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

describe('only what ran counts', () => {
  it('ten aliased logIn fields under @skip(if: true), sent again and again, count nothing: the victim signs in', async () => {
    const victim = await signUp(t, 'skip-victim');
    const attacker = graphqlClient(t.url, { from: uniqueLoopback() });
    for (let round = 0; round < 3; round++) {
      const res = await attacker(aliasedLogIns(10, '@skip(if: true)'), { e: victim.email });
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({});
    }
    expect(await count(t, `login:account:${victim.email}`)).toBe(0);
    const elsewhere = await logInFrom(t.url, uniqueLoopback(), victim.email, PASSWORD);
    expect(elsewhere.data?.logIn?.user.id).toBe(victim.id);
  });

  it('fields left unrun after a failed logIn are not charged: 15 aliased guesses in one document cost one attempt', async () => {
    const victim = await signUp(t, 'unrun-victim');
    const address = uniqueLoopback();
    const res = await graphqlClient(t.url, { from: address })(aliasedLogIns(15), {
      e: victim.email,
    });
    expect(res.data).toBeNull();
    expect(res.errors?.map((e) => e.path)).toEqual([['a0']]);
    expect(await count(t, `login:account:${victim.email}`)).toBe(1);
    expect(await count(t, `login:pair:${victim.email}|${address}`)).toBe(1);
  });
});

describe('one address cannot lock out someone signing in from another', () => {
  it('30 wrong guesses from one address lock that address out of the account, not the user at another address', async () => {
    expect(t.config.limits).toMatchObject({
      loginFailures: 10,
      loginAddressFailures: 30,
      loginAccountFailures: 100,
    });
    const victim = await signUp(t, 'one-address');
    const attacker = uniqueLoopback();
    const first = await logInFrom(t.url, attacker, victim.email, 'wrong password 0');
    for (let i = 1; i < 30; i++)
      expect((await logInFrom(t.url, attacker, victim.email, `wrong password ${i}`)).text).toBe(
        first.text,
      );
    // the attacker is locked out of this account: even the right password gets the wrong-password answer
    const locked = await logInFrom(t.url, attacker, victim.email, PASSWORD);
    expect(locked.status).toBe(first.status);
    expect(locked.text).toBe(first.text);
    // the attempts refused as locked were not charged to the account: it holds 10, far from its ceiling
    expect(await count(t, `login:account:${victim.email}`)).toBe(10);
    // the real user, at home, signs in
    const home = await logInFrom(t.url, uniqueLoopback(), victim.email, PASSWORD);
    expect(home.data?.logIn?.user.id).toBe(victim.id);
    const [lockout] = await t.dataSource.query(
      `SELECT metadata FROM audit_events WHERE action = 'auth.lockedOut' AND target_id = $1 AND ip = $2`,
      [victim.id, attacker],
    );
    expect(lockout.metadata).toEqual({
      lockedBy: 'accountAndAddress',
      failures: 10,
      windowSeconds: 900,
    });
    // the victim is told (the dashboard shows it), and nobody else sees it
    const { myLockouts } = await asUser(home.data!.logIn.token);
    expect(myLockouts).toEqual([
      {
        at: expect.any(String),
        ip: attacker,
        failures: 10,
        windowSeconds: 900,
        everyAddress: false,
      },
    ]);
    const bystander = await signUp(t, 'lockout-bystander');
    expect((await asUser(bystander.token)).myLockouts).toEqual([]);
  });

  it('a locked attempt costs no hashing', async () => {
    const victim = await signUp(t, 'no-hash-locked');
    const attacker = uniqueLoopback();
    const before = await hashingCounts(t.url);
    for (let i = 0; i < 10; i++)
      await logInFrom(t.url, attacker, victim.email, `wrong password ${i}`);
    const locking = hashingSince(before, await hashingCounts(t.url));
    expect(locking.verify).toBe(10);
    const whileLocked = await hashingCounts(t.url);
    for (let i = 0; i < 5; i++)
      await logInFrom(
        t.url,
        attacker,
        victim.email,
        i === 0 ? PASSWORD : `wrong password again ${i}`,
      );
    expect(hashingSince(whileLocked, await hashingCounts(t.url))).toEqual({
      hash: 0,
      verify: 0,
      refused: 0,
    });
  });

  it('a password no account can have is wrong without hashing; an unknown email costs what a known one does', async () => {
    const victim = await signUp(t, 'impossible');
    const from = uniqueLoopback();
    const wrong = await logInFrom(t.url, from, victim.email, 'wrong password at length');
    const before = await hashingCounts(t.url);
    for (const password of ['short', 'x'.repeat(257), 'x'.repeat(100_000)]) {
      expect((await logInFrom(t.url, from, victim.email, password)).text).toBe(wrong.text);
    }
    expect(hashingSince(before, await hashingCounts(t.url)).verify).toBe(0);
    const unknown = await logInFrom(
      t.url,
      uniqueLoopback(),
      uniqueEmail('nobody'),
      'wrong password at length',
    );
    expect(unknown.text).toBe(wrong.text);
    expect(hashingSince(before, await hashingCounts(t.url)).verify).toBe(1);
  });

  it('the ceiling: failures from many addresses lock the account for everyone, and one address alone cannot reach it', async () => {
    const s = await startTestServer({ LOGIN_MAX_FAILURES: '2', LOGIN_MAX_ACCOUNT_FAILURES: '5' });
    try {
      const victim = await signUp(s, 'ceiling');
      // one address: 2 failures, then refused without counting, however long it goes on
      const lone = uniqueLoopback();
      for (let i = 0; i < 12; i++)
        await logInFrom(s.url, lone, victim.email, `lone wrong password ${i}`);
      expect(await count(s, `login:account:${victim.email}`)).toBe(2);
      expect(
        (await logInFrom(s.url, uniqueLoopback(), victim.email, PASSWORD)).data?.logIn?.user.id,
      ).toBe(victim.id);

      // many addresses: 5 failures lock the account for every address, right password or not
      const wrong = await logInFrom(s.url, uniqueLoopback(), victim.email, 'many wrong password 0');
      for (let i = 1; i < 5; i++)
        await logInFrom(s.url, uniqueLoopback(), victim.email, `many wrong password ${i}`);
      const locked = await logInFrom(s.url, uniqueLoopback(), victim.email, PASSWORD);
      expect(locked.text).toBe(wrong.text);
      const lockouts: { metadata: unknown }[] = await s.dataSource.query(
        `SELECT metadata FROM audit_events WHERE action = 'auth.lockedOut' AND target_id = $1`,
        [victim.id],
      );
      expect(lockouts.map((r) => r.metadata)).toContainEqual({
        lockedBy: 'account',
        failures: 5,
        windowSeconds: 900,
      });
      const mine = (await asUser(victim.token, s)).myLockouts;
      expect(mine).toContainEqual(expect.objectContaining({ everyAddress: true, failures: 5 }));
    } finally {
      await s.close();
    }
  });

  it('backoff: an address that keeps failing on one account gets three windows of attempts a day, then none', async () => {
    const victim = await signUp(t, 'backoff');
    const attacker = uniqueLoopback();
    const env = { LOGIN_MAX_FAILURES: '2' };
    // Three windows: each time the short window is over (aged in the database, and a fresh
    // instance, which has not seen the lock), the address gets 2 more attempts.
    for (let window = 0; window < 3; window++) {
      const s = await startTestServer(env);
      try {
        await ageWindow(t, victim.email, attacker);
        for (let i = 0; i < 2; i++)
          await logInFrom(s.url, attacker, victim.email, `window ${window} wrong password ${i}`);
        expect(await count(t, `login:pair-day:${victim.email}|${attacker}`)).toBe(2 * (window + 1));
      } finally {
        await s.close();
      }
    }
    const s = await startTestServer(env);
    try {
      await ageWindow(t, victim.email, attacker);
      const before = await hashingCounts(s.url);
      const fourth = await logInFrom(s.url, attacker, victim.email, PASSWORD);
      expect(fourth.data).toBeNull();
      expect(codeOf(fourth)).toBe('UNAUTHENTICATED');
      expect(hashingSince(before, await hashingCounts(s.url)).verify).toBe(0);
      expect(await count(t, `login:pair-day:${victim.email}|${attacker}`)).toBe(6);
      const [lockout] = await t.dataSource.query(
        `SELECT metadata FROM audit_events WHERE action = 'auth.lockedOut' AND target_id = $1 AND metadata->>'lockedBy' = $2`,
        [victim.id, 'accountAndAddressDay'],
      );
      expect(lockout.metadata).toEqual({
        lockedBy: 'accountAndAddressDay',
        failures: 6,
        windowSeconds: 86400,
      });
      // the user at home is not affected
      expect(
        (await logInFrom(s.url, uniqueLoopback(), victim.email, PASSWORD)).data?.logIn?.user.id,
      ).toBe(victim.id);
    } finally {
      await s.close();
    }
  });
});

describe('bounded password hashing', () => {
  it('a flood of concurrent sign-ins gets fast RATE_LIMITED from the full queue; a normal sign-in still gets through', async () => {
    const s = await startTestServer({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '2' });
    try {
      const user: SignedInUser = await signUp(s, 'flood-bystander');
      const before = await hashingCounts(s.url);
      const started = Date.now();
      const flood = Array.from({ length: 60 }, async () => {
        const from = uniqueLoopback();
        const res = await logInFrom(s.url, from, uniqueEmail('flood'), 'a flood of guesses');
        return {
          from,
          code: res.errors?.[0]?.extensions?.code as string,
          ms: Date.now() - started,
        };
      });
      // the bystander, from an address of its own, tries while the flood runs, and again after a refusal
      const bystander = (async () => {
        const from = uniqueLoopback();
        for (;;) {
          const res = await logInFrom(s.url, from, user.email, PASSWORD);
          if (res.data?.logIn) return Date.now() - started;
          expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const answers = await Promise.all(flood);
      const refused = answers.filter((a) => a.code === 'RATE_LIMITED');
      const checked = answers.filter((a) => a.code === 'UNAUTHENTICATED');
      expect(refused.length + checked.length).toBe(60);
      expect(refused.length).toBeGreaterThanOrEqual(20);
      // refused at once: each long before the hashing of the flood could have been done one at a time
      const slowestRefusal = Math.max(...refused.map((a) => a.ms));
      expect(slowestRefusal).toBeLessThan(5_000);
      expect(await bystander).toBeLessThan(20_000);
      const spent = hashingSince(before, await hashingCounts(s.url));
      expect(spent.refused).toBeGreaterThanOrEqual(refused.length);
      expect(spent.verify).toBe(checked.length + 1);
      // a refusal was not counted against the address that sent it: nothing was tried
      expect(await count(s, `login:address:${refused[0].from}`)).toBe(0);
    } finally {
      await s.close();
    }
  });
});
