import type { Pool } from 'pg';
import { createKey, verify } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { eventually } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * The hot reads are prepared statements, parsed and planned once per connection: a key verified
 * for the first time since start, the session behind a bearer token, a page of keys and the rows
 * its fields load by id. A table changed by a migration while the server runs doesn't break them.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;

beforeAll(async () => {
  ({ t, owner, team } = await seed().owner('prep-owner').team('Prepared'));
}, 60_000);
afterAll(() => t.close());

const pool = () => (t.dataSource.driver as unknown as { master: Pool }).master;

/**
 * The statements prepared on every connection of the server's pool, once all are idle (the
 * server's background work borrows one now and then).
 */
async function preparedStatements(): Promise<string[]> {
  await eventually(async () => pool().idleCount === pool().totalCount, 5_000, 20);
  const clients = await Promise.all(
    Array.from({ length: pool().idleCount }, () => pool().connect()),
  );
  try {
    const found = await Promise.all(
      clients.map((c) =>
        c.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements'),
      ),
    );
    return found.flatMap((r) => r.rows.map((row) => row.statement.replace(/\s+/g, ' ')));
  } finally {
    for (const c of clients) c.release();
  }
}

const KEYS = `query($teamId: ID!) { apiKeys(teamId: $teamId, first: 5) {
  edges { node { id owner { id name } createdBy { id name } effectiveScopes viewerCanRevoke } } } }`;

it('prepares the cold key read, the session lookup, the page of keys and the reads by id', async () => {
  const made = await createKey(t, owner, team.id, { scopes: ['orders:read'] });
  expect((await verify(t, made.key, made.secret)).valid).toBe(true);
  const page = await t.gql(KEYS, { teamId: team.id }, owner.headers);
  expect(page.errors).toBeUndefined();
  const statements = await preparedStatements();
  const prepared = (fragment: string) => statements.some((s) => s.includes(fragment));
  expect({
    coldKey: prepared('WHERE k.key = $1'),
    session: prepared('FROM sessions s JOIN users u'),
    page: prepared('LEFT JOIN LATERAL'),
    usersById: prepared('FROM users WHERE id = ANY($1::uuid[])'),
  }).toEqual({ coldKey: true, session: true, page: true, usersById: true });
});

it('keeps answering when a migration changes a table under a prepared statement', async () => {
  const first = await t.gql(KEYS, { teamId: team.id }, owner.headers);
  expect(first.errors).toBeUndefined();
  await t.dataSource.query('ALTER TABLE users ADD COLUMN prepared_probe int');
  try {
    const again = await t.gql(KEYS, { teamId: team.id }, owner.headers);
    expect(again.errors).toBeUndefined();
    expect(again.data).toEqual(first.data);
  } finally {
    await t.dataSource.query('ALTER TABLE users DROP COLUMN prepared_probe');
  }
});
