import { createHash } from 'node:crypto';
import { RegenerateApiKeySecretDocument } from '../clients/generated/graphql';
import { dumpAllTables, selectRows } from '../helpers/db-dump';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import {
  createTeam,
  logIn,
  PASSWORD,
  type SignedInUser,
  type TeamFixture,
} from '../helpers/factories';
import type { Gql } from '../helpers/graphql';
import { unissuedSecret, verifyWith, withBadChecksum } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Secrets at rest: after keys were created, regenerated, used, presented wrongly and people
 * signed up, signed in and mistyped passwords, no table of the database holds any secret, any
 * session token or any password in clear: not in api_keys, not in audit metadata, nowhere.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;

/** every secret ever issued or presented during this test, with a label for the failure message */
const secrets: { label: string; value: string }[] = [];
const tokens: { label: string; value: string }[] = [];
const keys: CreatedKey[] = [];

beforeAll(async () => {
  let gql: Gql;
  ({ t, gql, owner } = await seed().ownAddress().owner('at-rest-owner'));
  tokens.push({ label: 'signUp token', value: owner.token });
  const again = await logIn(t, owner.email);
  tokens.push({ label: 'logIn token', value: again.token });
  // a mistyped password and an unknown account: both audited as failed sign-ins
  const typo = `${PASSWORD} typo ${Date.now()}`;
  await t.gql(`mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`, {
    e: owner.email,
    p: typo,
  });
  await t.gql(`mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`, {
    e: 'nobody@example.com',
    p: typo,
  });
  tokens.push({ label: 'mistyped password', value: typo }, { label: 'password', value: PASSWORD });

  team = await createTeam(t, owner, 'Secrets at rest');
  for (let i = 0; i < 4; i++) {
    const k = await createKey(t, owner, team.id, {
      name: `at-rest-${i}`,
      scopes: ['team:read', 'orders:read'],
    });
    keys.push(k);
    secrets.push({ label: `key ${i} secret v1`, value: k.secret });
  }
  // regenerate two of them, one twice
  for (const [index, times] of [
    [0, 1],
    [1, 2],
  ] as const) {
    for (let n = 0; n < times; n++) {
      const res = await t.gql(
        RegenerateApiKeySecretDocument,
        { id: keys[index].id },
        owner.headers,
      );
      const fresh = res.data!.regenerateApiKeySecret;
      secrets.push({
        label: `key ${index} secret v${fresh.apiKey.secretVersion}`,
        value: fresh.secret,
      });
      keys[index].secret = fresh.secret;
    }
  }
  // use them: Basic, X-Api-Key/X-Api-Secret, verifyApiCredentials; and present wrong secrets
  for (const k of keys) {
    expect((await gql(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(200);
    expect(
      (await gql(`{ viewer { type } }`, {}, { 'x-api-key': k.key, 'x-api-secret': k.secret }))
        .status,
    ).toBe(200);
    expect((await verifyWith(gql, k.key, k.secret, { clientIp: '198.51.100.7' })).code).toBe(
      'VALID',
    );
    tokens.push({
      label: `Basic header of ${k.key}`,
      value: Buffer.from(`${k.key}:${k.secret}`).toString('base64'),
    });
  }
  const wrong = unissuedSecret();
  secrets.push({ label: 'a wrong (unissued) secret presented', value: wrong });
  expect((await verifyWith(gql, keys[2].key, wrong)).code).toBe('INVALID');
  expect((await gql(`{ viewer { type } }`, {}, basic(keys[3].key, wrong))).status).toBe(401);
  const badChecksum = withBadChecksum(keys[3].secret);
  expect((await verifyWith(gql, keys[3].key, badChecksum)).code).toBe('INVALID');
  // revoke one: its last secret must not surface in the revocation's audit row either
  await t.gql(
    `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
    { id: keys[2].id },
    owner.headers,
  );
  // a session-authenticated request, and a sign-out (token in the request, never in a row)
  await t.gql(`mutation { logOut }`, {}, again.headers);

  // the usage trace is batched: write what is queued before looking
  await t.server.services.usage.flush(true);
});
afterAll(() => t.close());

/** The full secret and its 43-character random body (what sits between emps_ and the checksum). */
function needles(): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  for (const s of secrets) {
    expect(s.value).toMatch(/^emps_[0-9A-Za-z]{49}$/);
    out.push(
      { label: s.label, value: s.value },
      { label: `${s.label} (random body)`, value: s.value.slice(5, 48) },
    );
  }
  for (const tk of tokens) out.push(tk);
  return out;
}

describe('secrets at rest', () => {
  it('no table of the database holds any secret, session token or password in clear', async () => {
    const dumps = await dumpAllTables();
    const tables = dumps.map((d) => d.table);
    // the dump really covers the data: the tables are there and hold this test's rows
    expect(tables).toEqual(
      expect.arrayContaining(['users', 'sessions', 'teams', 'api_keys', 'audit_events']),
    );
    const everything = dumps.map((d) => d.text).join('\n');
    for (const k of keys) expect(everything).toContain(k.key);
    expect(everything).toContain(owner.email);
    // bytea rendering works: the stored digest of each current secret is found as hex
    for (const k of keys)
      expect(everything).toContain(createHash('sha256').update(k.secret).digest('hex'));

    const leaks: string[] = [];
    for (const dump of dumps) {
      for (const needle of needles()) {
        if (dump.text.includes(needle.value))
          leaks.push(`${needle.label} found in table ${dump.table}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('audit rows of every kind this test caused hold no secret and no session token', async () => {
    const rows = await selectRows(
      `SELECT * FROM audit_events WHERE team_id = $1 OR actor_user_id = $2 OR actor_label = ANY($3) OR actor_label = 'nobody@example.com'`,
      [team.id, owner.id, keys.map((k) => k.key)],
    );
    const actions = new Set(rows.map((r) => r.action));
    for (const action of [
      'apiKey.created',
      'apiKey.secretRegenerated',
      'apiKey.revoked',
      'apiKey.used',
      'apiKey.usedFromNewAddress',
    ])
      expect(actions).toContain(action);
    // uses with the right secret and with a wrong one are both traced: counted in the minute
    // rows of each key (a bad checksum is turned away before any key is looked up)
    const used = rows.filter((r) => r.action === 'apiKey.used');
    expect(used.some((r) => r.outcome === 'SUCCESS')).toBe(true);
    expect(used.some((r) => r.outcome === 'DENIED')).toBe(true);
    const counted = (code: string) =>
      used
        .flatMap((r) => (r.metadata as { uses: { code: string; count: number }[] }).uses)
        .filter((u) => u.code === code)
        .reduce((n, u) => n + u.count, 0);
    expect(counted('VALID')).toBe(keys.length * 3);
    expect(counted('INVALID')).toBe(2);
    // created, regenerated, revoked; per key a minute of uses and its first address
    expect(rows.length).toBeGreaterThanOrEqual(4 + 3 + 1 + keys.length * 2);

    const text = rows.map((r) => JSON.stringify(r)).join('\n');
    const found = needles()
      .filter((n) => text.includes(n.value))
      .map((n) => n.label);
    expect(found).toEqual([]);
    // what stands in for the secret is only its last four characters
    const created = rows.filter((r) => r.action === 'apiKey.created');
    for (const row of created)
      expect(
        Object.keys(row.metadata ?? {}).filter((k) => /secret$|token|password/i.test(k)),
      ).toEqual([]);
  });
});
