import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { isWellFormedSecret, newApiSecret } from '../src/modules/api-key/api-key-format';
import { CreateApiKeyDocument } from '../test/clients/generated/graphql';
import {
  createBenchTeam,
  gql,
  log,
  markdownTable,
  percentile,
  runBench,
  signUpBenchUser,
  withBench,
} from './bench-kit';
import { startLoadClient, type Expect, type Target, type TaskResult } from './http-load';

/**
 * `npm run bench:verify`: the hot path that gateways put in front of every request, key
 * verification, against the cheapest request the same HTTP stack can answer.
 *
 * Why: a gateway (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz, or a service calling
 * verifyApiCredentials) asks on every request it lets through, so this is the latency added to
 * every API call of the platform and the rate one instance can sustain. Good credentials should
 * cost about what /healthz costs (the key is cached, the usage event is queued, nothing waits for
 * the database); a wrong secret costs a database write (the failure counter); a secret whose
 * checksum fails costs no query at all.
 *
 * 1. A database of its own (as bench:audit: a new database on DATABASE_URL's server, else an
 *    embedded PostgreSQL in a temporary folder), migrations, the real server (buildServer) on
 *    127.0.0.1. One user signs up, creates a team and one key with scope orders:read (GraphQL).
 * 2. Scenarios, over real HTTP:
 *    - baseline: GET /healthz (the same Fastify stack and hooks: request id, metrics; no database);
 *    - GET /v1/authorize, Basic credentials of the key, X-Required-Scopes: orders:read (warm: the
 *      key is in the verification cache after the warm-up; expect 200 + X-Empress-Team-Id);
 *    - verifyApiCredentials, good credentials, requiredScopes and clientIp (warm; expect VALID);
 *    - verifyApiCredentials, a wrong secret with a valid checksum (expect INVALID): the key comes
 *      from the cache, then the failure is counted in PostgreSQL (rate_limits, one upsert for the
 *      client address and one for the gateway's) and traced as an apiKey.used event;
 *    - verifyApiCredentials, a secret whose checksum fails (expect INVALID): no query at all.
 *    The failure limit is raised in the config object (limits.verifyFailures = 1,000,000, so the
 *    gateway's own limit is 20,000,000) so that RATE_LIMITED never shows up in the figures; every
 *    answer is checked, so it would be caught. One clientIp (203.0.113.7) throughout.
 * 3. For each scenario: WARMUP requests then REQUESTS sequential ones, p50/p95 in ms; then, after
 *    all of those, CONCURRENCY clients (one keep-alive connection each) for SECONDS seconds:
 *    answers per second. Each as a ratio to the baseline measured in the same run. The requests
 *    come from a separate process (bench/http-load.ts), so this process is the server: its RSS
 *    is taken before and after each throughput run, and the depth of the usage-event queue is
 *    sampled during it. Queued usage events are flushed after each run (part of its cost, not
 *    of the next scenario's). How well they are batched is shown as events per write
 *    transaction (rows of one transaction share its xmin), in the sequential and the
 *    concurrent run: the recorder is meant to write about once a second.
 * 4. Checks (exit 1 on a failure): every answer is the expected one; every answer about the key
 *    was written as an apiKey.used event (the batches are part of the real cost and stay on),
 *    short only by what the usage recorder reports as dropped.
 *
 * The server logs at `warn` (as in bench:audit): production's `info` writes one JSON line per
 * request to stdout, which would be measured too and mixed into the table.
 *
 * Environment: DATABASE_URL (optional), BENCH_REQUESTS (1000), BENCH_SECONDS (10),
 * BENCH_CONCURRENCY (16).
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP = 100;
const SCOPE = 'orders:read';
const CLIENT_IP = '203.0.113.7';
const USER_AGENT = 'empress-bench';

interface Scenario {
  name: string;
  target: Target;
  expect: Expect;
  /** the server traces each answer as an apiKey.used event */
  traced: boolean;
}

interface Window {
  from: Date;
  to: Date;
}

interface Result {
  name: string;
  p50: number;
  p95: number;
  rps: number;
  rssBefore: number;
  rssAfter: number;
  queueMax: number;
  /** ms the usage recorder took to write what was still queued after the throughput run */
  drainMs: number;
  /** apiKey.used events per write transaction of the usage recorder: sequential run, throughput run */
  perWrite: [number, number];
  answered: number;
  wrong: number;
  errors: number;
  samples: string[];
}

const VERIFY = `mutation($k: String!, $s: String!, $r: [String!], $ip: String) {
  verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r, clientIp: $ip) { valid code teamId scopes apiKey { id name } }
}`;

