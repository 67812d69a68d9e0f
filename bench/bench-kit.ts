import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Config } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import { ensureDatabase } from '../src/db/database';
import { exitWith } from '../src/db/exit-with';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres';
import { buildServer, type BuildOptions, type BuiltServer } from '../src/server';
import { CreateTeamDocument, SignUpDocument } from '../test/clients/generated/graphql';
import { documentText, graphqlClient, type Variables } from '../test/helpers/graphql';

/**
 * What the benchmarks (`npm run bench:*`) share: a database of their own, the real server on
 * 127.0.0.1, a few GraphQL calls to set up data (with the tests' client), percentiles and a Markdown table.
 */

export const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Runs a bench script in a process of its own (a load generator must never share a thread with
 * what it measures) and resolves with the JSON it writes to stdout.
 */
export function jsonFromProcess<T>(script: string, args: string[]): Promise<T> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script, ...args], {
    cwd: path.resolve(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as T)
        : reject(new Error(`${script} exited with ${code}`)),
    ),
  );
}

/** Runs a benchmark's main and exits with the code it returns (see exitWith); a throw shows its stack. */
export function runBench(main: () => Promise<number>): void {
  exitWith(main, (error) =>
    error instanceof Error ? (error.stack ?? error.message) : String(error),
  );
}

export interface Bench {
  /** base URL of the server, http://127.0.0.1:<port> */
  url: string;
  /** URL of the benchmark's own database */
  dbUrl: string;
  server: BuiltServer;
  dataSource: DataSource;
}

/**
 * Opens a database of its own (openBenchDatabase), applies the migrations, starts the real server
 * (buildServer, as in production) with `config` on a random port of 127.0.0.1, runs `run`, then
 * closes the server and drops the database (or stops the embedded PostgreSQL), whatever happens.
 */
export async function withBench<T>(
  config: Config,
  run: (bench: Bench) => Promise<T>,
  options: BuildOptions = {},
): Promise<T> {
  const db = await openBenchDatabase();
  let dataSource: DataSource | undefined;
  let server: BuiltServer | undefined;
  try {
    dataSource = createDataSource({ url: db.url, poolSize: 20, applicationName: 'empress-bench' });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });

    server = await buildServer(config, dataSource, options);
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const address = server.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return await run({ url, dbUrl: db.url, server, dataSource });
  } finally {
    await server?.close().catch(() => undefined);
    await dataSource?.destroy().catch(() => undefined);
    await db.close();
  }
}

/** DATABASE_URL's server with a database of its own, or an embedded PostgreSQL in a temp folder. */
export async function openBenchDatabase(): Promise<{ url: string; close(): Promise<void> }> {
  const name = `empress_bench_${randomBytes(4).toString('hex')}`;
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    dir = mkdtempSync(path.join(tmpdir(), 'empress-bench-pg-'));
    log(`starting an embedded PostgreSQL in ${dir}`);
    embedded = await startEmbeddedPostgres(dir);
    adminUrl = embedded.adminUrl;
  }
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async close() {
      if (embedded) {
        await embedded.stop().catch(() => undefined);
        if (dir) rmSync(dir, { recursive: true, force: true });
        return;
      }
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** POST a typed GraphQL document with the tests' client (test/helpers/graphql.ts); its `data`, or an exception carrying the errors. */
export async function gql<TData, TVariables extends Variables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<TData> {
  const res = await graphqlClient(url)(document, variables, headers);
  if (res.errors || !res.data)
    throw new Error(`${documentText(document).slice(0, 60)}: ${res.text}`);
  return res.data;
}

export interface BenchUser {
  token: string;
  userId: string;
  /** Authorization: Bearer <token> */
  headers: Record<string, string>;
}

/** A new account through signUp (the server must allow sign-up), signed in. */
export async function signUpBenchUser(url: string): Promise<BenchUser> {
  const email = `bench.${randomBytes(4).toString('hex')}@example.com`;
  const { signUp } = await gql(url, SignUpDocument, {
    email,
    password: 'bench password 123',
    name: 'Bench owner',
  });
  return {
    token: signUp.token,
    userId: signUp.user.id,
    headers: { authorization: `Bearer ${signUp.token}` },
  };
}

export async function createBenchTeam(url: string, user: BenchUser, name: string): Promise<string> {
  return (await gql(url, CreateTeamDocument, { name }, user.headers)).createTeam.id;
}

/** p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A Markdown table; `right` marks the columns to align right (numbers). */
export function markdownTable(header: string[], right: boolean[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(right.map((r) => (r ? '---:' : '---'))), ...rows.map(line)];
}
