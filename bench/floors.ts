import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import fastifyApollo from '@as-integrations/fastify';
import Fastify from 'fastify';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';

/**
 * The floors of `npm run bench`, each a server of its own in this process (started by the bench as
 * a child: `node -r @swc-node/register bench/floors.ts <mode> [databaseUrl]`), printing
 * `LISTENING <port>` once it answers. What the machine and the stack can do at best, measured in
 * the same run as the project:
 * - hello: bare node:http answering a fixed body;
 * - memory: node:http + a Basic header parsed + a map lookup + SHA-256 + timingSafeEqual (a warm
 *   verification with nothing else);
 * - postgres: node:http + one indexed lookup in PostgreSQL + SHA-256 (a cold verification);
 * - apollo: a bare Apollo Server 5 on Fastify, one-field schema, no plugins (the GraphQL stack's floor);
 * - page: node:http + pg answering the bench's page of API keys (`{ "t": teamId }` in the body's
 *   variables, the caller's bearer token) with the statements the project sends for it, on the
 *   project's own database, serialised to the same JSON: the floor of that page, what is left
 *   when GraphQL, the ORM and the project's code cost nothing.
 * Keys: `floor_<i>` with secret `secret_<i>`, i < 200.
 */
const KEYS = 200;
const digest = (secret: string) => createHash('sha256').update(secret).digest();

function credentials(header: string | undefined): { key: string; secret: string } | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) } : null;
}

function matches(stored: Buffer | undefined, secret: string): boolean {
  return stored !== undefined && timingSafeEqual(stored, digest(secret));
}

function listen(server: http.Server): void {
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
  });
}

function hello(): void {
  listen(http.createServer((_req, res) => res.end('{"status":"ok"}')));
}

function memory(): void {
  const table = new Map<string, Buffer>();
  for (let i = 0; i < KEYS; i++) table.set(`floor_${i}`, digest(`secret_${i}`));
  listen(
    http.createServer((req, res) => {
      const c = credentials(req.headers.authorization);
      res.statusCode = c && matches(table.get(c.key), c.secret) ? 200 : 401;
      res.end();
    }),
  );
}

async function postgres(url: string): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 20 });
  const table = `bench_floor_${randomBytes(4).toString('hex')}`;
  await pool.query(`CREATE UNLOGGED TABLE ${table} (key text PRIMARY KEY, digest bytea NOT NULL)`);
  for (let i = 0; i < KEYS; i++)
    await pool.query(`INSERT INTO ${table} VALUES ($1, $2)`, [`floor_${i}`, digest(`secret_${i}`)]);
  process.on('SIGTERM', () => {
    void pool
      .query(`DROP TABLE ${table}`)
      .finally(() => pool.end())
      .finally(() => process.exit(0));
  });
  listen(
    http.createServer((req, res) => {
      const c = credentials(req.headers.authorization);
      if (!c) return void res.writeHead(401).end();
      pool.query(`SELECT digest FROM ${table} WHERE key = $1`, [c.key]).then(
        ({ rows }: { rows: { digest: Buffer }[] }) => {
          res.statusCode = matches(rows[0]?.digest, c.secret) ? 200 : 401;
          res.end();
        },
        () => res.writeHead(500).end(),
      );
    }),
  );
}

async function apollo(): Promise<void> {
  const server = new ApolloServer({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'world' } },
  });
  await server.start();
  const app = Fastify();
  await app.register(fastifyApollo(server), { path: '/graphql' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`LISTENING ${(app.server.address() as AddressInfo).port}\n`);
}

/** The statements the project sends for the bench's page (see test/performance/statement-count.test.ts). */
const PAGE_SQL = {
  session: `SELECT s.id AS session_id, s.last_seen_at, to_jsonb(u) AS user FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_digest = $1 AND s.expires_at > now()`,
  caller: `SELECT q.team_id, q.user_id, mp.permissions, to_jsonb(t) AS team FROM unnest($1::uuid[], $2::uuid[]) AS q(team_id, user_id)
    LEFT JOIN member_permissions mp ON mp.team_id = q.team_id AND mp.user_id = q.user_id LEFT JOIN teams t ON t.id = q.team_id`,
  page: `SELECT (SELECT count(*)::int FROM api_keys k WHERE k.team_id = $1) AS total, true AS cursor_ok, p.key, mp.permissions AS owner_permissions
    FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT to_jsonb(k) AS key, k.created_at, k.id, k.team_id, k.owner_id FROM api_keys k
    WHERE k.team_id = $1 ORDER BY k.created_at DESC, k.id DESC LIMIT $2) p ON true
    LEFT JOIN member_permissions mp ON mp.team_id = p.team_id AND mp.user_id = p.owner_id ORDER BY p.created_at DESC, p.id DESC`,
  users: `SELECT id, email, name, password_hash, is_platform_admin, created_at FROM users WHERE id = ANY($1::uuid[])`,
};

