import { createKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

/**
 * Lists cost a fixed number of SQL statements, whatever their size: a page of API keys with every
 * field the API Access page shows (owners, creators, the team, what each key can do, what the
 * caller may do with it), a team's members with their roles and grants, and a page of the audit
 * log each take at most 3 statements once the caller is authenticated (transaction control not
 * counted), for 5 items as for 50. No N+1: adding rows adds no statements.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let admin: SignedInUser;
let admin2: SignedInUser;

beforeAll(async () => {
  ({ t, owner, team, admin, admin2 } = await seed()
    .owner('stmt-owner')
    .team('Statements')
    .member('admin', 'Admin', { prefix: 'stmt-admin' })
    .member('admin2', 'Admin', { prefix: 'stmt-admin2', grants: ['team:manage'] }));
  // keys owned by three people, so that owners' permissions are three different lookups
  const makers = [owner, admin, admin2];
  for (let i = 0; i < 60; i++) {
    const by = makers[i % makers.length];
    await createKey(t, by, team.id, { name: `k${i}`, scopes: ['apiKeys:read', 'orders:read'] });
  }
  // nothing on the server's timers (purges, webhook deliveries, expiry notices, email) may write
  // while a request's statements are counted
  await t.server.services.stopTimedWork();
}, 120_000);
afterAll(() => t.close());

const KEYS = `query($teamId: ID!, $first: Int) { apiKeys(teamId: $teamId, first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id key name description status scopes effectiveScopes secretLast4 allowedIps expiresAt createdAt
    lastUsedAt lastUsedIp revokedAt secretRegeneratedAt secretVersion
    owner { id name email } createdBy { id name email } team { id name }
    viewerCanUpdate viewerCanRegenerate viewerCanRevoke } } } }`;

const MEMBERS = `query($id: ID!) { team(id: $id) { id name viewerPermissions
  members { id createdAt user { id name email } role { id name permissions } grants { id permission } } } }`;

const AUDIT = `query($teamId: ID!, $first: Int) { auditEvents(teamId: $teamId, first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { node { id occurredAt action outcome actor { type label userId apiKeyId } targetType targetId ip userAgent requestId teamId metadata } } } }`;

/** Statements of one request, less those of authenticating its caller (a session's two). */
async function statementsAfterAuthentication(document: string, variables: object) {
  const auth = await statementsDuring(t.dataSource, () =>
    t.gql('{ me { id } }', {}, owner.headers),
  );
  const run = await statementsDuring(t.dataSource, () =>
    t.gql(document, variables as Record<string, unknown>, owner.headers),
  );
  expect(run.result.errors).toBeUndefined();
  return run.statements.slice(auth.statements.length);
}

/** At most 3 statements; when there are more, the failure lists them all. */
function expectAtMostThree(statements: string[]): void {
  expect(statements.length <= 3 ? [] : statements).toEqual([]);
}

describe('statements per list request, after authentication', () => {
  test.each([5, 50])('a page of %i API keys with every field: at most 3', async (first) => {
    const statements = await statementsAfterAuthentication(KEYS, { teamId: team.id, first });
    expectAtMostThree(statements);
  });

  it("a team's members with their users, roles and grants: at most 3", async () => {
    const statements = await statementsAfterAuthentication(MEMBERS, { id: team.id });
    expectAtMostThree(statements);
  });

  test.each([5, 50])('a page of %i audit events: at most 3', async (first) => {
    const statements = await statementsAfterAuthentication(AUDIT, { teamId: team.id, first });
    expectAtMostThree(statements);
  });
});
