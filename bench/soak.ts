import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/db/embedded-postgres';
import { newApiSecret } from '../src/modules/api-key/api-key-format';
import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  VerifyApiCredentialsDocument,
} from '../test/clients/generated/graphql';
import { documentText } from '../test/helpers/graphql';
import {
  createBenchTeam,
  gql,
  log,
  openBenchDatabase,
  runBench,
  signUpBenchUser,
  type BenchUser,
} from './bench-kit';
import {
  ensureBuilt,
  ROOT,
  spawnServer,
  stopServer,
  waitHealthy,
  type ServerProcess,
} from './server-process';
import type { MixLoad, MixResult } from './soak-load';
import { report, type Verifications } from './soak-report';
import { scrapeMetrics, takeSample, type Sample } from './soak-sample';

/**
 * `npm run bench:soak`: the server's memory and event loop under a long mixed load.
 *
 * The real server runs as `npm start` runs it (`node dist/src/main.js`, built first if dist/ is
 * missing) with NODE_ENV=production, its default logging (to /dev/null), on a database of its own
 * (openBenchDatabase: a new database on DATABASE_URL's server, else an embedded PostgreSQL in a
 * temporary folder). Through the API: one owner signs up, makes a team and KEYS keys. Then
 * autocannon, from a process of its own (bench/soak-load.ts), runs for BENCH_SOAK_SECONDS: each
 * connection goes round a list that authorizes every key in turn on GET /v1/authorize, with one
 * other request after every fifth key, in turn: a wrong secret on /v1/authorize (a 401, a database
 * write), `{ __typename }`, verifyApiCredentials, and an apiKeys(first: 50) page as the owner.
 *
 * Every SAMPLE_SECONDS: the server's VmRSS (/proc/<pid>/status), and from its /metrics the heap,
 * the event loop's p99 delay since the last sample, the requests answered, the usage queue.
 * Printed as a table and sparklines; drawn as an SVG chart (BENCH_SOAK_PLOT).
 *
 * Targets (exit 1 if one is missed): RSS ≤ 250 MB at every sample; flat: over the last 4 minutes
 * of the load (the last 4/5 of a shorter run: the first minute fills caches and pools), the lowest
 * RSS of the last minute is at most 10 % above the lowest of the first (soak-report.ts says why
 * the lows); and every answer is the expected one (200, or 401 for the wrong secrets; no errors,
 * no verification code but VALID and INVALID).
 *
 * Environment: DATABASE_URL (optional), BENCH_SOAK_SECONDS (300), BENCH_SOAK_CONNECTIONS (16),
 * BENCH_SOAK_RATE (requests per second in all; unset: as fast as the server answers),
 * BENCH_SOAK_PLOT (the SVG file; <tmpdir>/empress-soak.svg), BENCH_SOAK_NODE_OPTIONS (options
 * for the server's node only, as a deployment could set them: --max-old-space-size=128).
 */
const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const CONNECTIONS = Number(process.env.BENCH_SOAK_CONNECTIONS ?? 16);
const RATE = process.env.BENCH_SOAK_RATE ? Number(process.env.BENCH_SOAK_RATE) : undefined;
const PLOT = process.env.BENCH_SOAK_PLOT ?? path.join(tmpdir(), 'empress-soak.svg');
const NODE_ARGS = process.env.BENCH_SOAK_NODE_OPTIONS?.split(/\s+/).filter(Boolean) ?? [];
const SAMPLE_SECONDS = 10;
const KEYS = 100;
const SERVER_ENV = {
  NODE_ENV: 'production',
  // production turns sign-up off; the bench's owner signs up
  ALLOW_SIGNUP: 'true',
  // the wrong secrets are load here, not an attack: keep them from being rate limited
  VERIFY_MAX_FAILURES: '1000000',
};

interface Seeded {
  owner: BenchUser;
  teamId: string;
  keys: { key: string; secret: string }[];
}

async function seed(url: string): Promise<Seeded> {
  const owner = await signUpBenchUser(url);
  const teamId = await createBenchTeam(url, owner, 'Soak team');
  const keys: Seeded['keys'] = [];
  for (let i = 0; i < KEYS; i++) {
    const input = { teamId, name: `soak key ${i}`, scopes: ['orders:read'] };
    const made = await gql(url, CreateApiKeyDocument, { input }, owner.headers);
    keys.push({ key: made.createApiKey.apiKey.key, secret: made.createApiKey.secret });
  }
  return { owner, teamId, keys };
}

type Request = MixLoad['requests'][number];

