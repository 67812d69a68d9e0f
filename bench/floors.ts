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
 * - apollo: a bare Apollo Server 5 on Fastify, one-field schema, no plugins (the GraphQL stack's floor).
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

const [mode, url] = process.argv.slice(2);
const start: Record<string, () => void | Promise<void>> = {
  hello,
  memory,
  postgres: () => postgres(url),
  apollo,
};
if (!start[mode]) throw new Error(`unknown floor ${mode}`);
void Promise.resolve(start[mode]());
