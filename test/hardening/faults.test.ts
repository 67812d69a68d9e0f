import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { freePort } from '../../src/db/embedded-postgres';
import { basic } from '../helpers/api-keys';
import { PASSWORD, uniqueEmail } from '../helpers/factories';
import {
  graphqlClient,
  type GraphQLErrorEntry,
  type TypedString,
  type Variables,
  typed,
} from '../helpers/graphql';
import { TEST_SIGNUP_LIMITS, testDatabaseUrl } from '../helpers/server';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { StoppablePostgres } from '../helpers/stoppable-postgres';
import { sleep } from '../helpers/time';

/**
 * Faults: the database away, and a stop in the middle of traffic.
 *
 * 1. The database goes away under load: a PostgreSQL of this test's own (embedded, on a fixed
 *    port) is stopped while 8 clients create roles and keys and verify credentials. Requests
 *    fail fast (each within 6 s) with HTTP 503 and "The database is unavailable", never a 500 or
 *    a stack trace; /readyz says 503. PostgreSQL comes back on the same port: the service
 *    recovers without a restart (readyz 200, mutations succeed, the LISTEN/NOTIFY feed is back
 *    and a revoke refuses the key at once), and nothing is half done: every key and role has
 *    its audit row, every SUCCESS audit row its object, and every key use counted while the
 *    database was away is written once it is back.
 * 2. SIGTERM under load: the real service process (src/main.ts) finishes the requests in
 *    flight, writes the key uses it counted (apiKey.used rows of the minute under way) and exits
 *    0 within 10 s.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const UNAVAILABLE = 'The database is unavailable; try again shortly';

const TIMEOUT_MS = 30_000;

/** A GraphQL request, timed. */
async function post<TData>(
  url: string,
  document: TypedString<TData>,
  variables: Variables = {},
  headers: Record<string, string> = {},
) {
  const started = Date.now();
  const answer = await graphqlClient(url, { headers, timeoutMs: TIMEOUT_MS })(document, variables);
  return { ...answer, ms: Date.now() - started };
}
type Answer = Awaited<ReturnType<typeof post<unknown>>>;

