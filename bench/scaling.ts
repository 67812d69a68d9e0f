import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { createDataSource } from '../src/db/data-source';
import { newApiSecret } from '../src/modules/api-key/api-key-format';
import { CreateApiKeyDocument, RevokeApiKeyDocument } from '../test/clients/generated/graphql';
import {
  NGINX_BIN,
  nginxAvailable,
  nginxFrame,
  startNginx,
  type RunningNginx,
} from '../test/helpers/nginx';
import { startServerProcess, type ServerProcess } from '../test/helpers/server-process';
import {
  createBenchTeam,
  gql,
  jsonFromProcess,
  log,
  markdownTable,
  openBenchDatabase,
  percentile,
  runBench,
  signUpBenchUser,
  type BenchUser,
} from './bench-kit';

/**
 * `npm run bench:scaling`: what instances of the service ask of one PostgreSQL, and how fast a
 * revocation reaches all of them, measured on this machine:
 * 1. one instance (the real server in a process of its own, test/helpers/server-process.ts) with
 *    200 keys made through its API, /v1/authorize loaded with the keys in turn; then the same with
 *    one request in 20 carrying a wrong secret;
 * 2. three instances on the same database behind the real nginx (an upstream, round-robin);
 * 3. while the three are loaded through nginx, keys of the load revoked at one instance, each
 *    polled on every instance directly from the revocation's answer to its first 401;
 * 4. what this PostgreSQL sustains (floors: N clients looping one statement each).
 * PostgreSQL's side is read from pg_stat_database and pg_stat_activity through the admin database,
 * so that the sampling itself is not counted. autocannon runs in a process of its own (this same
 * file with --load), as in `npm run bench`.
 *
 * Environment: DATABASE_URL (optional; else an embedded PostgreSQL), SCALING_SECONDS (60),
 * SCALING_CONNECTIONS (32), SCALING_REVOCATIONS (5), SCALING_FLOOR_CLIENTS (8).
 */
const SECONDS = Number(process.env.SCALING_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.SCALING_CONNECTIONS ?? 32);
const REVOCATIONS = Number(process.env.SCALING_REVOCATIONS ?? 5);
const FLOOR_CLIENTS = Number(process.env.SCALING_FLOOR_CLIENTS ?? 8);
const FLOOR_SECONDS = 5;
const KEYS = 200;
/** one request in WRONG_EVERY carries a wrong (well-formed) secret in the mixed load */
const WRONG_EVERY = 20;
/** the pool of each instance, as in production (createDataSource's default) */
const POOL_SIZE = 20;
/**
 * A backend adds its counts to pg_stat_database at most once a second, and an idle one up to 10 s
 * later: counters are read this long after the last statement that should be in them.
 */
const SETTLE_MS = 12_000;
/** how long ApiKeyCache keeps a key: each key in use is looked up again this often */
const CACHE_TTL_S = 30;
/** load before the counters are read: the caches fill, and the counts of that reach the counters */
const LEAD_S = 15;
const LOAD_FLAG = '--load';

