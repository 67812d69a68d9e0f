import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { newApiSecret } from '../src/modules/api-key/api-key-format';
import { CreateApiKeyDocument } from '../test/clients/generated/graphql';
import type { Load, LoadResult } from './autocannon-run';
import { coldLatency } from './cold-latency';
import {
  createBenchTeam,
  gql,
  jsonFromProcess,
  log,
  markdownTable,
  runBench,
  signUpBenchUser,
  withBench,
} from './bench-kit';

/**
 * `npm run bench`: the project's hot paths against the floors of the machine and the stack, in one
 * run. Floors (bench/floors.ts) and the project (the real server, NODE_ENV=production, default
 * logging to /dev/null) are loaded by autocannon from a process of its own (bench/autocannon-run.ts),
 * 32 connections, ROUNDS interleaved rounds of SECONDS seconds, medians. Prints the table with the
 * ratios and the targets, writes it into docs/benchmarks.md, and exits 1 when a target is missed.
 *
 * Environment: DATABASE_URL (optional; else an embedded PostgreSQL), BENCH_SECONDS (6),
 * BENCH_ROUNDS (3), BENCH_CONNECTIONS (32); BENCH_ONLY (comma-separated path names: a quick look
 * at some paths while working on them; it checks no target and writes nothing); BENCH_PROFILE (a
 * file: the server's CPU profile while the load runs, for Chrome DevTools or speedscope).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ONLY = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const KEYS = 200;
const ROOT = path.resolve(__dirname, '..');
const basic = (key: string, secret: string) =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
const json = (query: string, variables: object = {}) => JSON.stringify({ query, variables });
const VERIFY = `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: ["orders:read"]) { valid code } }`;
const KEY_PAGE = `query($t: ID!) { apiKeys(teamId: $t, first: 50) { totalCount edges { node {
  id key name status scopes effectiveScopes secretLast4 expiresAt createdAt lastUsedAt lastUsedIp
  owner { id name } createdBy { id name } viewerCanUpdate viewerCanRegenerate viewerCanRevoke } } } }`;

interface Path {
  name: string;
  load: Omit<Load, 'connections' | 'seconds'>;
}

/** A floor server in a child process; resolves with its URL once it listens. */
function startFloor(mode: string, dbUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', 'bench/floors.ts', mode, dbUrl],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const port = /LISTENING (\d+)/.exec(chunk.toString())?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, child });
    });
    child.once('exit', (code) => reject(new Error(`floor ${mode} exited with ${code}`)));
  });
}