/** A GET, timed, its body parsed as JSON when it is JSON. */
async function get(url: string, headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  let body: { errors?: GraphQLErrorEntry[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, ms: Date.now() - started };
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function signUpOwner(url: string) {
  const email = uniqueEmail('faults');
  const up = await post(
    url,
    typed<{ signUp: { token: string; user: { id: string } } }>(
      `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, name: "Faults") { token user { id } } }`,
    ),
    { e: email, p: PASSWORD },
  );
  const headers = { authorization: `Bearer ${up.data!.signUp.token}` };
  const team = await post(
    url,
    typed<{ createTeam: { id: string } }>(`mutation { createTeam(name: "Faults") { id } }`),
    {},
    headers,
  );
  return { headers, teamId: team.data!.createTeam.id };
}

async function createKey(
  url: string,
  headers: Record<string, string>,
  teamId: string,
  name: string,
) {
  const res = await post(
    url,
    typed<{ createApiKey: { secret: string; apiKey: { id: string; key: string } } }>(
      `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id key } } }`,
    ),
    { i: { teamId, name, scopes: ['team:read'] } },
    headers,
  );
  if (!res.data) throw new Error(`createApiKey: ${res.text}`);
  const { secret, apiKey } = res.data.createApiKey;
  return { id: apiKey.id, key: apiKey.key, secret };
}

const VERIFY = typed<{ verifyApiCredentials: { valid: boolean; code: string } }>(
  `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s) { valid code } }`,
);

describe('the database goes away under load and comes back', () => {
  let dir: string;
  let port: number;
  let pg: StoppablePostgres | undefined;
  let url: string;
  let server: ServerProcess;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'empress-faults-pg-'));
    port = await freePort();
    // startEmbeddedPostgres(dir, log, { port }), in a process the test can tell to stop and start
    pg = await StoppablePostgres.start(dir, port);
    await withClient(pg.adminUrl, (c) => c.query('CREATE DATABASE empress_faults'));
    url = pg.urlFor('empress_faults');
    const migrator = createDataSource({ url, poolSize: 1 });
    await migrator.initialize();
    await migrator.runMigrations({ transaction: 'each' });
    await migrator.destroy();

    // buildServer on that database, in a process of its own (as in production)
    server = await startServerProcess({
      databaseUrl: url,
      env: { LOG_LEVEL: 'warn' },
      captureLog: true,
    });
    base = server.url;
  }, 120_000);

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    await pg?.shutdown().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('fails fast with 503 "database is unavailable" while PostgreSQL is down (each request < 6 s, no 500, no stack), readyz 503; recovers on the same port without a restart, and leaves nothing half done', async () => {
    const { headers, teamId } = await signUpOwner(base);
    const steady = await createKey(base, headers, teamId, 'steady');
    expect((await get(`${base}/readyz`)).status).toBe(200);

    type Phase = 'up' | 'down' | 'back';
    let phase: Phase = 'up';
    let running = true;
    const results: {
      phase: Phase;
      op: string;
      answer?: Answer;
      error?: string;
      createdId?: string;
    }[] = [];
    let counter = 0;

    // 8 clients: createRole, createApiKey and verifyApiCredentials in turn
    const client = async (n: number) => {
      let i = n;
      while (running) {
        const op = ['createRole', 'createApiKey', 'verify'][i++ % 3];
        const at: Phase = phase;
        const name = `load-${n}-${counter++}`;
        try {
          let answer: Answer;
          let createdId: string | undefined;
          if (op === 'createRole') {
            const created = await post(
              base,
              typed<{ createRole: { id: string } }>(
                `mutation($t: ID!, $n: String!) { createRole(teamId: $t, name: $n, permissions: ["team:read"]) { id } }`,
              ),
              { t: teamId, n: name },
              headers,
            );
            answer = created;
            createdId = created.data?.createRole?.id;
          } else if (op === 'createApiKey') {
            const created = await post(
              base,
              typed<{ createApiKey: { apiKey: { id: string } } }>(
                `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
              ),
              { i: { teamId, name } },
              headers,
            );
            answer = created;
            createdId = created.data?.createApiKey?.apiKey?.id;
          } else {
            answer = await post(base, VERIFY, { k: steady.key, s: steady.secret });
          }
          results.push({ phase: at === phase ? at : 'down', op, answer, createdId });
        } catch (error) {
          results.push({ phase: at, op, error: String(error) });
        }
        await sleep(5);
      }
    };
    const clients = Array.from({ length: 8 }, (_, n) => client(n));

    await sleep(2_000);
    const beforeStop = results.length;
    phase = 'down';
    await pg!.stop();
    await sleep(500);
    const readyDown = await get(`${base}/readyz`);
    const verifyDown = await get(`${base}/v1/authorize`, basic(steady.key, steady.secret));
    await sleep(3_000);

    // back on the same port, same data
    await pg!.restart();
    expect(pg!.port).toBe(port);
    let ready = await get(`${base}/readyz`);
    const deadline = Date.now() + 20_000;
    while (ready.status !== 200 && Date.now() < deadline) {
      await sleep(200);
      ready = await get(`${base}/readyz`);
    }
    phase = 'back';
    await sleep(2_500);
    running = false;
    await Promise.all(clients);

    // --- while it was down ---
    expect(readyDown.status).toBe(503);
    expect(readyDown.body).toEqual({ status: 'unavailable', reason: 'database unreachable' });
    expect(readyDown.ms).toBeLessThan(3_000);
    expect(verifyDown.status).toBe(503);
    expect(verifyDown.body?.errors?.[0]).toMatchObject({
      message: UNAVAILABLE,
      extensions: { reason: 'DATABASE_UNAVAILABLE' },
    });

    expect(beforeStop).toBeGreaterThan(16);
    expect(results.filter((r) => r.error)).toEqual([]);
    const down = results.filter((r) => r.phase === 'down');
    const failedDown = down.filter((r) => r.answer!.status !== 200 || r.answer!.errors);
    expect(failedDown.length).toBeGreaterThan(8);
    const wrong = failedDown.filter((r) => {
      const a = r.answer!;
      const error = a.errors?.[0];
      return (
        a.status !== 503 ||
        a.ms >= 6_000 ||
        a.errors?.length !== 1 ||
        error?.message !== UNAVAILABLE ||
        error.extensions?.code !== 'INTERNAL_SERVER_ERROR' ||
        error.extensions?.reason !== 'DATABASE_UNAVAILABLE' ||
        /stacktrace|exception|\n\s+at |ECONNREFUSED|terminat|postgres/i.test(a.text)
      );
    });
    const explain = (list: string[]) =>
      list.length ? [...list, ...server.log.filter((line) => /unexpected error/.test(line))] : list;
    expect(
      explain(
        wrong.map((r) => `${r.op}: ${r.answer!.status} in ${r.answer!.ms} ms: ${r.answer!.text}`),
      ),
    ).toEqual([]);
    // every failure was recognised as the database being away: none was logged as a bug
    expect(server.log.filter((line) => /unexpected error/.test(line))).toEqual([]);
    if (process.env.FAULTS_STATS) {
      const phases = ['up', 'down', 'back'].map(
        (p) => `${p}: ${results.filter((r) => r.phase === p).length}`,
      );
      console.log(
        `${phases.join(', ')}; failed while down: ${failedDown.length}, slowest ${Math.max(...failedDown.map((r) => r.answer!.ms))} ms`,
      );
    }
    // no answer anywhere in the run was a 500
    expect(results.filter((r) => r.answer!.status >= 500 && r.answer!.status !== 503)).toEqual([]);

    // --- back ---
    expect(ready.status).toBe(200);
    const back = results.filter((r) => r.phase === 'back');
    for (const op of ['createRole', 'createApiKey', 'verify']) {
      const ok = back.filter((r) => r.op === op && r.answer!.status === 200 && !r.answer!.errors);
      expect({ op, ok: ok.length > 0 }).toEqual({ op, ok: true });
    }
    // the last answers of every client were all good again
    expect(back.slice(-8).every((r) => r.answer!.status === 200 && !r.answer!.errors)).toBe(true);

    // the LISTEN/NOTIFY feed reconnected to the new PostgreSQL (its connection takes this name once it listens)
    let listening: unknown[] = [];
    const feedDeadline = Date.now() + 10_000;
    while (listening.length === 0 && Date.now() < feedDeadline) {
      listening = await withClient(
        pg!.adminUrl,
        async (c) =>
          (
            await c.query(
              `SELECT pid FROM pg_stat_activity WHERE application_name = 'empress-api-key-feed' AND datname = 'empress_faults'`,
            )
          ).rows,
      );
      if (listening.length === 0) await sleep(200);
    }
    expect(listening).toHaveLength(1);
    // a cached, valid key is refused at once after its revocation
    const doomed = await createKey(base, headers, teamId, 'doomed');
    for (let i = 0; i < 3; i++)
      expect(
        (await post(base, VERIFY, { k: doomed.key, s: doomed.secret })).data!.verifyApiCredentials
          .code,
      ).toBe('VALID');
    const revoked = await post(
      base,
      typed<{ revokeApiKey: { status: string } }>(
        `mutation($id: ID!) { revokeApiKey(id: $id) { status } }`,
      ),
      { id: doomed.id },
      headers,
    );
    expect(revoked.data!.revokeApiKey.status).toBe('REVOKED');
    expect(
      (await post(base, VERIFY, { k: doomed.key, s: doomed.secret })).data!.verifyApiCredentials
        .code,
    ).toBe('REVOKED');
    expect((await get(`${base}/v1/authorize`, basic(doomed.key, doomed.secret))).status).toBe(401);

    // --- nothing half done ---
    const confirmed = results.filter((r) => r.createdId).map((r) => r.createdId!);
    expect(confirmed.length).toBeGreaterThan(4);
    await withClient(url, async (c) => {
      const keys = (await c.query(`SELECT id FROM api_keys WHERE team_id = $1`, [teamId])).rows.map(
        (r) => r.id,
      );
      const roles = (
        await c.query(`SELECT id FROM roles WHERE team_id = $1 AND NOT built_in`, [teamId])
      ).rows.map((r) => r.id);
      // every object a client was told about exists
      for (const id of confirmed) expect([...keys, ...roles]).toContain(id);
      // every object has its audit row
      const audited = new Set(
        (
          await c.query(
            `SELECT target_id FROM audit_events WHERE team_id = $1 AND action IN ('apiKey.created', 'role.created') AND outcome = 'SUCCESS'`,
            [teamId],
          )
        ).rows.map((r) => r.target_id),
      );
      expect([...keys, ...roles].filter((id) => !audited.has(id))).toEqual([]);
      // every SUCCESS audit row has its object
      expect([...audited].filter((id) => !keys.includes(id) && !roles.includes(id))).toEqual([]);
      expect(audited.size).toBe(keys.length + roles.length);
    });
    // the verifications of the outage, counted while it lasted, are written once it is over: the
    // minutes that are over by the ticks, the current one when the server stops
    await server.stop();
    const validVerifications = results.filter(
      (r) =>
        r.op === 'verify' &&
        (r.answer!.data as { verifyApiCredentials?: { code: string } } | null | undefined)
          ?.verifyApiCredentials?.code === 'VALID',
    ).length;
    expect(validVerifications).toBeGreaterThan(0);
    const usage = await withClient(
      url,
      async (c) =>
        (
          await c.query(
            `SELECT count(DISTINCT e.id)::int AS rows, coalesce(sum((u->>'count')::int), 0)::int AS uses
             FROM audit_events e, jsonb_array_elements(e.metadata->'uses') AS u
            WHERE e.action = 'apiKey.used' AND e.api_key_id = $1
              AND u->>'code' = 'VALID' AND u->>'via' = 'verifyApiCredentials'`,
            [steady.id],
          )
        ).rows[0],
    );
    // every VALID answer counted once, none lost to the outage, in one row per minute or so
    expect(usage.uses).toBe(validVerifications);
    expect(usage.rows).toBeGreaterThanOrEqual(1);
    expect(usage.rows).toBeLessThanOrEqual(4);
    // its first address: one event, whatever the retries
    const fresh = await withClient(url, async (c) =>
      (
        await c.query(
          `SELECT ip FROM audit_events WHERE action = 'apiKey.usedFromNewAddress' AND api_key_id = $1`,
          [steady.id],
        )
      ).rows.map((r) => r.ip),
    );
    expect(fresh).toEqual(['127.0.0.1']);
    expect(server.log.filter((line) => /key usage dropped/.test(line))).toEqual([]);
  }, 120_000);
});

describe('SIGTERM under load', () => {
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
  });

  /** one verification on a connection of its own (as every request of the client); the answer or the socket error */
  function verifyOnce(
    port: number,
    key: string,
    secret: string,
  ): Promise<{ status?: number; code?: string; error?: string }> {
    return graphqlClient(`http://127.0.0.1:${port}`)(VERIFY, { k: key, s: secret }).then(
      (res) => ({ status: res.status, code: res.data?.verifyApiCredentials?.code }),
      (e: NodeJS.ErrnoException) => ({ error: e.code ?? e.message }),
    );
  }

  it('finishes every in-flight request, writes the apiKey.used counts of the minute under way and exits 0 within 10 s', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: testDatabaseUrl(),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        // the run's database counts every test file's sign-ups
        ...TEST_SIGNUP_LIMITS,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
      (resolve) => child!.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const deadline = Date.now() + 60_000;
    while (!/listening on/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`service did not start:\n${output}`);
      await sleep(100);
    }
    const base = `http://127.0.0.1:${port}`;
    const { headers, teamId } = await signUpOwner(base);
    const key = await createKey(base, headers, teamId, 'sigterm');

    // 8 clients verifying as fast as they can, a new connection each time
    let sigtermAt = Infinity;
    const outcomes: {
      startedAt: number;
      endedAt: number;
      status?: number;
      code?: string;
      error?: string;
    }[] = [];
    const loop = async () => {
      while (Date.now() < sigtermAt) {
        const startedAt = Date.now();
        const result = await verifyOnce(port, key.key, key.secret);
        outcomes.push({ startedAt, endedAt: Date.now(), ...result });
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await sleep(1_500);
    // stop starting requests, and signal while those in flight are still running
    sigtermAt = Date.now();
    child.kill('SIGTERM');
    // while it finishes, it tells load balancers to go away
    await sleep(100);
    const readyWhileStopping = await get(`${base}/readyz`);
    await Promise.all(loops);
    const { code, signal, at } = await exit;
    const atSignal = outcomes.filter((o) => o.startedAt < sigtermAt && o.endedAt >= sigtermAt);
    if (process.env.FAULTS_STATS)
      console.log(
        `${outcomes.length} requests, ${atSignal.length} in flight at SIGTERM; exit after ${at - sigtermAt} ms`,
      );
    expect(atSignal.length).toBeGreaterThan(0);
    expect(readyWhileStopping.status).toBe(503);
    expect(readyWhileStopping.body).toEqual({ status: 'unavailable', reason: 'shutting down' });

    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(at - sigtermAt).toBeLessThan(10_000);
    expect(output).toMatch(/SIGTERM: finishing requests in flight/);
    expect(output).toMatch(/stopped/);

    // every request started before the signal (those in flight at it included) was answered,
    // VALID: none reset, none refused
    const inFlight = outcomes.filter((o) => o.startedAt < sigtermAt);
    expect(inFlight.length).toBeGreaterThan(50);
    expect(inFlight.filter((o) => o.error)).toEqual([]);
    expect(inFlight.filter((o) => o.status !== 200 || o.code !== 'VALID')).toEqual([]);

    // and every one of them is counted in the audit log: the minute under way was written before
    // the exit (a request started in the very millisecond of the signal may be counted too)
    const used = await withClient(
      testDatabaseUrl(),
      async (c) =>
        (
          await c.query(
            `SELECT count(*)::int AS rows, count(*) FILTER (WHERE outcome <> 'SUCCESS')::int AS denied,
                  coalesce(sum((metadata->>'count')::int), 0)::int AS uses
             FROM audit_events WHERE action = 'apiKey.used' AND api_key_id = $1`,
            [key.id],
          )
        ).rows[0],
    );
    expect(used.uses).toBeGreaterThanOrEqual(inFlight.length);
    expect(used.uses).toBeLessThanOrEqual(outcomes.length);
    expect(used.denied).toBe(0);
    // one row per minute: the load lasted 1.5 s
    expect(used.rows).toBeGreaterThanOrEqual(1);
    expect(used.rows).toBeLessThanOrEqual(2);
  }, 120_000);
});
