import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config';
import { createTeam, signUp, type SignedInUser } from '../helpers/factories';
import { codeOf, graphqlClient, type Variables, typed } from '../helpers/graphql';
import { httpRequest, type HttpAnswer } from '../helpers/http';
import { seed } from '../helpers/seed';
import {
  startTestServer,
  TEST_SIGNUP_LIMITS,
  TEST_WEBHOOKS,
  type TestServer,
} from '../helpers/server';

/**
 * Safe when started as the README says (`npm install && npm start`, or docker compose up):
 * - with NODE_ENV unset, no error answer carries a stack trace, a source path or an internal
 *   message; only NODE_ENV=development, set on purpose, shows them;
 * - /metrics without METRICS_TOKEN answers callers on this machine only, judged by the socket's
 *   address (a forged X-Forwarded-For does not make a caller local);
 * - docker-compose.yml has no default database password: it refuses to start until one is set.
 */

const post = (
  url: string,
  query: string,
  variables: Variables = {},
  headers: Record<string, string> = {},
) => graphqlClient(url)(query, variables, headers);

/** Anything that tells an attacker how the server is built: stacks, source paths, module names. */
const INTERNALS =
  /stacktrace|"exception"|\n\s+at |\\n\s+at |node_modules|\/src\/|\.ts:\d+|\.js:\d+|\/work\//;

const AUDIT_PAGE = `query($t: ID!, $a: String) { auditEvents(teamId: $t, after: $a) { edges { cursor } } }`;
const CREATE_TEAM = `mutation($n: String!) { createTeam(name: $n) { id } }`;

/**
 * A real failure inside PostgreSQL for one team name only: a trigger that raises an error whose
 * text stands for an internal message (nothing a client should read). Other tests sharing the
 * database never use that name.
 */
const FORCED = `force-internal-${randomBytes(4).toString('hex')}`;
const INTERNAL_MESSAGE = `internal detail ${FORCED} in relation teams`;

