import {
  AuditEventsDocument,
  RegenerateApiKeySecretDocument,
  RevokeApiKeyDocument,
  type AuditEventFilter,
} from '../clients/generated/graphql';
import { addMember, type SignedInUser, signUp, type TeamFixture } from '../helpers/factories';
import { basic, createKey, verify } from '../helpers/api-keys';
import { VERIFY_CHAIN_QUERY } from '../helpers/audit';
import { codeOf } from '../helpers/graphql';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * A team's audit trail end to end: a key's whole story in the log, the chain verified, the table
 * append-only, the export in NDJSON and CSV, and a key with audit:read reading its team's log.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;

beforeAll(async () => ({ t, owner, team } = await seed().owner('owner').team('Audited')));
afterAll(() => t.close());

async function events(filter: AuditEventFilter = {}, first = 100) {
  const res = await t.gql(AuditEventsDocument, { teamId: team.id, filter, first }, owner.headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.auditEvents.edges.map((e) => e.node);
}

describe('audit trail', () => {
  it('traces a key from creation through use and refusal to revocation', async () => {
    const key = await createKey(t, owner, team.id, { scopes: ['orders:read'] });
    await t.gql(RegenerateApiKeySecretDocument, { id: key.id }, owner.headers);
    await verify(t, key.key, key.secret); // the old secret: refused
    // the use is counted in its minute's row, written once the minute is over: here at once
    await t.server.services.usage.flush(true);
    const member = await signUp(t, 'member');
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    const refused = await t.gql(RevokeApiKeyDocument, { id: key.id }, member.headers);
    expect(codeOf(refused)).toBe('FORBIDDEN');
    await t.gql(RevokeApiKeyDocument, { id: key.id }, owner.headers);
    await t.server.services.usage.flush(true); // nothing more to come

    const trail = (await events({ apiKeyId: key.id })).reverse();
    expect(trail.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'apiKey.created:SUCCESS',
      'apiKey.secretRegenerated:SUCCESS',
      'apiKey.used:DENIED',
      'apiKey.revoked:DENIED',
      'apiKey.revoked:SUCCESS',
    ]);
    expect(trail[0].actor).toEqual({
      type: 'USER',
      userId: owner.id,
      apiKeyId: null,
      label: owner.email,
    });
    expect(trail[3].actor.userId).toBe(member.id);
    expect(trail[2].actor).toMatchObject({ type: 'API_KEY', apiKeyId: key.id, label: key.key });
    // a wrong secret: counted, and no new address for the key
    expect(trail[2].metadata).toMatchObject({
      count: 1,
      uses: [{ address: '127.0.0.1', code: 'INVALID', via: 'verifyApiCredentials', count: 1 }],
    });
    expect(JSON.stringify(trail)).not.toContain(key.secret);
  });

  it('verifies the chain', async () => {
    const res = await t.gql(VERIFY_CHAIN_QUERY, { t: team.id }, owner.headers);
    expect(res.data!.verifyAuditChain).toMatchObject({ valid: true, reason: null });
    expect(res.data!.verifyAuditChain.checkedEvents).toBeGreaterThan(3);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit_events', async () => {
    await expect(
      t.dataSource.query(`UPDATE audit_events SET action = 'x' WHERE team_id = $1`, [team.id]),
    ).rejects.toThrow(/append-only/);
    await expect(
      t.dataSource.query(`DELETE FROM audit_events WHERE team_id = $1`, [team.id]),
    ).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
  });

  it('exports the log as NDJSON and CSV', async () => {
    const nd = await fetch(`${t.url}/v1/audit/export?teamId=${team.id}&format=ndjson`, {
      headers: owner.headers,
    });
    expect(nd.status).toBe(200);
    const rows = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows[0].action).toBe('team.created');
    const csv = await fetch(
      `${t.url}/v1/audit/export?teamId=${team.id}&format=csv&actions=apiKey.created`,
      { headers: owner.headers },
    );
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,occurredAt,teamId,action/);
    expect(lines.slice(1).every((l) => l.includes('apiKey.created'))).toBe(true);
    const stranger = await signUp(t, 'stranger');
    expect(
      (await fetch(`${t.url}/v1/audit/export?teamId=${team.id}`, { headers: stranger.headers }))
        .status,
    ).toBe(404);
  });

  it('lets a key with audit:read pull its team log', async () => {
    const key = await createKey(t, owner, team.id, { scopes: ['audit:read'] });
    const res = await t.gql(
      AuditEventsDocument,
      { teamId: team.id, first: 2 },
      basic(key.key, key.secret),
    );
    expect(res.data!.auditEvents.edges).toHaveLength(2);
  });
});
