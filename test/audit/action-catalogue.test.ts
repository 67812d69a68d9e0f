import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootstrapAdmin } from '../../src/db/bootstrap';
import { AUDIT_ACTIONS, isAuditAction } from '../../src/modules/audit/audit-actions';
import { archiveChain } from '../../src/modules/audit/chain-archive';
import { MUTATION_ACTIONS } from '../../src/modules/audit/mutation-audit';
import { buildBareSchema } from '../../src/schema';
import { createKey, verify } from '../helpers/api-keys';
import {
  accept,
  bearer,
  createTeam,
  grant,
  invite,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
  type SignedInUser,
} from '../helpers/factories';
import { graphqlClient, typed, type GraphQLAnswer, type TypedString } from '../helpers/graphql';
import { uniqueLoopback } from '../helpers/http';
import { ownDatabase } from '../helpers/own-database';
import { startTestServer, type TestServer } from '../helpers/server';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

/**
 * The catalogue of audit actions (AUDIT_ACTIONS) is the whole truth: a lifecycle that walks the
 * service end to end (start-up, accounts, sessions, a team, its members, invitations, roles,
 * grants, keys and their use, refusals, the platform admin, the security log, export, archive)
 * writes every catalogued action and nothing else. It runs on a database of its own: the run's
 * database holds other files' synthetic actions. And every mutation of the schema has its action.
 */
const own = ownDatabase('actions');
let t: TestServer;

beforeAll(async () => {
  await own.create({ migrated: true });
  // two failed sign-ins lock an account out; two security-log rows a minute, the rest overflows
  t = await startTestServer(
    { LOGIN_MAX_FAILURES: '2', SECURITY_LOG_MAX_ROWS_PER_MINUTE: '2' },
    { databaseUrl: own.url },
  );
});
afterAll(async () => {
  await t?.close();
  await own.drop();
});