const authorize = (key: string, secret: string): Request => ({
  method: 'GET',
  path: '/v1/authorize',
  headers: {
    authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`,
    'x-required-scopes': 'orders:read',
  },
});

const graphql = (query: string, variables: object, headers = {}): Request => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ query, variables }),
});

/** The list each connection goes round; `wrong`: how many of them carry a wrong secret. */
function requestMix({ owner, teamId, keys }: Seeded): { requests: Request[]; wrong: number } {
  const others: ((k: Seeded['keys'][number]) => Request)[] = [
    (k) => authorize(k.key, newApiSecret()),
    () => graphql('{ __typename }', {}),
    (k) =>
      graphql(documentText(VerifyApiCredentialsDocument), {
        key: k.key,
        secret: k.secret,
        requiredScopes: ['orders:read'],
      }),
    () => graphql(documentText(ApiKeysDocument), { teamId, first: 50 }, owner.headers),
  ];
  const requests: Request[] = [];
  let wrong = 0;
  keys.forEach((k, i) => {
    requests.push(authorize(k.key, k.secret));
    if (i % 5 !== 4) return;
    const turn = Math.floor(i / 5) % others.length;
    if (turn === 0) wrong++;
    requests.push(others[turn](k));
  });
  return { requests, wrong };
}

/** soak-load.ts in a process of its own: `started` once autocannon runs, `result` at its end. */
function startLoad(load: MixLoad) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/soak-load.ts'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(load));
  let onStarted = () => undefined as void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  let result: MixResult | undefined;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'started') onStarted();
    else if (line.startsWith('{')) result = JSON.parse(line) as MixResult;
  });
  const done = new Promise<MixResult>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 && result ? resolve(result) : reject(new Error(`the load exited with ${code}`)),
    ),
  );
  // a load that dies before it starts must not leave the caller waiting for `started`
  return { child, started: Promise.race([started, done.then(() => undefined)]), done };
}

/** Runs the load and samples the server every SAMPLE_SECONDS from its start to its end. */
async function soak(server: ServerProcess, load: MixLoad) {
  const run = startLoad(load);
  try {
    await run.started;
    const startedAt = performance.now();
    const pid = server.child.pid!;
    const samples: Sample[] = [await takeSample(pid, server.url, 0)];
    let failed = false;
    run.done.catch(() => (failed = true));
    for (let k = 1; k * SAMPLE_SECONDS <= load.seconds && !failed; k++) {
      await sleep(Math.max(0, startedAt + k * SAMPLE_SECONDS * 1000 - performance.now()));
      // at its mark (the sampler wakes a few ms after it): round times for the table and chart
      const sample = await takeSample(pid, server.url, k * SAMPLE_SECONDS);
      samples.push(sample);
      log(
        `${sample.t.toFixed(0)} s: RSS ${sample.rssMb.toFixed(0)} MB, event loop p99 ${sample.eventLoopP99Ms.toFixed(1)} ms`,
      );
    }
    return { samples, result: await run.done };
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGTERM');
  }
}

/** Credential checks by path and answer, from the server's own counter. */
async function verifications(url: string): Promise<Verifications> {
  const lines = await scrapeMetrics(url);
  return lines
    .filter((line) => line.name === 'empress_api_key_verifications_total')
    .map((line) => ({
      via: /via="([^"]*)"/.exec(line.labels)?.[1] ?? '?',
      code: /code="([^"]*)"/.exec(line.labels)?.[1] ?? '?',
      count: line.value,
    }));
}

async function main(): Promise<number> {
  ensureBuilt();
  const db = await openBenchDatabase();
  let server: ServerProcess | undefined;
  try {
    const port = await freePort();
    server = spawnServer({
      port,
      database: { url: db.url },
      env: SERVER_ENV,
      nodeArgs: NODE_ARGS,
    });
    await waitHealthy(server, 120_000);
    const seeded = await seed(server.url);
    const { requests, wrong } = requestMix(seeded);
    log(
      `${KEYS} keys; ${SECONDS} s of load, ${CONNECTIONS} connections, sample every ${SAMPLE_SECONDS} s${NODE_ARGS.length ? `; server's node options: ${NODE_ARGS.join(' ')}` : ''}`,
    );
    const load = {
      url: server.url,
      requests,
      connections: CONNECTIONS,
      seconds: SECONDS,
      rate: RATE,
    };
    const { samples, result } = await soak(server, load);
    const checks = await verifications(server.url);
    const out = report({
      samples,
      result,
      checks,
      seconds: SECONDS,
      wrongShare: wrong / requests.length,
      plot: PLOT,
    });
    writeFileSync(PLOT, out.svg);
    process.stdout.write(`${out.lines.join('\n')}\n`);
    return out.met ? 0 : 1;
  } finally {
    if (server) await stopServer(server).catch((error: Error) => log(error.message));
    await db.close();
  }
}

runBench(main);
