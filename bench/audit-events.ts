import 'reflect-metadata';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import type { AuditFilterInput } from '../src/modules/audit/audit-filter';
import { MAX_AUDIT_PAGE, type AuditQueryService } from '../src/modules/audit/audit-query.service';
import {
  createBenchTeam,
  log,
  markdownTable,
  percentile,
  runBench,
  signUpBenchUser,
  withBench,
} from './bench-kit';

/**
 * `npm run bench:audit`: the auditEvents query over 1,000,000 audit events.
 *
 * 1. A database of its own: a new database on DATABASE_URL's server when set (dropped at the
 *    end), otherwise an embedded PostgreSQL in a temporary folder (deleted at the end).
 * 2. Migrations, then 20 teams (through the API), ~2,000 keys and 1,000,000 events (SQL,
 *    generate_series) with a skewed, realistic spread: a few big teams, a few hot keys, 30
 *    actions with apiKey.used the bulk of them, 90 days of history. VACUUM ANALYZE.
 * 3. The real server (buildServer) on 127.0.0.1; each scenario is 20 warm-up requests then
 *    REQUESTS sequential requests over HTTP, p50/p95 in ms, and as a ratio to the baseline:
 *    `{ viewer { type } }` without credentials (the same HTTP + Apollo + shield stack, no
 *    database at all). The authenticated viewer is shown too: it is the floor of every audit
 *    query (session lookup + team permission lookup).
 * 4. EXPLAIN (ANALYZE, BUFFERS) of the SQL behind each scenario (the very statements
 *    AuditQueryService.page runs: with a time window, its chain_seq range, then the page),
 *    checked to use an audit_events_* index, with no sequential scan of audit_events and no
 *    sort of more than 1,000 rows (or, in a time window, of more than the window's chain range).
 *    Exit 1 if a check fails.
 *
 * Environment: DATABASE_URL (optional), BENCH_EVENTS (1000000), BENCH_REQUESTS (200),
 * BENCH_ONLY (a regular expression: only the scenarios it matches, plus the baseline),
 * BENCH_EXTRA_SQL (run after the load, e.g. a CREATE INDEX to try), BENCH_VERBOSE=1 prints every plan.
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WARMUP = 20;
const TEAMS = 20;
const KEYS = 2_000;
const VERBOSE = process.env.BENCH_VERBOSE === '1';

// 30 actions and their relative weights; the key-related ones carry an api_key_id.
const ACTIONS: [string, number][] = [
  ['apiKey.used', 700],
  ['auth.loggedIn', 30],
  ['apiKey.created', 20],
  ['apiKey.updated', 20],
  ['apiKey.verified', 15],
  ['apiKey.secretRegenerated', 15],
  ['auth.loginFailed', 12],
  ['auth.loggedOut', 10],
  ['member.added', 10],
  ['permission.granted', 8],
  ['audit.exported', 6],
  ['role.updated', 6],
  ['member.roleChanged', 5],
  ['role.created', 5],
  ['member.removed', 5],
  ['apiKey.revoked', 5],
  ['permission.revoked', 4],
  ['apiKey.expired', 4],
  ['apiKey.ipBlocked', 3],
  ['team.renamed', 3],
  ['role.deleted', 2],
  ['user.signedUp', 2],
  ['session.expired', 2],
  ['settings.changed', 2],
  ['webhook.created', 1],
  ['webhook.deleted', 1],
  ['billing.updated', 1],
  ['sso.configured', 1],
  ['team.transferred', 1],
  ['audit.chainVerified', 1],
];

interface Scenario {
  name: string;
  /** GraphQL document and variables, sent with `auth` */
  query: string;
  variables: Record<string, unknown>;
  auth: 'none' | 'owner';
  /** the SQL behind it, for EXPLAIN; absent for the baselines */
  sql?: { teamId: string; filter: AuditFilterInput; first: number; afterSeq?: string };
}

interface Result {
  name: string;
  p50: number;
  p95: number;
  plan?: PlanCheck;
}