type Row = Record<string, unknown>;

/** One key of the page, with the fields the bench asks for. */
function keyNode(
  key: Row,
  ownerPermissions: string[] | null,
  users: Map<string, Row>,
  held: Set<string>,
) {
  const person = (id: unknown) => {
    const user = typeof id === 'string' ? users.get(id) : undefined;
    return user ? { id: user.id, name: user.name } : null;
  };
  const revoked = key.revoked_at !== null;
  const expired = key.expires_at !== null && new Date(key.expires_at as string) < new Date();
  const scopes = key.scopes as string[];
  return {
    id: key.id,
    key: key.key,
    name: key.name,
    status: revoked ? 'REVOKED' : expired ? 'EXPIRED' : 'ACTIVE',
    scopes,
    effectiveScopes: scopes.filter(
      (s) => !s.startsWith('apiKeys:') || ownerPermissions?.includes(s),
    ),
    secretLast4: key.secret_last4,
    expiresAt: key.expires_at ? new Date(key.expires_at as string).toISOString() : null,
    createdAt: new Date(key.created_at as string).toISOString(),
    lastUsedAt: key.last_used_at ? new Date(key.last_used_at as string).toISOString() : null,
    lastUsedIp: key.last_used_ip,
    owner: ownerPermissions ? person(key.owner_id) : null,
    createdBy: person(key.created_by_id),
    viewerCanUpdate: !revoked && held.has('apiKeys:update'),
    viewerCanRegenerate: !revoked && held.has('apiKeys:regenerate'),
    viewerCanRevoke: held.has('apiKeys:revoke'),
  };
}

/** Prepared, as the project prepares its hot reads: parsed and planned once per connection. */
const prepared = (pool: Pool, name: keyof typeof PAGE_SQL, values: unknown[]) =>
  pool.query({ name, text: PAGE_SQL[name], values });

async function pageAnswer(pool: Pool, token: string, teamId: string): Promise<string> {
  const [session] = (await prepared(pool, 'session', [digest(token)])).rows as Row[];
  if (!session) throw new Error('unauthenticated');
  const [caller] = (await prepared(pool, 'caller', [[teamId], [(session.user as Row).id]]))
    .rows as Row[];
  const held = new Set((caller?.permissions as string[] | null) ?? []);
  const rows = (await prepared(pool, 'page', [teamId, 51])).rows as Row[];
  const keys = rows.filter((r) => r.key !== null).slice(0, 50);
  const ids = new Set(
    keys.flatMap(({ key }) => [(key as Row).owner_id, (key as Row).created_by_id]),
  );
  const users = new Map(
    ((await prepared(pool, 'users', [[...ids].filter(Boolean)])).rows as Row[]).map((u) => [
      u.id as string,
      u,
    ]),
  );
  const edges = keys.map((r) => ({
    node: keyNode(r.key as Row, r.owner_permissions as string[] | null, users, held),
  }));
  return JSON.stringify({ data: { apiKeys: { totalCount: rows[0].total, edges } } });
}

function page(url: string): void {
  const pool = new Pool({ connectionString: url, max: 20 });
  listen(
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { variables: { t: string } };
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        pageAnswer(pool, token, body.variables.t).then(
          (json) => res.writeHead(200, { 'content-type': 'application/json' }).end(json),
          () => res.writeHead(401).end(),
        );
      });
    }),
  );
}

const [mode, url] = process.argv.slice(2);
const start: Record<string, () => void | Promise<void>> = {
  hello,
  memory,
  postgres: () => postgres(url),
  apollo,
  page: () => page(url),
};
if (!start[mode]) throw new Error(`unknown floor ${mode}`);
void Promise.resolve(start[mode]());
