import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { hashEvent } from '../../src/modules/audit/audit-hash';
import {
  appendSyntheticEvents,
  chainOf,
  runAuditCommand,
  runAuditVerify,
  withTriggersOff,
} from '../helpers/audit';
import { createTeam, type SignedInUser } from '../helpers/factories';
import { seed } from '../helpers/seed';
import { testDatabaseUrl, type TestServer } from '../helpers/server';

/**
 * The team chains are kept unless an operator archives them: `npm run audit:archive -- <teamId>
 * --before <time> --out <file>` writes the events before that time to an NDJSON file, records the
 * archived head (position, hash, the file's SHA-256) and deletes those rows, as the tables' owner
 * and only in its own transaction. Every later check starts from the recorded head, so tampering
 * with what remains is still found, and the file proves what was removed.
 */
let t: TestServer;
let owner: SignedInUser;
const dir = mkdtempSync(path.join(tmpdir(), 'empress-archive-'));

beforeAll(async () => ({ t, owner } = await seed().owner('archive-owner')));
afterAll(() => t.close());

interface ArchivedTeam {
  teamId: string;
  /** the first `cut` events are archived: team.created and synthetic events 0..cut-2 */
  cut: number;
  file: string;
  /** the rows before archiving */
  before: Awaited<ReturnType<typeof chainOf>>;
}

/** A team with team.created and 10 synthetic events, 1 ms apart, starting just after it (before any archive can run). */
async function teamWithEvents(name: string): Promise<{ teamId: string; base: number }> {
  const team = await createTeam(t, owner, name);
  const base = Date.now() + 50;
  await appendSyntheticEvents(t, team.id, 10, (i) => ({ occurredAt: new Date(base + i) }));
  return { teamId: team.id, base };
}

const archiveFile = (name: string) =>
  path.join(dir, `${name}-${randomBytes(3).toString('hex')}.ndjson`);

const archive = (
  teamId: string,
  before: Date | string,
  file: string,
  env: Record<string, string | undefined> = {},
) =>
  runAuditCommand(
    'audit:archive',
    [teamId, '--before', typeof before === 'string' ? before : before.toISOString(), '--out', file],
    60_000,
    env,
  );

/** Archives team.created and synthetic events 0..4: positions 1 to 6. */
async function archivedTeam(name: string): Promise<ArchivedTeam> {
  const { teamId, base } = await teamWithEvents(name);
  const before = await chainOf(t, teamId);
  const file = archiveFile(name);
  const run = await archive(teamId, new Date(base + 5), file);
  expect(run).toMatchObject({ code: 0 });
  expect(run.stdout).toContain(
    `archived 6 events of ${teamId} through position 6 (hash ${before[5].hash})`,
  );
  return { teamId, cut: 6, file, before };
}

async function verify(teamId: string) {
  const res = await t.gql(
    `query($t: ID!) { verifyAuditChain(teamId: $t) { valid checkedEvents firstBrokenEventId firstBrokenPosition reason archivedThroughPosition } }`,
    { t: teamId },
    owner.headers,
  );
  expect(res.errors).toBeUndefined();
  return res.data!.verifyAuditChain;
}