async function main(): Promise<number> {
  const started = Date.now();
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', ALLOW_SIGNUP: 'true' });
  config.limits.verifyFailures = 1_000_000;
  return withBench(config, async ({ url, server, dataSource }) => {
    const owner = await signUpBenchUser(url);
    const teamId = await createBenchTeam(url, owner, 'Bench team');
    const created = await gql(
      url,
      CreateApiKeyDocument,
      { input: { teamId, name: 'bench gateway key', scopes: [SCOPE] } },
      owner.headers,
    );
    const { key } = created.createApiKey.apiKey;
    const { secret } = created.createApiKey;
    const wrongSecret = newApiSecret();
    const last = secret.at(-1) === 'A' ? 'B' : 'A';
    const badChecksum = secret.slice(0, -1) + last;
    if (!isWellFormedSecret(wrongSecret) || isWellFormedSecret(badChecksum))
      throw new Error('test secrets are not what they should be');
    log(`key ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const scenarios = scenariosFor(url, { teamId, key, secret, wrongSecret, badChecksum });
    const load = startLoadClient();
    const results: Result[] = [];
    const windows: { latency: Window; throughput: Window }[] = [];
    try {
      const latencies: TaskResult[] = [];
      for (const sc of scenarios) {
        const from = new Date();
        const r = await load.run({
          kind: 'latency',
          target: sc.target,
          expect: sc.expect,
          warmup: WARMUP,
          requests: REQUESTS,
        });
        latencies.push(r);
        windows.push({ latency: { from, to: new Date() }, throughput: { from, to: from } });
        log(
          `${sc.name}: p50 ${percentile(r.timings, 50).toFixed(2)} ms, p95 ${percentile(r.timings, 95).toFixed(2)} ms`,
        );
      }
      await server.services.usage.flush();
      for (const [i, sc] of scenarios.entries()) {
        const rssBefore = process.memoryUsage().rss;
        let queueMax = 0;
        const sampler = setInterval(
          () => (queueMax = Math.max(queueMax, server.services.usage.depth)),
          50,
        );
        const from = new Date();
        const r = await load.run({
          kind: 'throughput',
          target: sc.target,
          expect: sc.expect,
          concurrency: CONCURRENCY,
          seconds: SECONDS,
        });
        windows[i].throughput = { from, to: new Date() };
        clearInterval(sampler);
        const rssAfter = process.memoryUsage().rss;
        const drainAt = Date.now();
        await server.services.usage.flush();
        const drainMs = Date.now() - drainAt;
        const lat = latencies[i];
        const result: Result = {
          name: sc.name,
          p50: percentile(lat.timings, 50),
          p95: percentile(lat.timings, 95),
          rps: (r.answered / r.elapsedMs) * 1000,
          rssBefore,
          rssAfter,
          queueMax,
          drainMs,
          perWrite: [0, 0],
          answered: lat.answered + r.answered,
          wrong: lat.wrong + r.wrong,
          errors: lat.errors + r.errors,
          samples: [...lat.samples, ...r.samples].slice(0, 3),
        };
        results.push(result);
        log(
          `${sc.name}: ${result.rps.toFixed(0)} req/s with ${CONCURRENCY} clients, RSS ${mb(rssBefore)} → ${mb(rssAfter)} MB, usage queue max ${queueMax}`,
        );
      }
    } finally {
      load.stop();
    }

    // Every (expected) answer about the key is an apiKey.used event, written in batches.
    await server.services.usage.flush();
    const expectedEvents = results.reduce(
      (n, r, i) => n + (scenarios[i].traced ? r.answered - r.wrong : 0),
      0,
    );
    const [{ n: writtenEvents }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'apiKey.used'`,
    );
    const dropped = server.services.usage.dropped;
    // Rows written by one transaction share its xmin: events per transaction of the usage recorder.
    for (const [i, r] of results.entries()) {
      if (!scenarios[i].traced) continue;
      const perWrite = async (w: Window) => {
        const [row] = await dataSource.query(
          `SELECT count(*)::float8 / greatest(count(DISTINCT xmin::text), 1) AS n FROM audit_events
            WHERE action = 'apiKey.used' AND occurred_at >= $1 AND occurred_at <= $2`,
          [w.from, w.to],
        );
        return Number(row.n);
      };
      r.perWrite = [await perWrite(windows[i].latency), await perWrite(windows[i].throughput)];
    }
    const counters: { bucket: string; count: number }[] = await dataSource.query(
      `SELECT bucket, count FROM rate_limits ORDER BY bucket`,
    );

    const baseline = results[0];
    const ratio = (value: number, base: number) => (value / base).toFixed(2);
    const lines = [
      '',
      `### Key verification: ${REQUESTS} sequential requests each (after ${WARMUP} warm-up), then ${CONCURRENCY} concurrent keep-alive clients for ${SECONDS} s`,
      '',
      ...markdownTable(
        [
          'scenario',
          'p50 ms',
          'p95 ms',
          'p50 × baseline',
          'p95 × baseline',
          'req/s',
          'req/s × baseline',
          'RSS MB before → after',
          'usage queue max',
          'usage drain ms',
          'events per usage write (seq / load)',
        ],
        [false, true, true, true, true, true, true, true, true, true, true],
        results.map((r, i) => [
          `${r.wrong || r.errors ? '**FAIL** ' : ''}${r.name}`,
          r.p50.toFixed(2),
          r.p95.toFixed(2),
          ratio(r.p50, baseline.p50),
          ratio(r.p95, baseline.p95),
          r.rps.toFixed(0),
          ratio(r.rps, baseline.rps),
          `${mb(r.rssBefore)} → ${mb(r.rssAfter)}`,
          scenarios[i].traced ? String(r.queueMax) : '',
          scenarios[i].traced ? String(r.drainMs) : '',
          scenarios[i].traced ? `${r.perWrite[0].toFixed(0)} / ${r.perWrite[1].toFixed(0)}` : '',
        ]),
      ),
      '',
      `apiKey.used events written: ${writtenEvents.toLocaleString('en')} of ${expectedEvents.toLocaleString('en')} answers about the key (${dropped} dropped by the usage recorder)`,
      `failure counters (rate_limits): ${counters.map((c) => `${c.bucket} = ${c.count.toLocaleString('en')}`).join(', ') || 'none'} (limit raised to ${config.limits.verifyFailures.toLocaleString('en')} per address)`,
      '',
    ];
    process.stdout.write(lines.join('\n'));

    const failed = results.filter((r) => r.wrong || r.errors);
    for (const r of failed) {
      log(
        `\nunexpected answers for "${r.name}": ${r.wrong} wrong, ${r.errors} transport errors of ${r.answered + r.errors}; e.g.\n  ${r.samples.join('\n  ')}`,
      );
    }
    const eventsOk = writtenEvents + dropped === expectedEvents;
    if (!eventsOk)
      log(
        `\napiKey.used events: ${writtenEvents} written + ${dropped} dropped, expected ${expectedEvents}`,
      );
    if (dropped)
      log(`warning: the usage recorder dropped ${dropped} events (its queue is bounded)`);
    log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return failed.length || !eventsOk ? 1 : 0;
  });
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

function scenariosFor(
  url: string,
  k: { teamId: string; key: string; secret: string; wrongSecret: string; badChecksum: string },
): Scenario[] {
  const verify = (name: string, secret: string, code: 'VALID' | 'INVALID'): Scenario => ({
    name,
    target: {
      url,
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
      body: JSON.stringify({
        query: VERIFY,
        variables: { k: k.key, s: secret, r: [SCOPE], ip: CLIENT_IP },
      }),
    },
    expect: {
      status: 200,
      bodyIncludes:
        code === 'VALID'
          ? ['"code":"VALID"', `"teamId":"${k.teamId}"`]
          : ['"code":"INVALID"', '"valid":false'],
    },
    traced: code === 'VALID' || secret === k.wrongSecret,
  });
  const basic = `Basic ${Buffer.from(`${k.key}:${k.secret}`).toString('base64')}`;
  return [
    {
      name: 'baseline: GET /healthz (no database)',
      target: { url, method: 'GET', path: '/healthz', headers: { 'user-agent': USER_AGENT } },
      expect: { status: 200, bodyIncludes: ['"status":"ok"'] },
      traced: false,
    },
    {
      name: 'GET /v1/authorize, good credentials (cached)',
      target: {
        url,
        method: 'GET',
        path: '/v1/authorize',
        headers: { authorization: basic, 'x-required-scopes': SCOPE, 'user-agent': USER_AGENT },
      },
      expect: {
        status: 200,
        headers: { 'x-empress-team-id': k.teamId },
        bodyIncludes: ['"code":"VALID"'],
      },
      traced: true,
    },
    verify('verifyApiCredentials, good credentials (cached)', k.secret, 'VALID'),
    verify(
      'verifyApiCredentials, wrong secret, valid checksum (failure counted in PostgreSQL)',
      k.wrongSecret,
      'INVALID',
    ),
    verify('verifyApiCredentials, checksum fails (no query)', k.badChecksum, 'INVALID'),
  ];
}

runBench(main);