interface PlanCheck {
  ok: boolean;
  indexes: string[];
  summary: string;
  executionMs: number;
  buffers: string;
  problems: string[];
  /** not failures, but worth a look: e.g. many rows read to return one page */
  warnings: string[];
  text: string;
}

async function main(): Promise<number> {
  const started = Date.now();
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', ALLOW_SIGNUP: 'true' });
  return withBench(config, async ({ url, dbUrl, server }) => {
    const fill = await fillDatabase(url, dbUrl);
    log(`data ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : null;
    const scenarios = scenariosFor(fill).filter((sc, i) => i === 0 || !only || only.test(sc.name));
    const results: Result[] = [];
    const pg = new Client({ connectionString: dbUrl });
    await pg.connect();
    try {
      for (const scenario of scenarios) {
        const timings = await measure(url, scenario, fill.token);
        const result: Result = {
          name: scenario.name,
          p50: percentile(timings, 50),
          p95: percentile(timings, 95),
        };
        if (scenario.sql) result.plan = await explain(pg, server.services.auditLog, scenario.sql);
        results.push(result);
        log(
          `${scenario.name}: p50 ${result.p50.toFixed(2)} ms, p95 ${result.p95.toFixed(2)} ms${result.plan ? `, ${result.plan.summary}` : ''}`,
        );
        if (VERBOSE && result.plan) log(result.plan.text);
      }
    } finally {
      await pg.end();
    }

    const baseline = results[0];
    const lines = [
      '',
      `### auditEvents over ${EVENTS.toLocaleString('en')} events (${TEAMS} teams, ${KEYS.toLocaleString('en')} keys; biggest team ${fill.bigTeamEvents.toLocaleString('en')} events); ${REQUESTS} requests each`,
      '',
      ...markdownTable(
        [
          'scenario',
          'p50 ms',
          'p95 ms',
          'p50 × baseline',
          'p95 × baseline',
          'plan (EXPLAIN ANALYZE)',
          'SQL ms',
          'buffers',
        ],
        [false, true, true, true, true, false, true, false],
        results.map((r) => [
          r.name,
          r.p50.toFixed(2),
          r.p95.toFixed(2),
          (r.p50 / baseline.p50).toFixed(2),
          (r.p95 / baseline.p95).toFixed(2),
          r.plan ? `${r.plan.ok ? '' : '**FAIL** '}${r.plan.summary}` : 'no database',
          r.plan ? r.plan.executionMs.toFixed(2) : '',
          r.plan ? r.plan.buffers : '',
        ]),
      ),
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const failed = results.filter((r) => r.plan && !r.plan.ok);
    for (const r of results.filter((x) => x.plan?.warnings.length))
      log(`warning for "${r.name}": ${r.plan!.warnings.join('; ')}`);
    for (const r of failed) {
      log(`\nplan check failed for "${r.name}": ${r.plan!.problems.join('; ')}\n${r.plan!.text}`);
    }
    log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return failed.length ? 1 : 0;
  });
}

interface Fill {
  token: string;
  ownerId: string;
  bigTeam: string;
  bigTeamEvents: number;
  smallTeam: string;
  hotKey: string;
  quietKey: string;
  actorUserId: string;
  deepSeq: string;
  midSeq: string;
  oldWindow: { from: string; to: string };
}

async function fillDatabase(url: string, dbUrl: string): Promise<Fill> {
  const owner = await signUpBenchUser(url);
  const { token, userId: ownerId } = owner;
  const teams: string[] = [];
  for (let i = 0; i < TEAMS; i++) teams.push(await createBenchTeam(url, owner, `Bench team ${i}`));

  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  try {
    const at = Date.now();
    // Team i gets a share of events ∝ 1/(i+1) (Zipf): the first team is ~28 % of the log.
    const weights = teams.map((_, i) => 1 / (i + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    let lo = 0;
    let keyLo = 0;
    const rows: unknown[][] = [];
    teams.forEach((id, i) => {
      const share = weights[i] / total;
      const keyCount =
        i === teams.length - 1 ? KEYS - keyLo : Math.max(5, Math.round(KEYS * share));
      rows.push([i, id, lo, i === teams.length - 1 ? 1.0000001 : lo + share, keyLo, keyCount]);
      lo += share;
      keyLo += keyCount;
    });
    await pg.query(
      `CREATE TEMP TABLE bench_teams (idx int, id uuid, lo float8, hi float8, key_lo int, key_n int)`,
    );
    for (const r of rows)
      await pg.query(`INSERT INTO bench_teams VALUES ($1, $2, $3, $4, $5, $6)`, r);

    const actionTotal = ACTIONS.reduce((a, [, w]) => a + w, 0);
    await pg.query(
      `CREATE TEMP TABLE bench_actions (name text, lo float8, hi float8, about_key bool)`,
    );
    let aLo = 0;
    for (const [i, [name, w]] of ACTIONS.entries()) {
      const hi = i === ACTIONS.length - 1 ? 1.0000001 : aLo + w / actionTotal;
      await pg.query(`INSERT INTO bench_actions VALUES ($1, $2, $3, $4)`, [
        name,
        aLo,
        hi,
        name.startsWith('apiKey.'),
      ]);
      aLo = hi;
    }
    await pg.query(
      `CREATE TEMP TABLE bench_users AS SELECT g AS idx, gen_random_uuid() AS id FROM generate_series(0, 49) g`,
    );

    // ~2,000 keys, numbered across teams (key_lo .. key_lo + key_n - 1 belong to a team)
    await pg.query(`
      CREATE TEMP TABLE bench_keys AS
      SELECT t.idx AS team_idx, t.id AS team_id, t.key_lo + k AS n, gen_random_uuid() AS id
        FROM bench_teams t, LATERAL generate_series(0, t.key_n - 1) k`);
    await pg.query(`CREATE INDEX ON bench_keys (n)`);
    await pg.query(
      `INSERT INTO api_keys (id, team_id, name, key, secret_digest, secret_last4, scopes, created_by_id, created_at)
       SELECT id, team_id, 'bench key ' || n, 'empk_' || lpad(n::text, 24, '0'), sha256(convert_to(n::text, 'UTF8')), 'abcd',
              '{orders:read}', $1, now() - interval '91 days'
         FROM bench_keys`,
      [ownerId],
    );

    // The events. chain_seq continues after team.created (seq 1) in each team, in time order.
    // Loaded without the secondary indexes, which are then rebuilt from their own definitions
    // (pg_indexes), exactly as the migrations made them: several times faster than maintaining
    // seven indexes row by row.
    await pg.query(`SET work_mem = '256MB'`);
    await pg.query(`SET maintenance_work_mem = '512MB'`);
    await pg.query(`SET synchronous_commit = off`);
    const indexes: { indexname: string; indexdef: string }[] = (
      await pg.query(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'audit_events' AND indexname <> 'audit_events_pkey'`,
      )
    ).rows;
    for (const { indexname } of indexes) await pg.query(`DROP INDEX ${indexname}`);
    await pg.query(`
      INSERT INTO audit_events (id, team_id, chain_seq, occurred_at, action, outcome, actor_type, actor_user_id, actor_api_key_id,
          actor_label, target_type, target_id, ip, user_agent, request_id, api_key_id, metadata, prev_hash, hash)
      SELECT gen_random_uuid(), p.team_id, 1 + row_number() OVER (PARTITION BY p.team_id ORDER BY p.g),
             now() - interval '90 days' + p.g * (interval '90 days' / ${EVENTS}),
             p.action, p.outcome,
             CASE WHEN p.action = 'apiKey.used' THEN 'API_KEY' ELSE 'USER' END,
             CASE WHEN p.action = 'apiKey.used' THEN NULL ELSE p.user_id END,
             CASE WHEN p.action = 'apiKey.used' THEN p.key_id END,
             CASE WHEN p.action = 'apiKey.used' THEN 'empk_' || lpad(p.key_n::text, 24, '0') ELSE 'user' || p.user_idx || '@example.com' END,
             CASE WHEN p.about_key THEN 'ApiKey' ELSE 'Team' END,
             CASE WHEN p.about_key THEN p.key_id::text ELSE p.team_id::text END,
             '10.' || (p.g % 250) || '.' || (p.g % 199) || '.' || (p.g % 97),
             (ARRAY['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64)', 'nginx-auth-request', 'empress-sdk/1.4'])[1 + p.g % 4],
             'bench-' || p.g,
             CASE WHEN p.about_key THEN p.key_id END,
             CASE WHEN p.action = 'apiKey.used'
                  THEN jsonb_build_object('via', (ARRAY['graphql', 'verifyApiCredentials', 'authorize'])[1 + p.g % 3], 'code', CASE p.outcome WHEN 'SUCCESS' THEN 'VALID' ELSE 'INVALID' END)
                  ELSE jsonb_build_object('n', p.g) END,
             NULL, md5(p.g::text)
        FROM (
          SELECT e.g, t.id AS team_id, a.name AS action, a.about_key,
                 CASE WHEN e.r_outcome < 0.90 THEN 'SUCCESS' WHEN e.r_outcome < 0.98 THEN 'DENIED' ELSE 'FAILURE' END AS outcome,
                 k.id AS key_id, k.n AS key_n, u.id AS user_id, u.idx AS user_idx
            FROM (SELECT g, random() AS r_team, random() AS r_action, random() AS r_key, random() AS r_outcome, random() AS r_user
                    FROM generate_series(1, ${EVENTS}) g) e
            JOIN bench_teams t ON e.r_team >= t.lo AND e.r_team < t.hi
            JOIN bench_actions a ON e.r_action >= a.lo AND e.r_action < a.hi
            JOIN bench_keys k ON k.n = t.key_lo + floor(power(e.r_key, 3) * t.key_n)::int
            JOIN bench_users u ON u.idx = floor(power(e.r_user, 2) * 50)::int
        ) p`);
    const indexAt = Date.now();
    for (const { indexdef } of indexes) await pg.query(indexdef);
    log(
      `rebuilt ${indexes.length} indexes of audit_events in ${((Date.now() - indexAt) / 1000).toFixed(1)} s`,
    );
    await pg.query(`
      INSERT INTO audit_chain_heads (chain_key, last_seq, last_hash)
      SELECT team_id, max(chain_seq), 'bench' FROM audit_events WHERE team_id IS NOT NULL GROUP BY team_id
      ON CONFLICT (chain_key) DO UPDATE SET last_seq = EXCLUDED.last_seq, last_hash = EXCLUDED.last_hash`);
    log(`inserted ${EVENTS} events in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    if (process.env.BENCH_EXTRA_SQL) {
      // to try an index before writing a migration for it
      log(`running BENCH_EXTRA_SQL: ${process.env.BENCH_EXTRA_SQL}`);
      await pg.query(process.env.BENCH_EXTRA_SQL);
    }
    const vacuumAt = Date.now();
    await pg.query(`VACUUM ANALYZE audit_events`);
    await pg.query(`ANALYZE api_keys`);
    log(`VACUUM ANALYZE in ${((Date.now() - vacuumAt) / 1000).toFixed(1)} s`);

    const [big] = (
      await pg.query(
        `SELECT team_id, count(*)::int AS n FROM audit_events WHERE team_id IS NOT NULL GROUP BY team_id ORDER BY n DESC LIMIT 1`,
      )
    ).rows;
    const [small] = (
      await pg.query(
        `SELECT team_id FROM audit_events WHERE team_id IS NOT NULL GROUP BY team_id ORDER BY count(*) ASC LIMIT 1`,
      )
    ).rows;
    const keys = (
      await pg.query(
        `SELECT api_key_id, count(*)::int AS n FROM audit_events WHERE team_id = $1 AND api_key_id IS NOT NULL GROUP BY api_key_id ORDER BY n DESC`,
        [big.team_id],
      )
    ).rows;
    const [actor] = (
      await pg.query(
        `SELECT actor_user_id FROM audit_events WHERE team_id = $1 AND actor_user_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
        [big.team_id],
      )
    ).rows;
    const day = 86_400_000;
    return {
      token,
      ownerId,
      bigTeam: big.team_id,
      bigTeamEvents: big.n,
      smallTeam: small.team_id,
      hotKey: keys[0].api_key_id,
      quietKey: keys.at(-1).api_key_id,
      actorUserId: actor.actor_user_id,
      deepSeq: String(Math.max(2, Math.floor(big.n * 0.02))),
      midSeq: String(Math.floor(big.n / 2)),
      oldWindow: {
        from: new Date(Date.now() - 80 * day).toISOString(),
        to: new Date(Date.now() - 79 * day).toISOString(),
      },
    };
  } finally {
    await pg.end();
  }
}

const EVENTS_QUERY = `query($t: ID!, $f: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(teamId: $t, filter: $f, first: $first, after: $after) {
    edges { cursor node { id occurredAt action outcome actor { type userId apiKeyId label } targetType targetId ip userAgent requestId metadata } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const cursorOf = (seq: string) => Buffer.from(`AuditEvent:${seq}`).toString('base64url');

function scenariosFor(f: Fill): Scenario[] {
  const page = (
    name: string,
    teamId: string,
    filter: AuditFilterInput,
    first = 50,
    afterSeq?: string,
  ): Scenario => ({
    name,
    query: EVENTS_QUERY,
    variables: {
      t: teamId,
      f: { ...filter, from: filter.from?.toISOString(), to: filter.to?.toISOString() },
      first,
      after: afterSeq ? cursorOf(afterSeq) : null,
    },
    auth: 'owner',
    sql: { teamId, filter, first, afterSeq },
  });
  return [
    {
      name: 'baseline: viewer, anonymous (no database)',
      query: `{ viewer { type } }`,
      variables: {},
      auth: 'none',
    },
    {
      name: 'viewer, signed in (session lookup)',
      query: `{ viewer { type user { id } } }`,
      variables: {},
      auth: 'owner',
    },
    page('by team: newest 50 (biggest team)', f.bigTeam, {}),
    page('by team: newest 50 (smallest team)', f.smallTeam, {}),
    page('by team: first=500', f.bigTeam, {}, 500),
    page('by key: hot key', f.bigTeam, { apiKeyId: f.hotKey }),
    page('by key: quiet key', f.bigTeam, { apiKeyId: f.quietKey }),
    page('by action: apiKey.used (common)', f.bigTeam, { actions: ['apiKey.used'] }),
    page('by action: apiKey.revoked (rare)', f.bigTeam, { actions: ['apiKey.revoked'] }),
    page('by actions: 3 rare ones', f.bigTeam, {
      actions: ['apiKey.revoked', 'role.deleted', 'sso.configured'],
    }),
    page('by actor (actorUserId)', f.bigTeam, { actorUserId: f.actorUserId }),
    page('by target (targetId = quiet key)', f.bigTeam, { targetId: f.quietKey }),
    page('by outcome: FAILURE', f.bigTeam, { outcome: 'FAILURE' as AuditFilterInput['outcome'] }),
    page('deep page: after seq at 2 % (oldest end)', f.bigTeam, {}, 50, f.deepSeq),
    page('deep page: after seq at 50 %', f.bigTeam, {}, 50, f.midSeq),
    page('deep page + rare action', f.bigTeam, { actions: ['apiKey.revoked'] }, 50, f.midSeq),
    page('deep page + hot key', f.bigTeam, { apiKeyId: f.hotKey }, 50, f.deepSeq),
    page('time window: one day, 80 days ago', f.bigTeam, {
      from: new Date(f.oldWindow.from),
      to: new Date(f.oldWindow.to),
    }),
    page('time window: one day, 80 days ago, rare action', f.bigTeam, {
      actions: ['apiKey.revoked'],
      from: new Date(f.oldWindow.from),
      to: new Date(f.oldWindow.to),
    }),
    page('time window: the last 30 days (wide)', f.bigTeam, {
      from: new Date(Date.now() - 30 * 86_400_000),
    }),
  ];
}

async function measure(url: string, scenario: Scenario, token: string): Promise<number[]> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (scenario.auth === 'owner') headers.authorization = `Bearer ${token}`;
  const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
  const timings: number[] = [];
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const at = process.hrtime.bigint();
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
    const text = await res.text();
    const elapsed = Number(process.hrtime.bigint() - at) / 1e6;
    if (res.status !== 200 || text.includes('"errors"'))
      throw new Error(`${scenario.name}: ${res.status} ${text.slice(0, 300)}`);
    if (i >= WARMUP) timings.push(elapsed);
  }
  return timings;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements AuditQueryService.page runs for this scenario:
 * with a time window, the window's chain_seq range first, then the page.
 */
async function explain(
  pg: Client,
  auditLog: AuditQueryService,
  s: NonNullable<Scenario['sql']>,
): Promise<PlanCheck> {
  const range = auditLog.windowRangeStatement(s.teamId, s.filter);
  const page = await auditLog.pageStatement(
    s.teamId,
    s.filter,
    Math.min(s.first, MAX_AUDIT_PAGE),
    s.afterSeq ?? null,
  );
  if (!page) throw new Error("the scenario's time window holds no event: nothing to measure");
  const plans: string[] = [];
  for (const statement of [range, page]) {
    if (!statement) continue;
    const { rows } = await pg.query(
      `EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`,
      statement.params,
    );
    plans.push(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
  }
  // A page of a time window walks the window's chain range; where that range is small, PostgreSQL
  // may rightly sort it instead (never more than the range): how long is it?
  let rangeLength = 0;
  if (range) {
    const { rows } = await pg.query(range.sql, range.params);
    rangeLength = Number(rows[0].high) - Number(rows[0].low) + 1;
  }
  return checkPlans(plans, Math.max(1_000, rangeLength));
}

/** The rows the first scan of a plan handed up (after its filter), per EXPLAIN ANALYZE. */
function scanRows(plan: string): number {
  return Number(/Scan[^\n]*\(actual time=[\d.]+\.\.[\d.]+ rows=([\d.]+)/.exec(plan)?.[1] ?? 0);
}

/** The checks and the summary of a scenario's plans (one per statement). */
function checkPlans(plans: string[], maxSorted: number): PlanCheck {
  const text = plans.join('\n\n');
  const indexes = [
    ...new Set(
      [
        ...text.matchAll(
          /(Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (audit_events_\w+)/g,
        ),
      ].map((m) => `${m[1]} ${m[2]}`),
    ),
  ];
  const problems: string[] = [];
  if (/Seq Scan on audit_events/.test(text)) problems.push('sequential scan of audit_events');
  if (indexes.length === 0) problems.push('no audit_events_* index used');
  // a Sort is fed by the first scan below it: how many rows did it hand over?
  const fed = Math.max(
    0,
    ...plans
      .filter((plan) => /\bSort\b/.test(plan))
      .map((plan) => scanRows(plan.slice(plan.search(/\bSort\b/)))),
  );
  if (fed > maxSorted) problems.push(`sorts ${fed.toLocaleString('en')} rows`);
  // rows the scans had to read and throw away: an index walk that is really a scan of the team
  const removed = [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const warnings =
    removed > 20_000 ? [`reads ${removed.toLocaleString('en')} rows to return a page`] : [];
  const executionMs = [...text.matchAll(/Execution Time: ([\d.]+) ms/g)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
  const buffers = plans
    .map((plan) => /Buffers: ([^\n]+)/.exec(plan)?.[1]?.trim() ?? '')
    .join(' + ');
  const top = text.split('\n').find((l) => /Scan/.test(l)) ?? '';
  const node =
    /(Index Only Scan|Index Scan Backward|Index Scan|Bitmap Heap Scan|Seq Scan)/.exec(top)?.[1] ??
    '?';
  const sorted = /\bSort\b/.test(text) ? `, sort of ${fed.toLocaleString('en')} rows` : '';
  const summary = `${warnings.length ? '⚠ ' : ''}${indexes.join(' + ') || node}${removed ? `, ${removed.toLocaleString('en')} rows filtered out` : ''}${sorted}`;
  return {
    ok: problems.length === 0,
    indexes,
    summary,
    executionMs,
    buffers,
    problems,
    warnings,
    text,
  };
}

runBench(main);