const SERVER_ENV = {
  NODE_ENV: 'production',
  ALLOW_SIGNUP: 'true',
  // no request log lines: the parent reads the child's stderr, and would spend the cores on it
  LOG_LEVEL: 'warn',
  // the mixed load's wrong secrets all come from 127.0.0.1: counted, never blocking
  VERIFY_MAX_FAILURES: '1000000',
  // purges run every 5 min in production; kept out of the measured minutes
  MAINTENANCE_INTERVAL_SECONDS: '86400',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basic = (key: string, secret: string) =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

interface BenchKey {
  id: string;
  /** the Basic header with the right secret */
  auth: string;
  /** the same key with a wrong secret */
  wrong: string;
}

/** One autocannon run: `auths` are sent in turn, one per request. */
interface Load {
  url: string;
  auths: string[];
  connections: number;
  seconds: number;
}

interface LoadResult {
  requestsPerSecond: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

/** The load side (this file run with --load): autocannon with a header of its own per request. */
async function runLoad(load: Load): Promise<void> {
  let next = 0;
  const result = await autocannon({
    url: load.url,
    connections: load.connections,
    duration: load.seconds,
    requests: [
      {
        method: 'GET',
        path: '/v1/authorize',
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: load.auths[next++ % load.auths.length] },
        }),
      },
    ],
  });
  const out: LoadResult = {
    requestsPerSecond: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** One load from a process of its own, so that it never shares a thread with what it measures. */
function loadFrom(load: Load): Promise<LoadResult> {
  return jsonFromProcess<LoadResult>('bench/scaling.ts', [LOAD_FLAG, JSON.stringify(load)]);
}

/** The bench database's counters (pg_stat_database): transactions, rows written, blocks read. */
interface Counters {
  xacts: number;
  inserted: number;
  updated: number;
  deleted: number;
  blksRead: number;
}

const FIELDS: (keyof Counters)[] = ['xacts', 'inserted', 'updated', 'deleted', 'blksRead'];
const written = (c: Counters) => c.inserted + c.updated + c.deleted;

function combine(a: Counters, b: Counters, f: (x: number, y: number) => number): Counters {
  return Object.fromEntries(FIELDS.map((k) => [k, f(a[k], b[k])])) as unknown as Counters;
}

/** What PostgreSQL is asked, read from the admin database (where the reads themselves count). */
class Observer {
  constructor(
    private readonly admin: Client,
    readonly database: string,
  ) {}

  async counters(): Promise<Counters> {
    const { rows } = await this.admin.query<Record<string, string>>(
      `SELECT xact_commit + xact_rollback AS xacts, tup_inserted AS inserted,
              tup_updated AS updated, tup_deleted AS deleted, blks_read AS "blksRead"
         FROM pg_stat_database WHERE datname = $1`,
      [this.database],
    );
    return Object.fromEntries(FIELDS.map((k) => [k, Number(rows[0][k])])) as unknown as Counters;
  }

  /** Connections to the bench database (only the servers connect to it): open, and running a query. */
  async connections(): Promise<{ open: number; active: number }> {
    const { rows } = await this.admin.query<{ open: string; active: string }>(
      `SELECT count(*) AS open, count(*) FILTER (WHERE state = 'active') AS active
         FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
      [this.database],
    );
    return { open: Number(rows[0].open), active: Number(rows[0].active) };
  }

  /** Samples connections every second until stopped; the peaks. */
  sampleConnections(): { stop(): Promise<{ open: number; active: number }> } {
    const peak = { open: 0, active: 0 };
    let running = true;
    const loop = (async () => {
      while (running) {
        const now = await this.connections();
        peak.open = Math.max(peak.open, now.open);
        peak.active = Math.max(peak.active, now.active);
        await sleep(1_000);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return peak;
      },
    };
  }
}

/** Waits until the second of the minute is in [from, to]. */
async function untilSecondOfMinute(from: number, to: number): Promise<void> {
  const second = (Date.now() % 60_000) / 1_000;
  if (second >= from && second <= to) return;
  await sleep(((from - second + 60) % 60) * 1_000);
}

interface Phase {
  name: string;
  instances: number;
  load: LoadResult;
  /** per second of load, for all instances */
  rate: Counters;
  /** peaks over the load, for all instances */
  connections: { open: number; active: number };
}

/**
 * One measured load, in one run of LEAD_S + SECONDS: the counters are read LEAD_S into it (the
 * caches filled, the addresses each instance checks once checked, and their counts flushed) and
 * SETTLE_MS after it. Why SECONDS = 60, started early in a minute: each key in use is looked up
 * again every 30 s and usage rows are written once a minute, so under continuous load this
 * window holds two lookups per key and one minute's usage rows, as any minute does; a shorter one
 * holds all of them or none.
 */
async function measure(
  observer: Observer,
  phase: { name: string; instances: number; url: string; auths: string[] },
): Promise<Phase> {
  await untilSecondOfMinute(0, 30);
  log(`${phase.name}: ${LEAD_S} + ${SECONDS} s of load`);
  const sampling = observer.sampleConnections();
  const loading = loadFrom({
    url: phase.url,
    auths: phase.auths,
    connections: CONNECTIONS,
    seconds: LEAD_S + SECONDS,
  });
  await sleep(LEAD_S * 1_000);
  const before = await observer.counters();
  const from = performance.now();
  const result = await loading;
  const seconds = (performance.now() - from) / 1_000;
  const connections = await sampling.stop();
  await sleep(SETTLE_MS);
  const after = await observer.counters();
  const rate = combine(after, before, (a, b) => (a - b) / seconds);
  log(
    `${phase.name}: ${Math.round(result.requestsPerSecond)} req/s, ${rate.xacts.toFixed(1)} xact/s, ${written(rate).toFixed(1)} rows/s over ${seconds.toFixed(1)} s`,
  );
  return { ...phase, load: result, rate, connections };
}

/** Starts `count` instances on the database, each with a pool of its own. */
function startInstances(databaseUrl: string, first: number, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startServerProcess({
        databaseUrl,
        env: SERVER_ENV,
        poolSize: POOL_SIZE,
        applicationName: `empress-scaling-${first + i}`,
      }),
    ),
  );
}

/** The owner, their team and KEYS keys, made through the API of one instance. */
async function seed(url: string): Promise<{ owner: BenchUser; keys: BenchKey[] }> {
  const owner = await signUpBenchUser(url);
  const teamId = await createBenchTeam(url, owner, 'Scaling team');
  const keys: BenchKey[] = [];
  for (let i = 0; i < KEYS; i++) {
    const input = { teamId, name: `scaling key ${i}`, scopes: ['orders:read'] };
    const { createApiKey } = await gql(url, CreateApiKeyDocument, { input }, owner.headers);
    const { key, id } = createApiKey.apiKey;
    keys.push({ id, auth: basic(key, createApiKey.secret), wrong: basic(key, newApiSecret()) });
  }
  return { owner, keys };
}

/** nginx in front of the instances: one upstream, round-robin, connections kept open to them. */
function balancerConf(dir: string, port: number, upstreams: number[]): string {
  return nginxFrame(
    dir,
    1024,
    `
  upstream empress {
    ${upstreams.map((p) => `server 127.0.0.1:${p};`).join('\n    ')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location = /v1/authorize {
      proxy_pass http://empress;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
  }`,
  );
}

/** The real nginx (test/helpers/nginx.ts has the gateway's conf; this one balances). */
function startBalancer(upstreams: number[]): Promise<RunningNginx> {
  return startNginx({ conf: (dir, port) => balancerConf(dir, port, upstreams) });
}

const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** The status /v1/authorize answers these credentials with, on an instance directly. */
function authorizeStatus(url: string, auth: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/v1/authorize`,
      { agent: probeAgent, headers: { authorization: auth } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
  });
}

interface Refusal {
  /** from the revocation's answer to the first 401's answer */
  ms: number;
  /** requests sent after the revocation's answer, the 401 included */
  tries: number;
}

/** Polls an instance until it refuses the credentials (gives up after 5 s). */
async function firstRefusal(url: string, auth: string, since: number): Promise<Refusal> {
  for (let tries = 1; ; tries++) {
    const status = await authorizeStatus(url, auth);
    const ms = performance.now() - since;
    if (status === 401) return { ms, tries };
    if (ms > 5_000) return { ms: Infinity, tries };
  }
}

interface Revocation {
  /** the revokeApiKey mutation, sent to answered */
  revokeMs: number;
  perInstance: Refusal[];
  /** the round trips of the checks just before (200), one per instance: what any request takes */
  beforeMs: number[];
}

/** Revokes a key of the load at `at`, then asks every instance about it at once. */
async function revokeOnce(
  servers: ServerProcess[],
  at: ServerProcess,
  owner: BenchUser,
  key: BenchKey,
): Promise<Revocation> {
  const beforeMs: number[] = [];
  for (const server of servers) {
    const start = performance.now();
    const status = await authorizeStatus(server.url, key.auth);
    beforeMs.push(performance.now() - start);
    if (status !== 200) throw new Error(`key not valid before its revocation: ${status}`);
  }
  const sent = performance.now();
  await gql(at.url, RevokeApiKeyDocument, { id: key.id }, owner.headers);
  const answered = performance.now();
  const perInstance = await Promise.all(
    servers.map((server) => firstRefusal(server.url, key.auth, answered)),
  );
  return { revokeMs: answered - sent, perInstance, beforeMs };
}

/** Revocations of keys of the load, one a second, while the load runs through nginx. */
async function revocations(
  servers: ServerProcess[],
  balancer: string,
  owner: BenchUser,
  keys: BenchKey[],
): Promise<Revocation[]> {
  const auths = keys.map((k) => k.auth);
  // long enough for slow rounds on a busy machine; a round after the load ended is not run
  const seconds = REVOCATIONS * 4 + 10;
  let loaded = true;
  const loading = loadFrom({ url: balancer, auths, connections: CONNECTIONS, seconds });
  void loading.finally(() => (loaded = false));
  await sleep(3_000);
  const rounds: Revocation[] = [];
  for (let i = 0; i < REVOCATIONS && loaded; i++) {
    const round = await revokeOnce(servers, servers[i % servers.length], owner, keys[i]);
    log(
      `revocation ${i + 1} at instance ${(i % servers.length) + 1}: revoke ${round.revokeMs.toFixed(1)} ms, first 401 ${round.perInstance.map((r) => `${r.ms.toFixed(1)} ms (${r.tries})`).join(', ')}`,
    );
    rounds.push(round);
    await sleep(1_000);
  }
  const load = await loading;
  log(`load during revocations: ${Math.round(load.requestsPerSecond)} req/s through nginx`);
  return rounds;
}

/** N clients each running `sql` in a loop for FLOOR_SECONDS: statements per second. */
async function floor(url: string, sql: string, params: () => unknown[]): Promise<number> {
  const clients = Array.from(
    { length: FLOOR_CLIENTS },
    () => new Client({ connectionString: url }),
  );
  await Promise.all(clients.map((c) => c.connect()));
  let done = 0;
  const end = Date.now() + FLOOR_SECONDS * 1_000;
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < end) {
          await client.query(sql, params());
          done++;
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return done / FLOOR_SECONDS;
}

interface Ceilings {
  upserts: number;
  lookups: number;
  /** the lastUsedAt statement over the KEYS keys, per second */
  keyBatches: number;
  maxConnections: number;
}

/**
 * What this PostgreSQL sustains, with the instances stopped: single-row upserts (a write
 * transaction, as a failure count is), the cache's key lookup (the cold path), and the usage
 * recorder's lastUsedAt statement over all the keys (the largest write stream).
 */
async function ceilings(url: string, keyIds: string[]): Promise<Ceilings> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE TABLE scaling_floor (id int PRIMARY KEY, n bigint NOT NULL)`);
    const publicKeys = (await admin.query<{ key: string }>(`SELECT key FROM api_keys`)).rows;
    const settings = await admin.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('max_connections', 'superuser_reserved_connections')`,
    );
    const setting = (name: string) => Number(settings.rows.find((s) => s.name === name)!.setting);
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    const upserts = await floor(
      url,
      `INSERT INTO scaling_floor VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = scaling_floor.n + 1`,
      () => [Math.floor(Math.random() * 10_000)],
    );
    const lookups = await floor(
      url,
      `SELECT k.*, o.is_platform_admin, mp.permissions FROM api_keys k
         LEFT JOIN users o ON o.id = k.owner_id
         LEFT JOIN member_permissions mp ON mp.team_id = k.team_id AND mp.user_id = k.owner_id
        WHERE k.key = $1`,
      () => [pick(publicKeys).key],
    );
    const keyBatches = await floor(
      url,
      `UPDATE api_keys k SET last_used_at = u.at, last_used_ip = u.ip
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
        WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
      () => [keyIds, keyIds.map(() => new Date()), keyIds.map(() => '127.0.0.1')],
    );
    const maxConnections = setting('max_connections') - setting('superuser_reserved_connections');
    return { upserts, lookups, keyBatches, maxConnections };
  } finally {
    await admin.query(`DROP TABLE IF EXISTS scaling_floor`).catch(() => undefined);
    await admin.end();
  }
}

const n0 = (x: number) => Math.round(x).toLocaleString('en');
const n1 = (x: number) => x.toLocaleString('en', { maximumFractionDigits: 1 });

function phaseRows(phases: Phase[]): string[] {
  const rows = phases.map((p) => {
    const per = (x: number) => x / p.instances;
    const perThousand = (x: number) => (x / p.load.requestsPerSecond) * 1_000;
    return [
      p.name,
      String(p.instances),
      n0(p.load.requestsPerSecond),
      n0(per(p.load.requestsPerSecond)),
      n1(per(p.rate.xacts)),
      `${n1(per(written(p.rate)))} (${n1(per(p.rate.inserted))} / ${n1(per(p.rate.updated))} / ${n1(per(p.rate.deleted))})`,
      n1(per(p.rate.blksRead)),
      `${n1(per(p.connections.open))} / ${n1(per(p.connections.active))}`,
      perThousand(p.rate.xacts).toFixed(2),
      perThousand(written(p.rate)).toFixed(1),
      `${p.load.p99} ms`,
      String(p.load.non2xx + p.load.errors),
    ];
  });
  return markdownTable(
    [
      'load',
      'instances',
      'req/s',
      'req/s per instance',
      'xact/s per instance',
      'rows written/s per instance (ins / upd / del)',
      'blks_read/s',
      'connections per instance (open / active, peak)',
      'xact per 1,000 req',
      'rows per 1,000 req',
      'p99',
      'non-2xx',
    ],
    [false, true, true, true, true, true, true, true, true, true, true, true],
    rows,
  );
}

function revocationRows(rounds: Revocation[]): string[] {
  const all = rounds.flatMap((r) => r.perInstance);
  const ms = all.map((r) => r.ms);
  const firstTry = all.filter((r) => r.tries === 1).length;
  const revoke = rounds.map((r) => r.revokeMs);
  const before = rounds.flatMap((r) => r.beforeMs);
  return markdownTable(
    ['revocations under load, 3 instances', 'median', 'max'],
    [false, true, true],
    [
      ['revokeApiKey, sent to answered', ms1(percentile(revoke, 50)), ms1(Math.max(...revoke))],
      [
        "revoke's answer to the first 401, each instance",
        ms1(percentile(ms, 50)),
        ms1(Math.max(...ms)),
      ],
      [
        'an authorize round trip just before (200), each instance',
        ms1(percentile(before, 50)),
        ms1(Math.max(...before)),
      ],
      [`first request after the answer already refused`, `${firstTry} of ${all.length}`, ''],
    ],
  );
}

const ms1 = (x: number) => `${x.toFixed(1)} ms`;

/**
 * How many instances like the measured ones this PostgreSQL serves, by each of its limits: one
 * instance's figure is the largest per instance of any load measured.
 */
function capacityRows(phases: Phase[], c: Ceilings): string[] {
  const most = (of: (p: Phase) => number) => Math.max(...phases.map((p) => of(p) / p.instances));
  const xacts = most((p) => p.rate.xacts);
  const rows = most((p) => written(p.rate));
  const open = most((p) => p.connections.open);
  const line = (limit: string, ceiling: string, perInstance: string, n: number) => [
    limit,
    ceiling,
    perInstance,
    n0(Math.floor(n)),
  ];
  return markdownTable(
    ['limit of this PostgreSQL', 'ceiling (measured)', 'one instance at full load', 'instances'],
    [false, true, true, true],
    [
      line('transactions/s (single-row upserts)', n0(c.upserts), n1(xacts), c.upserts / xacts),
      line(
        `rows written/s (lastUsedAt over ${KEYS} keys)`,
        n0(c.keyBatches * KEYS),
        n1(rows),
        (c.keyBatches * KEYS) / rows,
      ),
      line('connections, pool full (20 + feed)', n0(c.maxConnections), '21', c.maxConnections / 21),
      line('connections, as measured', n0(c.maxConnections), n1(open), c.maxConnections / open),
      line(
        `key lookups/s (cache refills: ${KEYS} keys ÷ ${CACHE_TTL_S} s)`,
        n0(c.lookups),
        n1(KEYS / CACHE_TTL_S),
        c.lookups / (KEYS / CACHE_TTL_S),
      ),
    ],
  );
}

async function main(): Promise<number> {
  const db = await openBenchDatabase();
  const database = new URL(db.url).pathname.slice(1);
  const adminUrl = new URL(db.url);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  const servers: ServerProcess[] = [];
  let balancer: RunningNginx | undefined;
  try {
    await migrate(db.url);
    await admin.connect();
    const observer = new Observer(admin, database);
    servers.push(...(await startInstances(db.url, 1, 1)));
    log('seeding: owner, team, keys');
    const { owner, keys } = await seed(servers[0].url);
    const valid = keys.map((k) => k.auth);
    const mixed = keys.map((k, i) => ((i + 1) % WRONG_EVERY === 0 ? k.wrong : k.auth));
    const phases = [
      await measure(observer, { name: 'valid', instances: 1, url: servers[0].url, auths: valid }),
      await measure(observer, {
        name: `${100 - 100 / WRONG_EVERY}% valid, ${100 / WRONG_EVERY}% wrong secret`,
        instances: 1,
        url: servers[0].url,
        auths: mixed,
      }),
    ];
    let rounds: Revocation[] = [];
    if (nginxAvailable()) {
      servers.push(...(await startInstances(db.url, 2, 2)));
      balancer = await startBalancer(servers.map((s) => s.port));
      phases.push(
        await measure(observer, {
          name: 'valid, through nginx',
          instances: 3,
          url: balancer.url,
          auths: valid,
        }),
      );
      rounds = await revocations(servers, balancer.url, owner, keys);
    } else log(`no nginx at ${NGINX_BIN}: three instances and revocations skipped`);
    await balancer?.stop();
    balancer = undefined;
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    log('PostgreSQL floors');
    const limits = await ceilings(
      db.url,
      keys.map((k) => k.id),
    );
    report(phases, rounds, limits);
    return 0;
  } finally {
    await balancer?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await admin.end().catch(() => undefined);
    await db.close();
  }
}

/** The schema, applied the way the bench kit does it. */
async function migrate(url: string): Promise<void> {
  const dataSource = createDataSource({ url, poolSize: 2, applicationName: 'empress-bench' });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

function report(phases: Phase[], rounds: Revocation[], limits: Ceilings): void {
  const lines = [
    `${SECONDS} s of load per row, ${CONNECTIONS} connections, ${KEYS} keys in turn; PostgreSQL figures per instance`,
    '',
    ...phaseRows(phases),
    '',
    ...(rounds.length ? [...revocationRows(rounds), ''] : []),
    `PostgreSQL floors: ${FLOOR_CLIENTS} clients, ${FLOOR_SECONDS} s each`,
    '',
    ...capacityRows(phases, limits),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[2] === LOAD_FLAG) void runLoad(JSON.parse(process.argv[3]) as Load);
else runBench(main);
