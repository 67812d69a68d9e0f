import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../../src/config';
import { RETENTION } from '../../src/maintenance/retention';
import { logIn, signUp, type SignedInUser } from '../helpers/factories';
import { graphqlClient, typed } from '../helpers/graphql';
import { eventually, uniqueLoopback, unissuedSecret, verifyWith } from '../helpers/http';
import { startTestServer, testDatabaseUrl, type TestServer } from '../helpers/server';

/**
 * What grows with traffic does not grow for ever: a maintenance job, started and stopped with the
 * service, deletes expired sessions and spent failure counters (rate_limits rows whose window is
 * over), and nothing live; one instance at a time across instances. Every table of the schema has
 * a retention on record (src/maintenance/retention.ts).
 */

const LOCK = `SELECT pg_advisory_lock(hashtext('empress.maintenance'))`;
const UNLOCK = `SELECT pg_advisory_unlock(hashtext('empress.maintenance'))`;

async function sessionsOf(
  t: TestServer,
  userId: string,
): Promise<{ id: string; expired: boolean }[]> {
  return t.dataSource.query(
    `SELECT id, expires_at <= now() AS expired FROM sessions WHERE user_id = $1 ORDER BY created_at`,
    [userId],
  );
}

async function bucketsLike(t: TestServer, pattern: string): Promise<string[]> {
  return (
    await t.dataSource.query(
      `SELECT bucket FROM rate_limits WHERE bucket LIKE $1 ORDER BY bucket`,
      [pattern],
    )
  ).map((r: { bucket: string }) => r.bucket);
}

describe('the maintenance job purges what is spent, and nothing live', () => {
  let t: TestServer;
  beforeAll(async () => {
    // a purge every second, and a verification window of one second so that its counters are spent soon
    t = await startTestServer({ MAINTENANCE_INTERVAL_SECONDS: '1', VERIFY_WINDOW_SECONDS: '1' });
  });
  afterAll(() => t?.close());

  it('deletes expired sessions and spent failure counters within seconds, and keeps live ones working', async () => {
    const user: SignedInUser = await signUp(t, 'retention');
    const expired = await logIn(t, user.email);
    await t.dataSource.query(
      `UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = (SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1)`,
      [user.id],
    );
    expect((await sessionsOf(t, user.id)).map((s) => s.expired)).toEqual([false, true]);
    expect((await t.gql(`{ me { id } }`, {}, expired.headers)).status).toBe(401);

    // a spent counter: failed verifications in a one-second window; a live one: failed sign-ins (15 minutes)
    const verifier = uniqueLoopback();
    await verifyWith(
      graphqlClient(t.url, { from: verifier }),
      'empk_' + 'A'.repeat(24),
      unissuedSecret(),
    );
    const signer = uniqueLoopback();
    await graphqlClient(t.url, { from: signer })(
      `mutation($e: String!) { logIn(email: $e, password: "wrong password!") { token } }`,
      { e: user.email },
    );
    expect(await bucketsLike(t, `%${verifier}%`)).not.toEqual([]);
    expect(await bucketsLike(t, `%${signer}%`)).not.toEqual([]);

    const purged = await eventually(
      async () =>
        (await sessionsOf(t, user.id)).length === 1 &&
        (await bucketsLike(t, `%${verifier}%`)).length === 0,
      15_000,
      250,
    );
    expect(purged).toBe(true);
    expect((await sessionsOf(t, user.id)).map((s) => s.expired)).toEqual([false]);
    expect(await bucketsLike(t, `%${signer}%`)).not.toEqual([]);
    expect(
      (await t.gql(typed<{ me: { id: string } }>(`{ me { id } }`), {}, user.headers)).data?.me.id,
    ).toBe(user.id);
  });

  it('refuses a bad MAINTENANCE_INTERVAL_SECONDS at start-up, naming it', () => {
    for (const value of ['0', '-5', 'often', '86401']) {
      expect(() => loadConfig({ MAINTENANCE_INTERVAL_SECONDS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ MAINTENANCE_INTERVAL_SECONDS: value })).toThrow(
        /MAINTENANCE_INTERVAL_SECONDS/,
      );
    }
    expect(loadConfig({}).maintenanceIntervalSeconds).toBe(300);
  });
});

describe('one instance purges at a time', () => {
  let a: TestServer;
  let b: TestServer;
  let other: Client;
  const tag = `retention-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    a = await startTestServer();
    b = await startTestServer();
    other = new Client({ connectionString: testDatabaseUrl() });
    await other.connect();
  });
  afterAll(async () => {
    await other?.query(UNLOCK).catch(() => undefined);
    await other?.end();
    await a?.close();
    await b?.close();
  });

  it('skips while another holds the maintenance lock, then purges 12,000 spent rows in batches and leaves the live ones', async () => {
    // the lock first: the servers of other test files purge on their timers, and would otherwise
    // take the spent rows before the count below
    await other.query(LOCK);
    await a.dataSource.query(
      `INSERT INTO rate_limits (bucket, window_start, count, expires_at)
       SELECT $1 || ':spent:' || n, now() - interval '2 hours', 1, now() - interval '1 hour' FROM generate_series(1, 12000) n
       UNION ALL SELECT $1 || ':live:' || n, now(), 1, now() + interval '1 hour' FROM generate_series(1, 3) n`,
      [tag],
    );
    // both instances find the lock taken (an instance purging elsewhere): neither deletes anything
    expect(await a.server.services.maintenance.runOnce()).toBeNull();
    expect(await b.server.services.maintenance.runOnce()).toBeNull();
    expect(await bucketsLike(a, `${tag}:spent:%`)).toHaveLength(12000);
    await other.query(UNLOCK);

    const [first, second] = await Promise.all([
      a.server.services.maintenance.runOnce(),
      b.server.services.maintenance.runOnce(),
    ]);
    expect([first, second].some((report) => report !== null)).toBe(true);
    expect(await bucketsLike(a, `${tag}:spent:%`)).toHaveLength(0);
    expect(await bucketsLike(a, `${tag}:live:%`)).toHaveLength(3);
    await a.dataSource.query(`DELETE FROM rate_limits WHERE bucket LIKE $1`, [`${tag}:%`]);
  });
});

describe('every table has a retention on record', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it('lists each table of the schema once, with how long its rows are kept', async () => {
    const tables: string[] = (
      await t.dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
      )
    ).map((r: { table_name: string }) => r.table_name);
    expect(RETENTION.map((r) => r.table).sort()).toEqual(tables);
    for (const entry of RETENTION) expect(entry.kept.length).toBeGreaterThan(10);
    expect(RETENTION.filter((r) => r.spent).map((r) => r.table)).toEqual(
      expect.arrayContaining(['sessions', 'rate_limits']),
    );
  });
});
