import { bearer, PASSWORD, type SignedInUser, signUp } from '../helpers/factories';
import { codeOf, type Gql, graphqlClient, typed } from '../helpers/graphql';
import { hashingCounts, hashingSince } from '../helpers/hashing';
import { uniqueLoopback } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * A person's sessions from the attacker's side: a new password ends every other session (a thief's
 * stolen token included) but not the one making the change; a wrong current password is a failed
 * sign-in, limited as such; nobody ends, or learns of, another person's sessions.
 */

const NEW_PASSWORD = 'a brand new passphrase';
const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const REVOKE = `mutation($id: ID!) { revokeSession(id: $id) }`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ LOGIN_MAX_FAILURES: '3' });
});
afterAll(() => t?.close());

const LOGIN = typed<{ logIn: { token: string } }>(
  `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
);

interface OpenSession {
  token: string;
  /** POST /graphql from the session's address, with its token */
  gql: Gql;
  from: string;
}

/** A session of `email` opened from `from`, with a User-Agent of its own. */
async function session(
  email: string,
  password = PASSWORD,
  from = uniqueLoopback(),
  agent = 'test-agent',
): Promise<OpenSession> {
  const gql = graphqlClient(t.url, { from });
  const res = await gql(LOGIN, { e: email, p: password }, { 'user-agent': agent });
  if (!res.data?.logIn) throw new Error(`logIn failed: ${res.text}`);
  const token = res.data.logIn.token;
  return { token, from, gql: graphqlClient(t.url, { from, headers: bearer(token) }) };
}

async function alive(token: string): Promise<boolean> {
  const res = await t.gql(`{ me { id } }`, {}, bearer(token));
  return Boolean(res.data?.me);
}

/** The audit rows of `action` about `targetId`, oldest first. */
function audited(
  action: string,
  targetId: string,
): Promise<{ outcome: string; metadata: Record<string, unknown>; actor_user_id: string }[]> {
  return t.dataSource.query(
    `SELECT outcome, metadata, actor_user_id FROM audit_events WHERE action = $1 AND target_id = $2 ORDER BY occurred_at`,
    [action, targetId],
  );
}

/** The count in a bucket of the shared failure store, 0 when it has none. */
async function bucket(name: string): Promise<number> {
  const rows: { count: number }[] = await t.dataSource.query(
    `SELECT count FROM rate_limits WHERE bucket = $1`,
    [name],
  );
  return rows[0]?.count ?? 0;
}

async function sessionIds(user: SignedInUser): Promise<string[]> {
  const rows = await t.dataSource.query(
    `SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at`,
    [user.id],
  );
  return rows.map((r: { id: string }) => r.id);
}

describe('changePassword', () => {
  it('ends every other session, keeps the one making the change, and only the new password signs in', async () => {
    const user = await signUp(t, 'changer');
    const [laptop, phone] = [await session(user.email), await session(user.email)];
    const res = await laptop.gql(CHANGE, { c: PASSWORD, n: NEW_PASSWORD });
    expect(res.data).toEqual({ changePassword: true });
    expect(await alive(laptop.token)).toBe(true);
    expect(await alive(phone.token)).toBe(false);
    expect(await alive(user.token)).toBe(false);
    expect((await t.gql(LOGIN, { e: user.email, p: PASSWORD })).data).toBeNull();
    expect(await alive((await session(user.email, NEW_PASSWORD)).token)).toBe(true);
    const [row] = await audited('user.passwordChanged', user.id);
    expect(row).toMatchObject({ outcome: 'SUCCESS', metadata: { sessionsEnded: 2 } });
    const everything = JSON.stringify(
      await t.dataSource.query(`SELECT * FROM audit_events WHERE actor_user_id = $1`, [user.id]),
    );
    expect(everything).not.toContain(NEW_PASSWORD);
    expect(everything).not.toContain(PASSWORD);
  });

  it('a wrong current password is a failed sign-in: FORBIDDEN, no change; past the limit even the right one is refused, unhashed', async () => {
    const user = await signUp(t, 'wrong-current');
    const thief = await session(user.email);
    const other = await session(user.email);
    const first = await thief.gql(CHANGE, { c: 'not the current password', n: NEW_PASSWORD });
    expect(first.errors?.[0]).toMatchObject({
      message: 'The current password is incorrect',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await bucket(`login:pair:${user.email}|${thief.from}`)).toBe(1);
    for (let i = 0; i < 2; i++)
      await thief.gql(CHANGE, { c: `still not the password ${i}`, n: NEW_PASSWORD });
    const before = await hashingCounts(t.url);
    const locked = await thief.gql(CHANGE, { c: PASSWORD, n: NEW_PASSWORD });
    expect(locked.errors).toEqual(first.errors);
    expect(hashingSince(before, await hashingCounts(t.url))).toEqual({
      hash: 0,
      verify: 0,
      refused: 0,
    });
    // nothing changed: the old password still signs in (from elsewhere), the other session lives
    expect(await alive(other.token)).toBe(true);
    expect(await alive((await session(user.email)).token)).toBe(true);
    const refusals: { outcome: string; code: string }[] = await t.dataSource.query(
      `SELECT outcome, metadata->>'code' AS code FROM audit_events WHERE action = 'user.passwordChanged' AND actor_user_id = $1`,
      [user.id],
    );
    expect(refusals).toHaveLength(4);
    expect(refusals.every((r) => r.outcome === 'DENIED' && r.code === 'FORBIDDEN')).toBe(true);
    const [lockout] = await audited('auth.lockedOut', user.id);
    expect(lockout.metadata).toMatchObject({ lockedBy: 'accountAndAddress', failures: 3 });
  });

  it('a new password that is too short or too long: BAD_USER_INPUT, no hashing, not counted', async () => {
    const user = await signUp(t, 'bad-new');
    const me = await session(user.email);
    const before = await hashingCounts(t.url);
    for (const n of ['short', 'x'.repeat(257)]) {
      const res = await me.gql(CHANGE, { c: PASSWORD, n });
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'newPassword',
      });
      expect(res.text).not.toContain(n.slice(0, 20));
    }
    expect(hashingSince(before, await hashingCounts(t.url))).toEqual({
      hash: 0,
      verify: 0,
      refused: 0,
    });
    expect(await bucket(`login:pair:${user.email}|${me.from}`)).toBe(0);
  });
});

describe('revokeSession', () => {
  it("another user's session id is NOT_FOUND, exactly like an id that does not exist, and the session lives on", async () => {
    const [victim, attacker] = await Promise.all([signUp(t, 'victim'), signUp(t, 'attacker')]);
    const [victimSession] = await sessionIds(victim);
    const foreign = await t.gql(REVOKE, { id: victimSession }, attacker.headers);
    const unknown = await t.gql(
      REVOKE,
      { id: '00000000-0000-4000-8000-000000000000' },
      attacker.headers,
    );
    expect(codeOf(foreign)).toBe('NOT_FOUND');
    expect(foreign.errors).toEqual(unknown.errors);
    expect(foreign.data).toBeNull();
    expect(await alive(victim.token)).toBe(true);
    expect(await sessionIds(victim)).toEqual([victimSession]);
    const malformed = await t.gql(
      `mutation { revokeSession(id: "not-an-id") }`,
      {},
      attacker.headers,
    );
    expect(codeOf(malformed)).toBe('BAD_USER_INPUT');
    const [denied] = await audited('auth.sessionRevoked', victimSession);
    expect(denied).toMatchObject({ outcome: 'DENIED', actor_user_id: attacker.id });
  });

  it('ends one of your own sessions at once, audited, and leaves the others', async () => {
    const user = await signUp(t, 'revoker');
    const phone = await session(user.email);
    const [, phoneId] = await sessionIds(user);
    expect((await t.gql(REVOKE, { id: phoneId }, user.headers)).data).toEqual({
      revokeSession: true,
    });
    expect(await alive(phone.token)).toBe(false);
    expect(await alive(user.token)).toBe(true);
    const [row] = await audited('auth.sessionRevoked', phoneId);
    expect(row).toMatchObject({ outcome: 'SUCCESS', actor_user_id: user.id });
  });
});

describe('mySessions and logOutEverywhere', () => {
  it("lists only the caller's own live sessions, marks the current one, and never shows a token", async () => {
    const [user, stranger] = await Promise.all([signUp(t, 'lister'), signUp(t, 'stranger')]);
    const laptop = await session(user.email, PASSWORD, uniqueLoopback(), 'Laptop browser');
    const res = await laptop.gql(
      typed<{
        mySessions: { id: string; userAgent: string | null; ip: string | null; current: boolean }[];
      }>(`{ mySessions { id createdAt lastSeenAt expiresAt userAgent ip current } }`),
    );
    expect(res.errors).toBeUndefined();
    const listed = res.data!.mySessions;
    expect(listed.map((s) => s.id).sort()).toEqual((await sessionIds(user)).sort());
    expect(listed.filter((s) => s.current)).toEqual([
      expect.objectContaining({ userAgent: 'Laptop browser', ip: laptop.from }),
    ]);
    expect(listed).toHaveLength(2);
    expect(res.text).not.toContain(laptop.token.slice(5));
    expect(res.text).not.toContain(user.token.slice(5));
    const strangers = await sessionIds(stranger);
    expect(listed.map((s) => s.id)).not.toContain(strangers[0]);
  });

  it('lastSeenAt is not a write on every request: it moves only once it is five minutes old', async () => {
    const user = await signUp(t, 'seen');
    const [id] = await sessionIds(user);
    const read = async () =>
      (await t.dataSource.query(`SELECT last_seen_at FROM sessions WHERE id = $1`, [id]))[0]
        .last_seen_at as Date;
    const first = await read();
    for (let i = 0; i < 5; i++) await t.gql(`{ me { id } }`, {}, user.headers);
    expect(await read()).toEqual(first);
    await t.dataSource.query(
      `UPDATE sessions SET last_seen_at = now() - interval '6 minutes' WHERE id = $1`,
      [id],
    );
    const stale = await read();
    await t.gql(`{ me { id } }`, {}, user.headers);
    expect((await read()).getTime()).toBeGreaterThan(stale.getTime() + 5 * 60_000);
  });

  it('logOutEverywhere ends every session of the user, this one included, and no one else’s', async () => {
    const [user, bystander] = await Promise.all([signUp(t, 'everywhere'), signUp(t, 'bystander')]);
    const other = await session(user.email);
    expect((await t.gql(`mutation { logOutEverywhere }`, {}, user.headers)).data).toEqual({
      logOutEverywhere: true,
    });
    expect(await alive(user.token)).toBe(false);
    expect(await alive(other.token)).toBe(false);
    expect(await alive(bystander.token)).toBe(true);
    const [row] = await audited('auth.loggedOutEverywhere', user.id);
    expect(row.metadata).toEqual({ sessionsEnded: 2 });
  });
});