describe('archiving a chain', () => {
  let archived: ArchivedTeam;
  beforeAll(async () => {
    archived = await archivedTeam('Archived');
  }, 60_000);

  it('deletes the archived rows, records the archived head, and leaves an audit.archived event in the chain', async () => {
    const { teamId, before, file } = archived;
    const rows = await chainOf(t, teamId);
    expect(rows.map((r) => r.chain_seq)).toEqual(['7', '8', '9', '10', '11', '12']);
    expect(rows.slice(0, 5).map((r) => r.id)).toEqual(before.slice(6).map((r) => r.id));
    expect(rows[0].prev_hash).toBe(before[5].hash);
    expect(rows[5]).toMatchObject({
      action: 'audit.archived',
      actor_type: 'SYSTEM',
      outcome: 'SUCCESS',
    });
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(rows[5].metadata).toEqual({ archivedThroughPosition: '6', events: 6, fileSha256: sha });
    const [head] = await t.dataSource.query(
      `SELECT * FROM audit_chain_archives WHERE chain_key = $1`,
      [teamId],
    );
    expect(head).toMatchObject({
      archived_seq: '6',
      archived_hash: before[5].hash,
      event_count: '6',
      file_sha256: sha,
      file_name: path.basename(file),
    });
    expect(head.archived_occurred_at).toEqual(before[5].occurred_at);
  });

  it('then verifyAuditChain and audit:verify start from the archived head: valid', async () => {
    const { teamId } = archived;
    expect(await verify(teamId)).toEqual({
      valid: true,
      checkedEvents: 6,
      firstBrokenEventId: null,
      firstBrokenPosition: null,
      reason: null,
      archivedThroughPosition: '6',
    });
    const cli = await runAuditVerify([teamId]);
    const stdout = `ok      ${teamId}: 6 events after archived position 6\nall 1 chains intact\n`;
    expect({ code: cli.code, stdout: cli.stdout }).toEqual({ code: 0, stdout });
  });

  it('the file holds the archived rows, which hash again, link from the chain start, and end at the recorded head', async () => {
    const { file, before, teamId } = archived;
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.id)).toEqual(before.slice(0, 6).map((r) => r.id));
    let prev: string | null = null;
    for (const row of lines) {
      expect(row.prevHash).toBe(prev);
      expect(hashEvent({ ...row, occurredAt: new Date(row.occurredAt) })).toBe(row.hash);
      prev = row.hash;
    }
    const [head] = await t.dataSource.query(
      `SELECT archived_hash FROM audit_chain_archives WHERE chain_key = $1`,
      [teamId],
    );
    expect(prev).toBe(head.archived_hash);
  });

  it('auditChainHead answers the newest event, after the archive too', async () => {
    const { teamId } = archived;
    const rows = await chainOf(t, teamId);
    const res = await t.gql(
      `query($t: ID!) { auditChainHead(teamId: $t) { teamId seq hash occurredAt } }`,
      { t: teamId },
      owner.headers,
    );
    expect(res.data?.auditChainHead).toEqual({
      teamId,
      seq: '12',
      hash: rows.at(-1)!.hash,
      occurredAt: rows.at(-1)!.occurred_at.toISOString(),
    });
  });

  it('a second archive goes on from the first: its file links to the first archived head', async () => {
    const { teamId, before } = archived;
    const file = archiveFile('second');
    const run = await archive(
      teamId,
      new Date(new Date(before.at(-1)!.occurred_at).getTime() + 1),
      file,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('archived 5 events');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(lines[0].prevHash).toBe(before[5].hash);
    expect(lines.map((l) => l.chainSeq)).toEqual(['7', '8', '9', '10', '11']);
    // left: the two audit.archived events
    expect(await verify(teamId)).toMatchObject({
      valid: true,
      checkedEvents: 2,
      archivedThroughPosition: '11',
    });
    // new events still link on
    await appendSyntheticEvents(t, teamId, 3);
    expect(await verify(teamId)).toMatchObject({ valid: true, checkedEvents: 5 });
  }, 60_000);
});

describe('tampering after an archive is still found', () => {
  it('a remaining row edited', async () => {
    const { teamId } = await archivedTeam('Tamper after archive');
    const [, victim] = await chainOf(t, teamId);
    await withTriggersOff(t, (m) =>
      m.query(`UPDATE audit_events SET metadata = '{"i": 99}' WHERE id = $1`, [victim.id]),
    );
    expect(await verify(teamId)).toMatchObject({
      valid: false,
      firstBrokenEventId: victim.id,
      firstBrokenPosition: '8',
      reason: 'its content does not match its hash (edited)',
    });
  });

  it('the first remaining row no longer linking to the archived head', async () => {
    const { teamId } = await archivedTeam('Relinked after archive');
    const [first] = await chainOf(t, teamId);
    await withTriggersOff(t, (m) =>
      m.query(`UPDATE audit_events SET prev_hash = $2 WHERE id = $1`, [first.id, 'f'.repeat(64)]),
    );
    expect(await verify(teamId)).toMatchObject({
      valid: false,
      firstBrokenEventId: first.id,
      firstBrokenPosition: '7',
      reason: 'does not link to the event before it (removed, inserted or reordered)',
    });
  });

  it('the first remaining row deleted', async () => {
    const { teamId } = await archivedTeam('Cut after archive');
    const [first, second] = await chainOf(t, teamId);
    await withTriggersOff(t, (m) => m.query(`DELETE FROM audit_events WHERE id = $1`, [first.id]));
    expect(await verify(teamId)).toMatchObject({
      valid: false,
      firstBrokenEventId: second.id,
      firstBrokenPosition: '8',
      reason: 'an event is missing before this one',
    });
  });

  it('an archived row put back', async () => {
    const { teamId, before } = await archivedTeam('Restored after archive');
    const row = before[2];
    await withTriggersOff(t, (m) =>
      m.query(
        `INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1::json)`,
        [JSON.stringify(row)],
      ),
    );
    expect(await verify(teamId)).toMatchObject({
      valid: false,
      firstBrokenEventId: row.id,
      firstBrokenPosition: '3',
      reason: 'an event remains at or before the archived head',
    });
  });
});

