import { createKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { graphqlClient } from '../helpers/graphql';
import { uniqueLoopback, verifyWith } from '../helpers/http';
import { selectRows } from '../helpers/db-dump';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * 50 regenerations of one key at the same time, over HTTP: each succeeds with its own version
 * (2..51, no duplicates, no gaps), and afterwards exactly one of the 50 secrets works: the one
 * with the highest version, i.e. the last one committed.
 */
const N = 50;
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;

beforeAll(
  async () =>
    ({ t, owner, team } = await seed().owner('regen-owner').team('Concurrent regeneration')),
);
afterAll(() => t.close());

it(`${N} concurrent regenerations: versions 2..${N + 1} once each, and only the last secret verifies`, async () => {
  const k = await createKey(t, owner, team.id, { scopes: ['orders:read'] });
  // the 49 refusals below count as failures of the caller: give this test its own address
  const gql = graphqlClient(t.url, { from: uniqueLoopback() });
  expect((await verifyWith(gql, k.key, k.secret)).code).toBe('VALID'); // the key is in the verification cache

  const answers = await Promise.all(
    Array.from({ length: N }, () =>
      t.gql(
        `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret apiKey { id secretVersion secretLast4 } } }`,
        { id: k.id },
        owner.headers,
      ),
    ),
  );
  for (const res of answers) {
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
  }
  const results = answers.map(
    (r) =>
      r.data!.regenerateApiKeySecret as {
        secret: string;
        apiKey: { id: string; secretVersion: number; secretLast4: string };
      },
  );
  for (const r of results) {
    expect(r.apiKey.id).toBe(k.id);
    expect(r.secret).toMatch(/^emps_[0-9A-Za-z]{49}$/);
    expect(r.apiKey.secretLast4).toBe(r.secret.slice(-4));
  }
  const versions = results.map((r) => r.apiKey.secretVersion).sort((a, b) => a - b);
  expect(versions).toEqual(Array.from({ length: N }, (_, i) => i + 2));
  expect(new Set(results.map((r) => r.secret)).size).toBe(N);

  const verdicts = await Promise.all(results.map((r) => verifyWith(gql, k.key, r.secret)));
  const valid = results.filter((_, i) => verdicts[i].code === 'VALID');
  const invalid = verdicts.filter((v) => v.code === 'INVALID');
  expect(valid).toHaveLength(1);
  expect(invalid).toHaveLength(N - 1);
  expect(valid[0].apiKey.secretVersion).toBe(N + 1);
  // and the original secret is dead too
  expect((await verifyWith(gql, k.key, k.secret)).code).toBe('INVALID');

  // the key as read says the same: version N + 1 with the winner's last four characters
  const read = await t.gql(
    `query($id: ID!) { apiKey(id: $id) { secretVersion secretLast4 status } }`,
    { id: k.id },
    owner.headers,
  );
  expect(read.data!.apiKey).toEqual({
    secretVersion: N + 1,
    secretLast4: valid[0].secret.slice(-4),
    status: 'ACTIVE',
  });

  // one audit row per regeneration, each with its own version
  const audited = await selectRows<{ version: number }>(
    `SELECT (metadata->>'secretVersion')::int AS version FROM audit_events
      WHERE action = 'apiKey.secretRegenerated' AND target_id = $1 ORDER BY version`,
    [k.id],
  );
  expect(audited.map((r) => r.version)).toEqual(Array.from({ length: N }, (_, i) => i + 2));
});

it('a change returns as soon as every instance was told, not after the notification wait times out', async () => {
  // The mutation waits for its own LISTEN connection to hear the change (2 s at most). A
  // notification that arrives before the wait is registered must still count: otherwise about
  // every other change would stall for the whole 2 s.
  const k = await createKey(t, owner, team.id);
  const took: number[] = [];
  for (let i = 0; i < 8; i++) {
    const started = Date.now();
    const res = await t.gql(
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { apiKey { secretVersion } } }`,
      { id: k.id },
      owner.headers,
    );
    expect(res.errors).toBeUndefined();
    took.push(Date.now() - started);
  }
  for (const mutation of [
    `mutation($id: ID!) { updateApiKey(id: $id, input: { name: "renamed" }) { id } }`,
    `mutation($id: ID!) { updateApiKey(id: $id, input: { scopes: ["orders:write"] }) { id } }`,
    `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
  ]) {
    const started = Date.now();
    const res = await t.gql(mutation, { id: k.id }, owner.headers);
    expect(res.errors).toBeUndefined();
    took.push(Date.now() - started);
  }
  expect(Math.max(...took)).toBeLessThan(1_500);
});
