import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { log, markdownTable, runBench } from './bench-kit';
import { ensureBuilt, ROOT, spawnServer, stopServer, waitHealthy } from './server-process';

/**
 * `npm run bench:start`: how soon `npm start` serves again after a restart on a data folder that
 * is already there (the embedded PostgreSQL's cluster, migrations applied, admin made).
 *
 * `node dist/src/main.js` (built first if dist/ is missing) runs with DATA_DIR in a new temporary
 * folder, never the real .data, and no DATABASE_URL; a first start initialises the cluster and is
 * stopped with SIGTERM. Then RESTARTS starts on that same folder, each on a free port: the time
 * from the spawn to the "listening on" line and to the first 200 from /healthz, and the stop
 * (SIGTERM to exit, which includes main.ts's second of grace). Target: the median to /healthz
 * ≤ 3 s, else exit 1.
 *
 * Where the time goes, from the medians: the "database:" line (PostgreSQL started, migrations
 * checked) and the "listening" line split a start in three; node loading the compiled code and the
 * embedded PostgreSQL starting alone on the same folder are timed apart, to split the first part.
 *
 * Environment: BENCH_RESTARTS (5); BENCH_START_PROFILE (a folder: each restart's CPU profile,
 * node --cpu-prof, for Chrome DevTools or speedscope).
 */
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 5);
const PROFILE_DIR = process.env.BENCH_START_PROFILE;
const TARGET_MS = 3_000;
/** timed apart: node loading the compiled code, and PostgreSQL's start */
const SIDE_RUNS = 3;
const MARKS = { database: /^database: /, listening: /listening on http/ };

interface Run {
  database?: number;
  listening?: number;
  healthy: number;
  stop: number;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(2));

async function startOnce(dataDir: string, timeoutMs: number, nodeArgs: string[]): Promise<Run> {
  const server = spawnServer({
    port: await freePort(),
    database: { dataDir },
    nodeArgs,
    marks: MARKS,
  });
  try {
    const healthy = await waitHealthy(server, timeoutMs);
    const stop = await stopServer(server);
    const exit = await server.exited;
    if (exit !== 0) log(`the server exited with ${exit} after SIGTERM`);
    return { ...Object.fromEntries(server.marks), healthy, stop };
  } finally {
    await stopServer(server).catch(() => undefined);
  }
}

/** ms for node to start and load what main.js loads before it opens the database. */
function loadTime(): number {
  const started = performance.now();
  const load = spawnSync(
    process.execPath,
    [
      '-e',
      "require('reflect-metadata'); require('./dist/src/server'); require('./dist/src/db/bootstrap'); require('./dist/src/db/database')",
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (load.status !== 0) throw new Error('loading dist/src failed');
  return performance.now() - started;
}

/** ms for the embedded PostgreSQL to start on the existing folder (then stopped). */
async function postgresTime(dataDir: string): Promise<number> {
  const started = performance.now();
  const pg = await startEmbeddedPostgres(dataDir);
  const ms = performance.now() - started;
  await pg.stop();
  return ms;
}

async function measure(dataDir: string): Promise<{ first: Run; runs: Run[] }> {
  log(`first start (initialises the cluster in ${dataDir})`);
  const first = await startOnce(dataDir, 180_000, []);
  log(`first start: /healthz 200 after ${seconds(first.healthy)} s`);
  const nodeArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const runs: Run[] = [];
  for (let i = 1; i <= RESTARTS; i++) {
    runs.push(await startOnce(dataDir, 60_000, nodeArgs));
    log(`restart ${i}: /healthz 200 after ${seconds(runs[i - 1].healthy)} s`);
  }
  if (PROFILE_DIR) log(`CPU profiles of the restarts: ${path.resolve(PROFILE_DIR)}`);
  return { first, runs };
}

/** The start split by the log lines and the two parts timed apart (estimates from medians). */
function breakdown(runs: Run[], load: number, postgres: number): string[] {
  const of = (name: keyof Run) => median(runs.map((r) => r[name] ?? NaN));
  const [database, listening, healthy] = [of('database'), of('listening'), of('healthy')];
  const rows: [string, number][] = [
    ['node starts and loads the compiled code (timed apart)', load],
    ['embedded PostgreSQL starts on the existing folder (timed apart)', postgres],
    [
      'the rest until "database:": database check, connection pool, migrations check',
      database - load - postgres,
    ],
    [
      '"database:" to "listening": bootstrap admin check, schema and server build, listen',
      listening - database,
    ],
    ['"listening" to the first 200 from /healthz (polled every 20 ms)', healthy - listening],
  ];
  return markdownTable(
    ['part of a restart (medians)', 's'],
    [false, true],
    rows.map(([what, ms]) => [what, seconds(ms)]),
  );
}

function runTable(runs: Run[]): string[] {
  const rows = runs.map((r, i) => [
    String(i + 1),
    seconds(r.database),
    seconds(r.listening),
    seconds(r.healthy),
    seconds(r.stop),
  ]);
  return markdownTable(
    ['restart', '"database:" line s', '"listening" line s', '/healthz 200 s', 'stop s'],
    [false, true, true, true, true],
    rows,
  );
}

async function main(): Promise<number> {
  ensureBuilt();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'empress-restart-'));
  try {
    const { first, runs } = await measure(dataDir);
    const loads = Array.from({ length: SIDE_RUNS }, () => loadTime());
    const postgres: number[] = [];
    for (let i = 0; i < SIDE_RUNS; i++) postgres.push(await postgresTime(dataDir));

    const healthy = median(runs.map((r) => r.healthy));
    const met = healthy <= TARGET_MS;
    const lines = [
      ...runTable(runs),
      '',
      `first start, which initialises the cluster: ${seconds(first.healthy)} s to /healthz 200 (not part of the target)`,
      `median from spawn to the first 200 from /healthz: ${seconds(healthy)} s (target ≤ ${TARGET_MS / 1000} s: ${met ? 'met' : '**missed**'})`,
      '',
      ...breakdown(runs, median(loads), median(postgres)),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!met && !PROFILE_DIR)
      log(
        'where a restart spends its time: BENCH_START_PROFILE=/tmp/start-profiles npm run bench:start',
      );
    return met ? 0 : 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
