import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { PASSWORD, uniqueEmail } from '../helpers/factories';
import { graphqlClient, typed } from '../helpers/graphql';
import { hashingCounts, hashingSince, type HashingCounts } from '../helpers/hashing';
import { uniqueLoopback } from '../helpers/http';
import { ownDatabase } from '../helpers/own-database';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Sign-up from the attacker's side: creating accounts is limited per address and over the whole
 * service (SIGNUP_MAX_PER_ADDRESS, SIGNUP_MAX_TOTAL per SIGNUP_WINDOW_MINUTES), counted in the
 * shared store so the limits hold across instances, and every answer decided without hashing a
 * password (sign-up closed, bad input, a limit reached, an email taken) is given without hashing.
 *
 * The servers here use a database of their own: the whole-service count must not be shared with
 * the sign-ups of every other test file of the run.
 */

const SIGN_UP = typed<{ signUp: { token: string; user: { id: string } } }>(
  `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token user { id } } }`,
);

const own = ownDatabase('signup');

beforeAll(() => own.create({ migrated: true }));
afterAll(() => own.drop());

/** Servers on the file's own database, closed after each test; the counts are emptied between tests. */
const servers: TestServer[] = [];
async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(env, { databaseUrl: own.url });
  servers.push(s);
  return s;
}
afterEach(async () => {
  const [first] = servers;
  if (first) await first.dataSource.query(`DELETE FROM rate_limits`);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function signUpFrom(s: TestServer, from: string, email = uniqueEmail('su')) {
  return graphqlClient(s.url, { from })(SIGN_UP, { e: email, p: PASSWORD, n: 'Someone' });
}

const users = (s: TestServer, emails: string[]) =>
  s.dataSource
    .query(`SELECT email FROM users WHERE email = ANY($1)`, [emails])
    .then((rows: { email: string }[]) => rows.length);

/** Those of `addresses` that have a sign-up counted against them. */
async function countedAddresses(s: TestServer, addresses: string[]): Promise<string[]> {
  const rows = await s.dataSource.query(
    `SELECT bucket FROM rate_limits WHERE bucket = ANY($1) AND count > 0`,
    [addresses.map((ip) => `signup:address:${ip}`)],
  );
  return rows.map((r: { bucket: string }) => r.bucket);
}

async function total(...ss: TestServer[]): Promise<HashingCounts> {
  const all = await Promise.all(ss.map((s) => hashingCounts(s.url)));
  return all.reduce((a, b) => ({
    hash: a.hash + b.hash,
    verify: a.verify + b.verify,
    refused: a.refused + b.refused,
  }));
}

describe('sign-up limits', () => {
  it('has sensible defaults: 10 per address and 100 in all per hour', () => {
    expect(loadConfig({}).limits).toMatchObject({
      signUpsPerAddress: 10,
      signUpsTotal: 100,
      signUpWindowMinutes: 60,
    });
  });

  it('15 aliased signUp fields in one anonymous request create no more accounts than the per-address limit', async () => {
    const s = await server({ SIGNUP_MAX_PER_ADDRESS: '3' });
    const emails = Array.from({ length: 15 }, () => uniqueEmail('aliased'));
    const fields = emails.map(
      (e, i) => `a${i}: signUp(email: "${e}", password: "${PASSWORD}", name: "A") { token }`,
    );
    const document = `mutation { ${fields.join(' ')} }`;
    const address = uniqueLoopback();
    const before = await hashingCounts(s.url);
    const res = await graphqlClient(s.url, { from: address })(document);
    expect(await users(s, emails)).toBe(3);
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(hashingSince(before, await hashingCounts(s.url)).hash).toBe(3);
    // the address stays refused; another address is not
    expect((await signUpFrom(s, address)).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect((await signUpFrom(s, uniqueLoopback())).data?.signUp?.token).toEqual(expect.any(String));
  });

  it('per address, across two instances: 2 sign-ups from one address, one on each, and the third is refused on both', async () => {
    const [a, b] = await Promise.all([
      server({ SIGNUP_MAX_PER_ADDRESS: '2' }),
      server({ SIGNUP_MAX_PER_ADDRESS: '2' }),
    ]);
    const address = uniqueLoopback();
    expect((await signUpFrom(a, address)).errors).toBeUndefined();
    expect((await signUpFrom(b, address)).errors).toBeUndefined();
    const before = await total(a, b);
    for (const s of [a, b]) {
      const email = uniqueEmail('third');
      const third = await signUpFrom(s, address, email);
      expect(third.errors?.[0]).toMatchObject({
        message: 'Too many sign-ups; try again later',
        extensions: { code: 'RATE_LIMITED' },
      });
      expect(await users(s, [email])).toBe(0);
    }
    expect(hashingSince(before, await total(a, b)).hash).toBe(0);
  });

  it('over the whole service, across two instances: SIGNUP_MAX_TOTAL=4 sign-ups from 4 addresses; a 5th address is refused', async () => {
    const env = { SIGNUP_MAX_TOTAL: '4' };
    const [a, b] = await Promise.all([server(env), server(env)]);
    for (let i = 0; i < 4; i++)
      expect((await signUpFrom(i % 2 ? a : b, uniqueLoopback())).errors).toBeUndefined();
    const before = await total(a, b);
    const refused = [uniqueLoopback(), uniqueLoopback()];
    for (const [i, s] of [a, b].entries())
      expect((await signUpFrom(s, refused[i])).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(hashingSince(before, await total(a, b)).hash).toBe(0);
    // a refusal by the whole-service limit is not held against the address that asked
    expect(await countedAddresses(a, refused)).toEqual([]);
  });

  it('many concurrent sign-ups from one address: exactly the limit get through', async () => {
    const [a, b] = await Promise.all([
      server({ SIGNUP_MAX_PER_ADDRESS: '5' }),
      server({ SIGNUP_MAX_PER_ADDRESS: '5' }),
    ]);
    const address = uniqueLoopback();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => signUpFrom(i % 2 ? a : b, address)),
    );
    expect(answers.filter((r) => r.data?.signUp).length).toBe(5);
    expect(answers.filter((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMITED').length).toBe(
      25,
    );
  });
});

describe('bounded hashing', () => {
  it('sign-ups refused by a full hashing queue are RATE_LIMITED at once and counted against nobody', async () => {
    const s = await server({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '0' });
    const addresses = Array.from({ length: 20 }, () => uniqueLoopback());
    const answers = await Promise.all(addresses.map((from) => signUpFrom(s, from)));
    const refused = addresses.filter(
      (_, i) => answers[i].errors?.[0]?.extensions?.code === 'RATE_LIMITED',
    );
    const created = answers.filter((r) => r.data?.signUp).length;
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length + created).toBe(20);
    expect(answers.find((r) => r.errors)?.errors?.[0]?.message).toBe(
      'Too many sign-ins and sign-ups at once; try again in a moment',
    );
    expect(await countedAddresses(s, refused)).toEqual([]);
    expect(
      await s.dataSource.query(`SELECT count FROM rate_limits WHERE bucket = 'signup:total'`),
    ).toEqual([{ count: created }]);
  });
});

describe('no hashing when the answer is already decided', () => {
  it('a successful sign-up hashes once (the counter works)', async () => {
    const s = await server();
    const before = await hashingCounts(s.url);
    expect((await signUpFrom(s, uniqueLoopback())).errors).toBeUndefined();
    expect(hashingSince(before, await hashingCounts(s.url))).toEqual({
      hash: 1,
      verify: 0,
      refused: 0,
    });
  });

  it('an email already taken: CONFLICT, without hashing', async () => {
    const s = await server();
    const email = uniqueEmail('taken');
    expect((await signUpFrom(s, uniqueLoopback(), email)).errors).toBeUndefined();
    const before = await hashingCounts(s.url);
    for (const variant of [email, email.toUpperCase(), ` ${email} `]) {
      expect((await signUpFrom(s, uniqueLoopback(), variant)).errors?.[0]?.extensions?.code).toBe(
        'CONFLICT',
      );
    }
    expect(hashingSince(before, await hashingCounts(s.url)).hash).toBe(0);
  });

  it('bad input: BAD_USER_INPUT, without hashing and without counting against the address', async () => {
    const s = await server({ SIGNUP_MAX_PER_ADDRESS: '1' });
    const address = uniqueLoopback();
    const gql = graphqlClient(s.url, { from: address });
    const before = await hashingCounts(s.url);
    for (const [e, p, n] of [
      ['not an email', PASSWORD, 'Name'],
      [uniqueEmail('short'), 'short', 'Name'],
      [uniqueEmail('long'), 'x'.repeat(300), 'Name'],
      [uniqueEmail('noname'), PASSWORD, '   '],
    ]) {
      expect((await gql(SIGN_UP, { e, p, n })).errors?.[0]?.extensions?.code).toBe(
        'BAD_USER_INPUT',
      );
    }
    expect(hashingSince(before, await hashingCounts(s.url)).hash).toBe(0);
    expect((await signUpFrom(s, address)).errors).toBeUndefined();
  });

  it('sign-up closed: FORBIDDEN, without hashing; signUpAllowed says so to anyone', async () => {
    const closed = await server({ ALLOW_SIGNUP: 'false' });
    const open = await server();
    expect((await closed.gql(`{ signUpAllowed }`)).data).toEqual({ signUpAllowed: false });
    expect((await open.gql(`{ signUpAllowed }`)).data).toEqual({ signUpAllowed: true });
    const before = await hashingCounts(closed.url);
    const email = uniqueEmail('closed');
    const res = await signUpFrom(closed, uniqueLoopback(), email);
    expect(res.errors?.[0]).toMatchObject({
      message: 'Sign-up is disabled on this service',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await users(closed, [email])).toBe(0);
    expect(hashingSince(before, await hashingCounts(closed.url)).hash).toBe(0);
  });
});
