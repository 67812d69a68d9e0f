import { hashEvent } from '../../src/modules/audit/audit-hash';
import {
  chainOf,
  runAuditVerify,
  VERIFY_CHAIN_QUERY,
  withTriggersOff,
  type AuditDbRow,
  type ChainVerification,
} from '../helpers/audit';
import { basic, createKey } from '../helpers/api-keys';
import { createTeam, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Tamper evidence. As superuser with triggers switched off (session_replication_role =
 * replica: what someone with full control of the database could do), rows of a team's chain are
 * edited, deleted, reordered and cut off the end. verifyAuditChain and `npm run audit:verify`
 * must both name the first broken event. And concurrent writers must never fork a chain.
 */
let t: TestServer;
let owner: SignedInUser;

beforeAll(async () => ({ t, owner } = await seed().owner('tamper-owner')));
afterAll(() => t.close());

type Report = ChainVerification;

async function verifyChain(teamId: string, headers = owner.headers): Promise<Report> {
  const res = await t.gql(VERIFY_CHAIN_QUERY, { t: teamId }, headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.verifyAuditChain;
}

/** A fresh team with a chain of 6 events: team.created and five role.created. */
async function teamWithSixEvents(name: string): Promise<{ team: TeamFixture; rows: AuditDbRow[] }> {
  const team = await createTeam(t, owner, name);
  for (let i = 1; i <= 5; i++) {
    const res = await t.gql(
      `mutation($t: ID!, $n: String!) { createRole(teamId: $t, name: $n, permissions: ["team:read"]) { id } }`,
      { t: team.id, n: `${name} role ${i}` },
      owner.headers,
    );
    expect(res.errors).toBeUndefined();
  }
  const rows = await chainOf(t, team.id);
  expect(rows.map((r) => r.chain_seq)).toEqual(['1', '2', '3', '4', '5', '6']);
  expect(await verifyChain(team.id)).toMatchObject({ valid: true, checkedEvents: 6 });
  return { team, rows };
}

describe('tampering is detected and located', () => {
  const cases: { name: string; teamId: string; expected: Report; cli: RegExp }[] = [];

  it('(a) one row edited: that row is the first broken', async () => {
    const { team, rows } = await teamWithSixEvents('Tamper edit');
    const victim = rows[2];
    await withTriggersOff(t, (m) =>
      m.query(
        `UPDATE audit_events SET metadata = jsonb_set(metadata, '{name}', '"innocent"') WHERE id = $1`,
        [victim.id],
      ),
    );
    const expected = {
      valid: false,
      checkedEvents: 3,
      firstBrokenEventId: victim.id,
      firstBrokenPosition: '3',
      reason: 'its content does not match its hash (edited)',
    };
    expect(await verifyChain(team.id)).toEqual(expected);
    cases.push({
      name: 'edit',
      teamId: team.id,
      expected,
      cli: new RegExp(
        `^BROKEN  ${team.id}: at position 3 \\(event ${victim.id}\\): its content does not match its hash`,
        'm',
      ),
    });
  });

  it('(a2) one row edited and its own hash recomputed: the next row no longer links to it', async () => {
    const { team, rows } = await teamWithSixEvents('Tamper rehash');
    const victim = rows[2];
    const metadata = { ...victim.metadata, name: 'innocent' };
    const forged = hashEvent({
      id: victim.id,
      teamId: victim.team_id,
      chainSeq: victim.chain_seq,
      occurredAt: new Date(victim.occurred_at),
      action: victim.action,
      outcome: victim.outcome,
      actorType: victim.actor_type,
      actorUserId: victim.actor_user_id,
      actorApiKeyId: victim.actor_api_key_id,
      actorLabel: victim.actor_label,
      targetType: victim.target_type,
      targetId: victim.target_id,
      ip: victim.ip,
      userAgent: victim.user_agent,
      requestId: victim.request_id,
      apiKeyId: victim.api_key_id,
      metadata,
      prevHash: victim.prev_hash,
    });
    await withTriggersOff(t, (m) =>
      m.query(`UPDATE audit_events SET metadata = $2, hash = $3 WHERE id = $1`, [
        victim.id,
        JSON.stringify(metadata),
        forged,
      ]),
    );
    expect(await verifyChain(team.id)).toEqual({
      valid: false,
      checkedEvents: 4,
      firstBrokenEventId: rows[3].id,
      firstBrokenPosition: '4',
      reason: 'does not link to the event before it (removed, inserted or reordered)',
    });
  });

  it('(b) a middle row deleted: the row after it is the first broken', async () => {
    const { team, rows } = await teamWithSixEvents('Tamper delete');
    await withTriggersOff(t, (m) =>
      m.query(`DELETE FROM audit_events WHERE id = $1`, [rows[2].id]),
    );
    const expected = {
      valid: false,
      checkedEvents: 3,
      firstBrokenEventId: rows[3].id,
      firstBrokenPosition: '4',
      reason: 'an event is missing before this one',
    };
    expect(await verifyChain(team.id)).toEqual(expected);
    cases.push({
      name: 'delete',
      teamId: team.id,
      expected,
      cli: new RegExp(
        `^BROKEN  ${team.id}: at position 4 \\(event ${rows[3].id}\\): an event is missing before this one`,
        'm',
      ),
    });
  });

  it('(c) two rows swapped (chain_seq exchanged): the first position of the two is broken', async () => {
    const { team, rows } = await teamWithSixEvents('Tamper swap');
    const [second, fourth] = [rows[1], rows[3]];
    await withTriggersOff(t, async (m) => {
      await m.query(`UPDATE audit_events SET chain_seq = -1 WHERE id = $1`, [second.id]);
      await m.query(`UPDATE audit_events SET chain_seq = 2 WHERE id = $1`, [fourth.id]);
      await m.query(`UPDATE audit_events SET chain_seq = 4 WHERE id = $1`, [second.id]);
    });
    // position 2 now holds the event that was 4th
    const expected = {
      valid: false,
      checkedEvents: 2,
      firstBrokenEventId: fourth.id,
      firstBrokenPosition: '2',
      reason: 'does not link to the event before it (removed, inserted or reordered)',
    };
    expect(await verifyChain(team.id)).toEqual(expected);
    cases.push({
      name: 'swap',
      teamId: team.id,
      expected,
      cli: new RegExp(
        `^BROKEN  ${team.id}: at position 2 \\(event ${fourth.id}\\): does not link`,
        'm',
      ),
    });
  });

  it('(d) the last row deleted: reported as missing at the end', async () => {
    const { team, rows } = await teamWithSixEvents('Tamper tail');
    await withTriggersOff(t, (m) =>
      m.query(`DELETE FROM audit_events WHERE id = $1`, [rows[5].id]),
    );
    const expected = {
      valid: false,
      checkedEvents: 5,
      firstBrokenEventId: null,
      firstBrokenPosition: '6',
      reason: 'events are missing at the end of the chain',
    };
    expect(await verifyChain(team.id)).toEqual(expected);
    cases.push({
      name: 'tail',
      teamId: team.id,
      expected,
      cli: new RegExp(
        `^BROKEN  ${team.id}: at position 6: events are missing at the end of the chain`,
        'm',
      ),
    });
  });

  it('`npm run audit:verify` reports the same breaks and exits 1; 0 for an intact chain', async () => {
    expect(cases.map((c) => c.name)).toEqual(['edit', 'delete', 'swap', 'tail']);
    const intact = await teamWithSixEvents('Intact');
    const broken = await runAuditVerify([...cases.map((c) => c.teamId), intact.team.id]);
    expect(broken.code).toBe(1);
    for (const c of cases) expect(broken.stdout).toMatch(c.cli);
    expect(broken.stdout).toMatch(new RegExp(`^ok      ${intact.team.id}: 6 events$`, 'm'));
    expect(broken.stdout).toMatch(/^4 of 5 chains broken$/m);

    const ok = await runAuditVerify([intact.team.id]);
    expect({ code: ok.code, stdout: ok.stdout }).toEqual({
      code: 0,
      stdout: `ok      ${intact.team.id}: 6 events\nall 1 chains intact\n`,
    });
  }, 120_000);
});

describe('concurrent writers never fork a chain', () => {
  it('40 parallel mutations on one team (plus batched key uses, plus verifications while they run)', async () => {
    const team = await createTeam(t, owner, 'Concurrent');
    const keys = [
      await createKey(t, owner, team.id, { name: 'regen-a' }),
      await createKey(t, owner, team.id, { name: 'regen-b' }),
    ];
    const reader = await createKey(t, owner, team.id, { name: 'reader', scopes: ['audit:read'] });

    const mutations = Array.from({ length: 40 }, (_, i) =>
      i % 4 === 3
        ? t.gql(
            `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { apiKey { secretVersion } } }`,
            { id: keys[i % 2].id },
            owner.headers,
          )
        : t.gql(
            `mutation($t: ID!, $n: String!) { createRole(teamId: $t, name: $n, permissions: []) { id } }`,
            { t: team.id, n: `parallel role ${i}` },
            owner.headers,
          ),
    );
    // Verifications while the chain grows, by the owner and by a key (whose uses the usage
    // recorder appends, a third kind of writer: here made to write its counts so far, now and
    // then, rather than when the minute is over): a live chain is never "broken".
    const during: Promise<Report>[] = [];
    const usageWrites: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      during.push(verifyChain(team.id, i % 2 ? owner.headers : basic(reader.key, reader.secret)));
      if (i % 4 === 2) usageWrites.push(t.server.services.usage.flush(true));
      await new Promise((r) => setTimeout(r, 15));
    }
    const results = await Promise.all(mutations);
    expect(results.filter((r) => r.errors)).toEqual([]);
    const reports = await Promise.all(during);
    expect(reports.filter((r) => !r.valid)).toEqual([]);
    await Promise.all(usageWrites);
    await t.server.services.usage.flush(true);

    const rows = await chainOf(t, team.id);
    const usage = ['apiKey.used', 'apiKey.usedFromNewAddress'];
    // 1 team.created + 3 apiKey.created + 40 changes + the reader key's usage
    expect(rows.filter((r) => !usage.includes(r.action))).toHaveLength(44);
    // its 6 uses, counted in rows of the minutes (split by the writes above), and its first address
    const used = rows.filter((r) => r.action === 'apiKey.used');
    expect(used.length).toBeGreaterThanOrEqual(1);
    expect(used.reduce((n, r) => n + (r.metadata as { count: number }).count, 0)).toBe(6);
    expect(rows.filter((r) => r.action === 'apiKey.usedFromNewAddress')).toHaveLength(1);
    expect(rows.map((r) => Number(r.chain_seq))).toEqual(rows.map((_, i) => i + 1));
    rows.forEach((row, i) => expect(row.prev_hash).toBe(i === 0 ? null : rows[i - 1].hash));
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
    const [head] = await t.dataSource.query(
      `SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain_key = $1`,
      [team.id],
    );
    expect(head).toEqual({ last_seq: String(rows.length), last_hash: rows.at(-1)!.hash });
    expect(await verifyChain(team.id)).toEqual({
      valid: true,
      checkedEvents: rows.length,
      firstBrokenEventId: null,
      firstBrokenPosition: null,
      reason: null,
    });
  });
});