describe('what the command refuses', () => {
  it('a broken chain: exits 1, archives nothing and leaves no file', async () => {
    const { teamId, base } = await teamWithEvents('Broken before archive');
    const rows = await chainOf(t, teamId);
    await withTriggersOff(t, (m) =>
      m.query(`UPDATE audit_events SET action = 'forged' WHERE id = $1`, [rows[2].id]),
    );
    const file = archiveFile('broken');
    const run = await archive(teamId, new Date(base + 5), file);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^BROKEN  ${teamId}: at position 3: its content does not match its hash \\(edited\\); nothing archived$`,
        'm',
      ),
    );
    expect(existsSync(file)).toBe(false);
    expect(await chainOf(t, teamId)).toHaveLength(rows.length);
    expect(
      await t.dataSource.query(`SELECT 1 FROM audit_chain_archives WHERE chain_key = $1`, [teamId]),
    ).toEqual([]);
  });

  it('nothing before that time: exits 0 and changes nothing', async () => {
    const { teamId } = await teamWithEvents('Nothing to archive');
    const run = await archive(teamId, '2001-01-01T00:00:00Z', archiveFile('nothing'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^nothing archived/);
    expect(await chainOf(t, teamId)).toHaveLength(11);
  });

  it('bad arguments and an existing file: exits 2, changes nothing', async () => {
    const { teamId, base } = await teamWithEvents('Bad arguments');
    expect((await runAuditCommand('audit:archive', [teamId])).code).toBe(2);
    expect(
      (
        await runAuditCommand('audit:archive', [
          'not-a-team',
          '--before',
          '2030-01-01',
          '--out',
          archiveFile('x'),
        ])
      ).code,
    ).toBe(2);
    expect((await archive(teamId, 'yesterday', archiveFile('x'))).code).toBe(2);
    const unknown = await archive(
      '00000000-0000-4000-8000-000000000000',
      new Date(base + 5),
      archiveFile('x'),
    );
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('No team has this id'),
    });
    const taken = archiveFile('taken');
    writeFileSync(taken, 'keep me');
    const run = await archive(teamId, new Date(base + 5), taken);
    expect(run.code).toBe(2);
    expect(readFileSync(taken, 'utf8')).toBe('keep me');
    expect(await chainOf(t, teamId)).toHaveLength(11);
  }, 60_000);
});

describe("the service's own role can't archive", () => {
  const role = `empress_archive_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(16).toString('hex');
  let asRole: Client;
  const roleUrl = () => {
    const url = new URL(testDatabaseUrl());
    url.username = role;
    url.password = password;
    return url.toString();
  };

  beforeAll(async () => {
    const database = new URL(testDatabaseUrl()).pathname.slice(1);
    await t.dataSource.query(
      `CREATE ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT`,
    );
    await t.dataSource.query(`GRANT CONNECT ON DATABASE "${database}" TO ${role}`);
    await t.dataSource.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await t.dataSource.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO ${role}`,
    );
    await t.dataSource.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    asRole = new Client({ connectionString: roleUrl() });
    await asRole.connect();
  });
  afterAll(async () => {
    await asRole?.end().catch(() => undefined);
    await t.dataSource.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await t.dataSource.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  it('it can neither delete audit rows or archive records nor switch the trigger off, even in its own transaction', async () => {
    const { teamId } = await archivedTeam('Role cannot archive');
    await expect(
      asRole.query(`DELETE FROM audit_events WHERE team_id = $1`, [teamId]),
    ).rejects.toThrow(/append-only/);
    await expect(
      asRole.query(`DELETE FROM audit_chain_archives WHERE chain_key = $1`, [teamId]),
    ).rejects.toThrow(/append-only/);
    await expect(
      asRole.query(`UPDATE audit_chain_archives SET archived_hash = 'x' WHERE chain_key = $1`, [
        teamId,
      ]),
    ).rejects.toThrow(/append-only/);
    await expect(asRole.query(`TRUNCATE audit_chain_archives`)).rejects.toThrow(/append-only/);
    await asRole.query('BEGIN');
    await expect(
      asRole.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete`),
    ).rejects.toThrow(/must be owner/);
    await asRole.query('ROLLBACK');
    expect(await chainOf(t, teamId)).toHaveLength(6);
  });

  it('the command run as that role fails (exit 2) and deletes nothing', async () => {
    const { teamId, base } = await teamWithEvents('Role runs the command');
    const run = await archive(teamId, new Date(base + 5), archiveFile('role'), {
      DATABASE_URL: roleUrl(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/must be owner/);
    expect(await chainOf(t, teamId)).toHaveLength(11);
    expect(
      await t.dataSource.query(`SELECT 1 FROM audit_chain_archives WHERE chain_key = $1`, [teamId]),
    ).toEqual([]);
    expect(await verify(teamId)).toMatchObject({
      valid: true,
      checkedEvents: 11,
      archivedThroughPosition: null,
    });
  }, 60_000);
});