async function ok<T = Record<string, unknown>>(sent: Promise<GraphQLAnswer<T>>): Promise<T> {
  const res = await sent;
  if (res.errors || !res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

const as =
  (user: SignedInUser) =>
  <T = Record<string, unknown>>(query: TypedString<T>, variables: Record<string, unknown> = {}) =>
    ok<T>(t.gql(query, variables, user.headers));

async function accountsAndSessions(): Promise<void> {
  const person = await signUp(t, 'sessions');
  const second = await logIn(t, person.email);
  const { mySessions } = await as(person)(
    typed<{ mySessions: { id: string; current: boolean }[] }>(`{ mySessions { id current } }`),
  );
  const other = mySessions.find((s) => !s.current)!;
  await as(person)(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: other.id });
  expect(second.token).not.toBe(person.token);
  await as(person)(`mutation { updateProfile(name: "Renamed") { id } }`);
  await as(person)(
    `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`,
    {
      c: PASSWORD,
      n: `${PASSWORD} again`,
    },
  );
  await as(person)(`mutation { logOut }`);
  const again = await logIn(t, person.email, `${PASSWORD} again`);
  await as(again)(`mutation { logOutEverywhere }`);
  // two wrong passwords from one address: refused, then locked out
  for (let i = 0; i < 2; i++) {
    const res = await t.gql(
      `mutation($e: String!) { logIn(email: $e, password: "not the password") { token } }`,
      { e: again.email },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  }
}

async function teamMembersAndKeys(admin: SignedInUser): Promise<string> {
  const owner = await signUp(t, 'owner');
  const team = await createTeam(t, owner, 'Catalogued');
  const byOwner = as(owner);
  await byOwner(`mutation($id: ID!) { updateTeam(id: $id, name: "Catalogued, renamed") { id } }`, {
    id: team.id,
  });

  const member = await signUp(t, 'member');
  const membershipId = await accept(
    t,
    member,
    await invite(t, owner, team.id, member.email, team.roles.Member),
  );
  const decliner = await signUp(t, 'decliner');
  const declined = await invite(t, owner, team.id, decliner.email, team.roles.Member);
  await as(decliner)(`mutation($id: ID!) { declineInvitation(id: $id) }`, { id: declined });
  const revoked = await invite(t, owner, team.id, uniqueEmail('never'), team.roles.Member);
  await byOwner(`mutation($id: ID!) { revokeInvitation(id: $id) }`, { id: revoked });

  const changeRole = `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id } }`;
  await byOwner(changeRole, { m: membershipId, r: team.roles.Auditor });
  const grantId = await grant(t, owner, membershipId, 'apiKeys:create');
  await byOwner(`mutation($id: ID!) { revokePermissionGrant(id: $id) }`, { id: grantId });
  const { createRole } = await byOwner(
    typed<{ createRole: { id: string } }>(
      `mutation($t: ID!) { createRole(teamId: $t, name: "Reader", permissions: ["team:read"]) { id } }`,
    ),
    {
      t: team.id,
    },
  );
  await byOwner(`mutation($id: ID!) { updateRole(id: $id, name: "Readers") { id } }`, {
    id: createRole.id,
  });
  await byOwner(`mutation($id: ID!) { deleteRole(id: $id) }`, { id: createRole.id });

  const key = await createKey(t, owner, team.id, { scopes: ['orders:read'] });
  await byOwner(`mutation($id: ID!) { updateApiKey(id: $id, input: { name: "renamed" }) { id } }`, {
    id: key.id,
  });
  const { regenerateApiKeySecret } = await byOwner(
    typed<{ regenerateApiKeySecret: { secret: string } }>(
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
    ),
    { id: key.id },
  );
  expect(await verify(t, key.key, regenerateApiKeySecret.secret)).toMatchObject({ valid: true });
  // a refusal is written under the action its success would have had (apiKey.revoked, DENIED)
  const refused = await t.gql(
    `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
    { id: key.id },
    member.headers,
  );
  expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  await byOwner(
    `mutation($id: ID!, $m: ID!) { transferApiKey(id: $id, toMembershipId: $m) { id } }`,
    { id: key.id, m: membershipId },
  );
  await byOwner(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.id });
  // a live key's secret reported by anyone: revoked as leaked (apiKey.leaked)
  const leaked = await createKey(t, owner, team.id, { name: 'leaked' });
  const report = `mutation($s: String!) { reportLeakedSecret(secret: $s, url: "https://x.test") }`;
  expect(await ok(t.gql(report, { s: leaked.secret }))).toEqual({ reportLeakedSecret: true });
  await byOwner(
    `mutation($t: ID!) { setApiKeyPolicy(teamId: $t, input: { requireExpiry: false }) { requireExpiry } }`,
    { t: team.id },
  );
  // a verifyApiCredentials call that fails as a call (bad input), by a signed-in caller
  const badCall = await t.gql(
    `mutation { verifyApiCredentials(key: "empk_x", secret: "emps_x", clientIp: "not an address") { valid } }`,
    {},
    owner.headers,
  );
  expect(badCall.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

  const newcomer = await signUp(t, 'newcomer');
  const { addTeamMember } = await as(admin)(
    typed<{ addTeamMember: { id: string } }>(
      `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
    ),
    { t: team.id, e: newcomer.email, r: team.roles.Member },
  );
  await as(admin)(`query($t: ID!) { team(id: $t) { id name } }`, { t: team.id });
  await as(newcomer)(`mutation($t: ID!) { leaveTeam(teamId: $t) }`, { t: team.id });
  await byOwner(`mutation($m: ID!) { removeTeamMember(membershipId: $m) }`, { m: membershipId });
  expect(addTeamMember.id).toBeTruthy();

  const exported = await fetch(`${t.url}/v1/audit/export?teamId=${team.id}`, {
    headers: owner.headers,
  });
  expect(exported.status).toBe(200);
  await exported.text();
  return team.id;
}

/** Refusals of callers with no stake: credentials refused, an anonymous mutation, and more than a minute's rows. */
async function securityLog(teamId: string): Promise<void> {
  const refusedCredentials = await t.gql(
    `{ viewer { type } }`,
    {},
    bearer(`emst_${'x'.repeat(43)}`),
  );
  expect(refusedCredentials.status).toBe(401);
  const anonymous = await t.gql(`mutation($id: ID!) { updateTeam(id: $id, name: "x") { id } }`, {
    id: teamId,
  });
  expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  for (let i = 0; i < 4; i++)
    await graphqlClient(t.url, { from: uniqueLoopback() })(
      `{ viewer { type } }`,
      {},
      bearer(`emst_${'y'.repeat(43)}`),
    );
  await t.server.services.securityLog.flush(true);
}

/** A team of its own, archived whole (its earlier events leave the table; the archive's own stays). */
async function archiveATeam(): Promise<void> {
  const team = await createTeam(t, await signUp(t, 'archivist'), 'Archived');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'empress-actions-')), 'archive.ndjson');
  expect(await archiveChain(t.dataSource, team.id, new Date(), file)).toMatchObject({
    kind: 'archived',
  });
}