async function installForcedFailure(t: TestServer): Promise<void> {
  const fn = `fail_${FORCED.replace(/-/g, '_')}`;
  await t.dataSource.query(
    `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.name = '${FORCED}' THEN RAISE EXCEPTION '${INTERNAL_MESSAGE}'; END IF; RETURN NEW; END $$`,
  );
  await t.dataSource.query(
    `CREATE TRIGGER ${fn} BEFORE INSERT ON teams FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  );
}

async function removeForcedFailure(t: TestServer): Promise<void> {
  const fn = `fail_${FORCED.replace(/-/g, '_')}`;
  await t.dataSource.query(`DROP TRIGGER IF EXISTS ${fn} ON teams`);
  await t.dataSource.query(`DROP FUNCTION IF EXISTS ${fn}()`);
}

describe('NODE_ENV unset (npm start as the README says)', () => {
  let t: TestServer;
  let dev: TestServer;
  let owner: SignedInUser;
  let teamId: string;
  beforeAll(async () => {
    // '' is how the environment says "unset" to loadConfig; the two give the same configuration
    ({
      t,
      owner,
      team: { id: teamId },
    } = await seed({ NODE_ENV: '' }).owner('safe-defaults').team('Safe defaults'));
    dev = await startTestServer({ NODE_ENV: 'development' });
    await installForcedFailure(t);
  });
  afterAll(async () => {
    if (t) await removeForcedFailure(t);
    await t?.close();
    await dev?.close();
  });

  it('is configured exactly as with no NODE_ENV variable at all', () => {
    expect(t.config).toEqual(
      loadConfig({ LOG_LEVEL: 'silent', ...TEST_SIGNUP_LIMITS, ...TEST_WEBHOOKS }),
    );
  });

  it('sends webhooks only to public https addresses unless told otherwise', () => {
    expect(loadConfig({}).webhooks.allowPrivate).toBe(false);
  });

  it('answers a malformed cursor with BAD_USER_INPUT and no stack trace or source path', async () => {
    const answer = await post(t.url, AUDIT_PAGE, { t: teamId, a: 'not-a-cursor' }, owner.headers);
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors![0].extensions?.stacktrace).toBeUndefined();
    expect(answer.text).not.toMatch(INTERNALS);
  });

  it('answers a failure inside the database with a bare INTERNAL_SERVER_ERROR: no stack, no path, no internal message', async () => {
    const answer = await post(t.url, CREATE_TEAM, { n: FORCED }, owner.headers);
    expect(answer.errors).toEqual([
      {
        message: 'Internal server error',
        path: ['createTeam'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(answer.text).not.toContain('internal detail');
    expect(answer.text).not.toMatch(INTERNALS);
  });

  it('shows no stack on parse, validation and variable errors either', async () => {
    const answers = [
      await post(t.url, `{ me { id `),
      await post(t.url, `{ noSuchField }`),
      await post(t.url, AUDIT_PAGE, { t: teamId, a: 5 }, owner.headers),
      await post(
        t.url,
        `query($f: Int) { auditEvents(teamId: "${teamId}", first: $f) { edges { cursor } } }`,
        { f: 2 ** 40 },
        owner.headers,
      ),
    ];
    for (const answer of answers) {
      expect(answer.errors?.length).toBeGreaterThan(0);
      expect(answer.text).not.toMatch(INTERNALS);
    }
  });

  it('keeps what makes a local start useful: introspection for the GraphiQL playground, and sign-up', async () => {
    const answer = await graphqlClient(t.url)(
      typed<{ __schema: { queryType: { name: string } } }>(`{ __schema { queryType { name } } }`),
    );
    expect(answer.data!.__schema.queryType.name).toBe('Query');
    expect(t.config.allowSignup).toBe(true);
    const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
  });

  it('shows stack traces and the internal message only with NODE_ENV=development set explicitly', async () => {
    // (the failing trigger is in the database both servers share)
    const ownerDev = await signUp(dev, 'safe-defaults-dev');
    const team = await createTeam(dev, ownerDev, 'Dev');
    const cursor = await post(
      dev.url,
      AUDIT_PAGE,
      { t: team.id, a: 'not-a-cursor' },
      ownerDev.headers,
    );
    expect(codeOf(cursor)).toBe('BAD_USER_INPUT');
    expect(cursor.errors![0].extensions?.stacktrace).toEqual(
      expect.arrayContaining([expect.stringMatching(/\.ts:\d+/)]),
    );
    const failure = await post(dev.url, CREATE_TEAM, { n: FORCED }, ownerDev.headers);
    expect(failure.errors![0].message).toContain(INTERNAL_MESSAGE);
    expect(failure.errors![0].extensions?.stacktrace).toEqual(
      expect.arrayContaining([expect.any(String)]),
    );
  });
});

/** An address of this machine that is not loopback (eth0's, say), to call the server from. */
function nonLoopbackAddress(): string | null {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter(
    (i) => !i.internal && !(i.family === 'IPv6' && i.address.startsWith('fe80:')),
  );
  return (external.find((i) => i.family === 'IPv4') ?? external[0])?.address ?? null;
}

describe('/metrics without METRICS_TOKEN', () => {
  const external = nonLoopbackAddress();
  let open: TestServer;
  let dual: TestServer;
  let guarded: TestServer;
  const token = randomBytes(16).toString('hex');
  beforeAll(async () => {
    if (!external)
      console.log(
        'no non-loopback address on this machine: the /metrics tests from another address are skipped',
      );
    // on every IPv4 address, as `npm start` does (HOST defaults to 0.0.0.0); and on IPv6 and IPv4
    // both ('::': IPv4 callers arrive as ::ffff:a.b.c.d), believing every X-Forwarded-For
    open = await startTestServer({}, { host: '0.0.0.0' });
    dual = await startTestServer({ TRUST_PROXY: 'true' }, { host: '::' });
    guarded = await startTestServer({ METRICS_TOKEN: token }, { host: '0.0.0.0' });
  });
  afterAll(async () => {
    await open?.close();
    await dual?.close();
    await guarded?.close();
  });

  const portOf = (t: TestServer) => new URL(t.url).port;
  const host = (address: string) => (address.includes(':') ? `[${address}]` : address);
  const metricsFrom = (
    t: TestServer,
    address: string,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> =>
    httpRequest(`http://${host(address)}:${portOf(t)}/metrics`, { localAddress: address, headers });

  it('answers a caller on loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.1)', async () => {
    expect(open.config.metricsToken).toBeUndefined();
    const v4 = await metricsFrom(open, '127.0.0.1');
    expect(v4.status).toBe(200);
    expect(v4.text).toContain('empress_http_requests_total');
    expect((await metricsFrom(open, '127.5.6.7')).status).toBe(200);
    expect((await metricsFrom(dual, '::1')).status).toBe(200);
    expect((await metricsFrom(dual, '127.0.0.1')).status).toBe(200);
  });

  (external ? it : it.skip)(
    "refuses a caller from another address of this machine's network, with no metric in the answer",
    async () => {
      for (const t of [open, dual]) {
        const answer = await metricsFrom(t, external!);
        expect([403, 404]).toContain(answer.status);
        expect(answer.text).not.toContain('empress_');
        // the same caller is served elsewhere: only /metrics is local
        expect(
          (
            await httpRequest(`http://${host(external!)}:${portOf(t)}/healthz`, {
              localAddress: external!,
            })
          ).status,
        ).toBe(200);
      }
    },
  );

  (external ? it : it.skip)(
    'is not fooled by X-Forwarded-For: 127.0.0.1, even when every proxy is trusted',
    async () => {
      for (const t of [open, dual]) {
        const forged: Record<string, string>[] = [
          { 'x-forwarded-for': '127.0.0.1' },
          { 'x-forwarded-for': '::1' },
          { forwarded: 'for=127.0.0.1' },
          { 'x-real-ip': '127.0.0.1' },
        ];
        for (const headers of forged) {
          const answer = await metricsFrom(t, external!, headers);
          expect([403, 404]).toContain(answer.status);
          expect(answer.text).not.toContain('empress_');
        }
      }
    },
  );

  it('refuses a request forwarded by a proxy on this machine (loopback socket, the real client in X-Forwarded-For)', async () => {
    for (const t of [open, dual]) {
      const forwarded: Record<string, string>[] = [
        { 'x-forwarded-for': '198.51.100.7' },
        { forwarded: 'for=198.51.100.7' },
        { 'x-real-ip': '198.51.100.7' },
      ];
      for (const headers of forwarded) {
        const answer = await metricsFrom(t, '127.0.0.1', headers);
        expect([403, 404]).toContain(answer.status);
        expect(answer.text).not.toContain('empress_');
      }
    }
  });

  (external ? it : it.skip)(
    'with METRICS_TOKEN set, answers the token from any address and refuses everyone else, loopback included',
    async () => {
      expect(
        (await metricsFrom(guarded, external!, { authorization: `Bearer ${token}` })).status,
      ).toBe(200);
      expect((await metricsFrom(guarded, external!)).status).toBe(401);
      expect((await metricsFrom(guarded, '127.0.0.1')).status).toBe(401);
    },
  );
});

describe('docker-compose.yml', () => {
  const file = path.join(__dirname, '../../docker-compose.yml');
  const compose = parseYaml(readFileSync(file, 'utf8'));

  /** Every string value of the file, with where it is. */
  function strings(node: unknown, at = ''): [string, string][] {
    if (typeof node === 'string') return [[at, node]];
    if (Array.isArray(node)) return node.flatMap((v, i) => strings(v, `${at}[${i}]`));
    if (node && typeof node === 'object')
      return Object.entries(node).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
    return [];
  }

  it('uses POSTGRES_PASSWORD only in the required form ${POSTGRES_PASSWORD:?message}, never with a default', () => {
    const uses = strings(compose).flatMap(([where, value]) =>
      [...value.matchAll(/\$\{POSTGRES_PASSWORD([^}]*)\}|\$POSTGRES_PASSWORD\b/g)].map((m) => ({
        where,
        form: m[0],
        rest: m[1] ?? '',
      })),
    );
    expect(uses.map((u) => u.where).sort()).toEqual([
      'services.api.environment.DATABASE_URL',
      'services.postgres.environment.POSTGRES_PASSWORD',
    ]);
    for (const use of uses) expect(use.rest).toMatch(/^:\?\S.{10,}/);
  });

  it('stops with a message naming POSTGRES_PASSWORD when it is unset or empty, and starts with it set', () => {
    const unset: Record<string, string>[] = [{}, { POSTGRES_PASSWORD: '' }];
    for (const env of unset) {
      expect(() => interpolate(compose, env)).toThrow(/POSTGRES_PASSWORD/);
    }
    const secret = randomBytes(8).toString('hex');
    const resolved = interpolate(compose, { POSTGRES_PASSWORD: secret }) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    expect(resolved.services.postgres.environment.POSTGRES_PASSWORD).toBe(secret);
    expect(resolved.services.api.environment.DATABASE_URL).toBe(
      `postgres://empress:${secret}@postgres:5432/empress`,
    );
  });

  it('runs the service in production mode and passes METRICS_TOKEN through', () => {
    expect(compose.services.api.environment.NODE_ENV).toBe('production');
    expect(compose.services.api.environment.METRICS_TOKEN).toMatch(/^\$\{METRICS_TOKEN:?-\}$/);
  });

  it('the deployment guide sets the password before its first docker compose up', () => {
    const readme = readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
    const up = readme.indexOf('docker compose up');
    expect(up).toBeGreaterThan(0);
    expect(readme.lastIndexOf('POSTGRES_PASSWORD=', up)).toBeGreaterThan(
      readme.lastIndexOf('\n## ', up),
    );
  });
});

/**
 * Compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alt}`, `$VAR` and `$$`, applied to every string value (as `docker
 * compose config` does; no Docker engine runs here). A required variable that is missing throws
 * with compose's message.
 */
function interpolate(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') {
    return node.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (all, name, colon, op, arg, bare) => {
        if (all === '$$') return '$';
        if (bare) return env[bare] ?? '';
        const value = env[name];
        const missing = value === undefined || (colon === ':' && value === '');
        if (op === '?' && missing)
          throw new Error(`required variable ${name} is missing a value: ${arg}`);
        if (op === '-' && missing) return arg;
        if (op === '+') return missing ? '' : arg;
        return value ?? '';
      },
    );
  }
  if (Array.isArray(node)) return node.map((v) => interpolate(v, env));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, env)]));
  return node;
}