/** One autocannon run from a process of its own. */
function loadOnce(load: Load): Promise<LoadResult> {
  return jsonFromProcess<LoadResult>('bench/autocannon-run.ts', [JSON.stringify(load)]);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(paths: Path[]): Promise<Map<string, LoadResult>> {
  const runs = new Map<string, LoadResult[]>(paths.map((p) => [p.name, []]));
  for (const p of paths) await loadOnce({ ...p.load, connections: CONNECTIONS, seconds: 1 });
  for (let round = 1; round <= ROUNDS; round++) {
    for (const p of paths) {
      const result = await loadOnce({ ...p.load, connections: CONNECTIONS, seconds: SECONDS });
      if (result.failures)
        throw new Error(`${p.name}: ${result.failures} of ${result.total} failed`);
      runs.get(p.name)!.push(result);
      log(`round ${round} ${p.name}: ${Math.round(result.requestsPerSecond)} req/s`);
    }
  }
  return new Map(
    [...runs].map(([name, results]) => [
      name,
      {
        requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
        p50: median(results.map((r) => r.p50)),
        p99: median(results.map((r) => r.p99)),
        failures: 0,
        total: results.reduce((sum, r) => sum + r.total, 0),
      },
    ]),
  );
}

/** Runs `run` under the CPU profiler when `file` is set, and writes the profile there. */
async function profiled<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  if (!file) return run();
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

interface Target {
  name: string;
  ratio: number;
  wanted: number;
  /** higher is better (throughput); false: lower is better (latency) */
  atLeast: boolean;
}

/** A ratio that must reach `wanted` (throughput), or stay under it (latency, cost). */
const atLeast = (name: string, ratio: number, wanted: number): Target => ({
  name,
  ratio,
  wanted,
  atLeast: true,
});
const atMost = (name: string, ratio: number, wanted: number): Target => ({
  name,
  ratio,
  wanted,
  atLeast: false,
});

/** Median latency (ms) of first uses: the project's /v1/authorize, and the PostgreSQL floor's. */
interface Cold {
  project: number;
  floor: number;
}

function targets(r: Map<string, LoadResult>, cold: Cold): Target[] {
  const rps = (name: string) => r.get(name)!.requestsPerSecond;
  const p99 = (name: string) => Math.max(r.get(name)!.p99, 1);
  return [
    atLeast('/v1/authorize ÷ /healthz (req/s)', rps('authorize') / rps('healthz'), 0.8),
    atLeast('/v1/authorize ÷ warm floor (req/s)', rps('authorize') / rps('floor memory'), 0.4),
    atMost('/v1/authorize p99 ÷ /healthz p99', p99('authorize') / p99('healthz'), 2),
    atLeast(
      '/v1/authorize, key with a rate limit ÷ without',
      rps('authorize limited') / rps('authorize'),
      0.9,
    ),
    atLeast(
      '/v1/authorize, key with credits ÷ without',
      rps('authorize metered') / rps('authorize'),
      0.9,
    ),
    atMost('cold /v1/authorize ÷ cold floor (latency)', cold.project / cold.floor, 1.3),
    atLeast('verifyApiCredentials ÷ { __typename }', rps('verify') / rps('typename'), 0.8),
    atLeast('{ __typename } ÷ bare Apollo', rps('typename') / rps('floor apollo'), 0.9),
    // a request's cost is the inverse of the rate it is answered at
    atMost('wrong secret ÷ right secret (cost)', rps('verify') / rps('verify wrong secret'), 2),
    atLeast('apiKeys(first: 50) ÷ { __typename }', rps('apiKeys 50') / rps('typename'), 0.3),
  ];
}

/**
 * Where the floors put the page's target: the page answered with the project's own statements and
 * nothing else (floor page) against { __typename }, and how much of that floor the project reaches.
 */
function bounds(r: Map<string, LoadResult>): string[][] {
  const rps = (name: string) => r.get(name)?.requestsPerSecond;
  const [floor, project, typename] = [rps('floor page'), rps('apiKeys 50'), rps('typename')];
  if (!floor || !project || !typename) return [];
  return [
    [
      'floor page ÷ { __typename }: the most the page can reach with its statements',
      floor / typename,
    ],
    ['apiKeys(first: 50) ÷ floor page', project / floor],
  ].map(([name, ratio]) => [name as string, `${(ratio as number).toFixed(2)}×`]);
}

function report(results: Map<string, LoadResult>, cold: Cold, checks: Target[]): string[] {
  const rows = [...results].map(([name, r]) => [
    name,
    Math.round(r.requestsPerSecond).toLocaleString('en'),
    `${r.p50} / ${r.p99}`,
  ]);
  rows.push(
    ['cold floor (first use, one at a time)', '', `${cold.floor} / –`],
    ['cold authorize (first use, one at a time)', '', `${cold.project} / –`],
  );
  const table = markdownTable(['path', 'req/s', 'p50 / p99 ms'], [false, true, true], rows);
  const goals = markdownTable(
    ['target', 'measured', 'wanted', ''],
    [false, true, true, false],
    checks.map((c) => [
      c.name,
      `${c.ratio.toFixed(2)}×`,
      `${c.atLeast ? '≥' : '≤'} ${c.wanted}×`,
      met(c) ? 'met' : '**missed**',
    ]),
  );
  const limits = bounds(results);
  const floors = limits.length
    ? ['', ...markdownTable(['bound', 'ratio'], [false, true], limits)]
    : [];
  return [...table, '', ...goals, ...floors];
}

const met = (c: Target) => (c.atLeast ? c.ratio >= c.wanted : c.ratio <= c.wanted);

function writeDocs(lines: string[]): void {
  const file = path.join(ROOT, 'docs', 'benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const block = ['<!-- npm run bench: start -->', ...lines, '<!-- npm run bench: end -->'].join(
    '\n',
  );
  const marked = /<!-- npm run bench: start -->[\s\S]*<!-- npm run bench: end -->/;
  writeFileSync(
    file,
    marked.test(text) ? text.replace(marked, block) : `${text.trimEnd()}\n\n${block}\n`,
  );
}

async function main(): Promise<number> {
  const config = loadConfig({ NODE_ENV: 'production', ALLOW_SIGNUP: 'true' });
  config.limits.verifyFailures = 100_000_000;
  const logStream = pino.destination({ dest: '/dev/null', sync: false });
  return withBench(
    config,
    async ({ url, dbUrl }) => {
      const owner = await signUpBenchUser(url);
      const teamId = await createBenchTeam(url, owner, 'Bench team');
      const keys: { key: string; secret: string }[] = [];
      for (let i = 0; i < KEYS; i++) {
        const input = { teamId, name: `bench key ${i}`, scopes: ['orders:read'] };
        const made = await gql(url, CreateApiKeyDocument, { input }, owner.headers);
        keys.push({ key: made.createApiKey.apiKey.key, secret: made.createApiKey.secret });
      }
      const [first] = keys;
      // the same kind of key with a rate limit, and one with credits, it never reaches in the run
      const benchKey = async (name: string, extra: Record<string, unknown>) => {
        const input = { teamId, name, scopes: ['orders:read'], ...extra };
        const made = await gql(url, CreateApiKeyDocument, { input }, owner.headers);
        return { key: made.createApiKey.apiKey.key, secret: made.createApiKey.secret };
      };
      const limited = await benchKey('bench key with a rate limit', {
        rateLimit: { limit: 1_000_000, windowSeconds: 600 },
      });
      const metered = await benchKey('bench key with credits', {
        credits: { remaining: 1_000_000_000 },
      });
      const floors = await Promise.all(
        ['hello', 'memory', 'postgres', 'apollo', 'page'].map((mode) => startFloor(mode, dbUrl)),
      );
      try {
        const [hello, memory, postgres, apollo, pageFloor] = floors.map((f) => f.url);
        const graphql = (body: string, headers: Record<string, string> = {}) => ({
          url: `${url}/graphql`,
          method: 'POST' as const,
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
        const authorizeWith = (name: string, k: { key: string; secret: string }): Path => ({
          name,
          load: {
            url: `${url}/v1/authorize`,
            headers: { authorization: basic(k.key, k.secret), 'x-required-scopes': 'orders:read' },
          },
        });
        const paths: Path[] = [
          { name: 'floor hello', load: { url: hello } },
          {
            name: 'floor memory',
            load: { url: memory, headers: { authorization: basic('floor_7', 'secret_7') } },
          },
          {
            name: 'floor postgres',
            load: { url: postgres, headers: { authorization: basic('floor_7', 'secret_7') } },
          },
          {
            name: 'floor apollo',
            load: { ...graphql('{"query":"{ __typename }"}'), url: `${apollo}/graphql` },
          },
          { name: 'healthz', load: { url: `${url}/healthz` } },
          authorizeWith('authorize', first),
          authorizeWith('authorize limited', limited),
          authorizeWith('authorize metered', metered),
          { name: 'typename', load: graphql('{"query":"{ __typename }"}') },
          { name: 'verify', load: graphql(json(VERIFY, { k: first.key, s: first.secret })) },
          {
            name: 'verify wrong secret',
            load: graphql(json(VERIFY, { k: first.key, s: newApiSecret() })),
          },
          {
            name: 'floor page',
            load: { ...graphql(json(KEY_PAGE, { t: teamId }), owner.headers), url: pageFloor },
          },
          { name: 'apiKeys 50', load: graphql(json(KEY_PAGE, { t: teamId }), owner.headers) },
        ];
        // first uses since start: every key but the first, which the load below warms
        const cold = {
          project: await coldLatency(
            `${url}/v1/authorize`,
            keys.slice(1).map((k) => basic(k.key, k.secret)),
          ),
          floor: await coldLatency(
            postgres,
            keys.slice(1).map((_, i) => basic(`floor_${i}`, `secret_${i}`)),
          ),
        };
        log(`cold /v1/authorize p50 ${cold.project} ms, cold floor p50 ${cold.floor} ms`);
        if (ONLY) {
          const chosen = paths.filter((p) => ONLY.includes(p.name));
          const results = await profiled(process.env.BENCH_PROFILE, () => measure(chosen));
          process.stdout.write(`${report(results, cold, []).join('\n')}\n`);
          return 0;
        }
        const results = await measure(paths);
        const checks = targets(results, cold);
        const lines = report(results, cold, checks);
        process.stdout.write(`${lines.join('\n')}\n`);
        writeDocs([
          `Measured ${new Date().toISOString().slice(0, 10)}: ${ROUNDS} interleaved rounds of ${SECONDS} s, ${CONNECTIONS} connections, medians.`,
          '',
          ...lines,
        ]);
        return checks.every(met) ? 0 : 1;
      } finally {
        for (const f of floors) f.child.kill('SIGTERM');
      }
    },
    { logStream },
  );
}

runBench(main);