/**
 * A team's webhook endpoint through its life, to a real receiver: added, changed, given a new
 * secret, tested, an event sent again, turned off by the service after days of failures, deleted.
 */
async function webhooks(): Promise<void> {
  const owner = await signUp(t, 'hooks');
  const team = await createTeam(t, owner, 'Hooked');
  const byOwner = as(owner);
  const receiver = await startWebhookReceiver();
  try {
    const { createWebhookEndpoint } = await byOwner(
      typed<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
        `mutation($t: ID!, $u: String!) { createWebhookEndpoint(teamId: $t, url: $u,
          events: ["apiKey.created"]) { endpoint { id } } }`,
      ),
      { t: team.id, u: receiver.url },
    );
    const id = createWebhookEndpoint.endpoint.id;
    await byOwner(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, description: "CRM") { id } }`,
      {
        id,
      },
    );
    await byOwner(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id });
    const { sendTestWebhook } = await byOwner(
      typed<{ sendTestWebhook: { id: string } }>(
        `mutation($id: ID!) { sendTestWebhook(id: $id) { id } }`,
      ),
      { id },
    );
    await byOwner(`mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }`, {
      d: sendTestWebhook.id,
    });
    receiver.answer = () => 500;
    await t.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1`,
      [id],
    );
    await byOwner(`mutation($id: ID!) { sendTestWebhook(id: $id) { id } }`, { id });
    await byOwner(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id });
    // a key expiring soon, then expired: the service's notices
    const expiring = await createKey(t, owner, team.id, {
      expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    expect(await t.server.services.expiryNotices.runOnce()).toBe(1);
    await t.dataSource.query(
      `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [expiring.id],
    );
    expect(await t.server.services.expiryNotices.runOnce()).toBe(1);
  } finally {
    await receiver.close();
  }
}

/**
 * Confirming an address, on a server of the same database that sends email (to a port where
 * nothing listens: the emails wait in the outbox, where the link is read back).
 */
async function confirmingAnAddress(): Promise<void> {
  const mailing = await startTestServer(
    { SMTP_URL: 'smtp://127.0.0.1:9', PUBLIC_URL: 'https://empress.example' },
    { databaseUrl: own.url },
  );
  try {
    const person = await signUp(mailing, 'confirming');
    const [{ link }] = await mailing.dataSource.query<{ link: string }[]>(
      `SELECT link FROM email_outbox WHERE to_address = $1`,
      [person.email],
    );
    const token = new URL(link).searchParams.get('token');
    await ok(mailing.gql(`mutation($t: String!) { verifyEmail(token: $t) }`, { t: token }));
    await mailing.dataSource.query(
      `UPDATE email_verifications SET created_at = now() - interval '2 minutes' WHERE user_id = $1`,
      [person.id],
    );
    await mailing.dataSource.query(`UPDATE users SET email_verified_at = NULL WHERE id = $1`, [
      person.id,
    ]);
    await ok(mailing.gql(`mutation { sendEmailVerification }`, {}, person.headers));
  } finally {
    await mailing.close();
  }
}

describe('the catalogue of audit actions', () => {
  it('a whole lifecycle writes every catalogued action, and none that is not', async () => {
    const adminEmail = uniqueEmail('bootstrap');
    expect(
      await bootstrapAdmin(t.dataSource, { email: adminEmail, password: PASSWORD }),
    ).toMatchObject({ email: adminEmail });
    const admin = await logIn(t, adminEmail);
    await accountsAndSessions();
    const teamId = await teamMembersAndKeys(admin);
    await t.server.services.usage.flush(true);
    await securityLog(teamId);
    await archiveATeam();
    await webhooks();
    await confirmingAnAddress();

    const written: { action: string }[] = await t.dataSource.query(
      `SELECT action FROM audit_events UNION SELECT action FROM security_events`,
    );
    expect(written.map((row) => row.action).sort()).toEqual(Object.keys(AUDIT_ACTIONS).sort());
  });

  it('every mutation of the schema names its action from the catalogue', async () => {
    const mutations = Object.keys((await buildBareSchema()).getMutationType()!.getFields()).sort();
    expect(Object.keys(MUTATION_ACTIONS).sort()).toEqual(mutations);
    for (const described of Object.values(MUTATION_ACTIONS))
      expect(isAuditAction(described.action)).toBe(true);
  });
});
