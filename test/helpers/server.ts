import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer, type BuildOptions, type BuiltServer } from '../../src/server';
import { graphqlClient, type Gql } from './graphql';

export interface TestServer {
  url: string;
  dataSource: DataSource;
  server: BuiltServer;
  config: Config;
  /** POST a GraphQL document over real HTTP, from 127.0.0.1 (graphqlClient for another address) */
  gql: Gql;
  close(): Promise<void>;
}

/**
 * The whole run signs up hundreds of users from 127.0.0.1 into one database, whose sign-up counts
 * every server shares: test servers lift the sign-up limits unless a test sets them
 * (test/security/sign-up.test.ts does, on a database of its own).
 */
export const TEST_SIGNUP_LIMITS = {
  SIGNUP_MAX_PER_ADDRESS: '1000000',
  SIGNUP_MAX_TOTAL: '10000000',
};

/**
 * Every server of the run shares the database, so any of them may deliver another test's webhook:
 * all may send to the receivers tests run on loopback (the development switch). The refusals of
 * private addresses are tested on a database of their own (test/webhooks/ssrf.test.ts).
 */
export const TEST_WEBHOOKS = { WEBHOOK_ALLOW_PRIVATE: 'true' };

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (globalSetup)');
  return url;
}

export interface TestServerOptions extends BuildOptions {
  /** the address to listen on (default 127.0.0.1); `url` stays on 127.0.0.1 */
  host?: string;
  /** default: this run's database */
  databaseUrl?: string;
  /** the application name of its database connections, to find them in pg_stat_activity */
  applicationName?: string;
}

/**
 * The real server (buildServer, as in production) on a random port of 127.0.0.1 (or `host`),
 * against this run's database. Tests talk to it only over HTTP.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  // Quiet unless a test asks for the log (LOG_LEVEL and a logStream to capture it).
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...TEST_SIGNUP_LIMITS,
    ...TEST_WEBHOOKS,
    ...env,
  });
  // applicationName: to find this server's own connections in pg_stat_activity
  const dataSource = createDataSource({
    url: options.databaseUrl ?? testDatabaseUrl(),
    poolSize: 10,
    applicationName: options.applicationName,
  });
  await dataSource.initialize();
  const {
    host = '127.0.0.1',
    databaseUrl: _url,
    applicationName: _name,
    ...buildOptions
  } = options;
  const server = await buildServer(config, dataSource, buildOptions);
  await server.app.listen({ port: 0, host });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dataSource,
    server,
    config,
    gql: graphqlClient(url),
    async close() {
      await server.close();
      await dataSource.destroy();
    },
  };
}

/**
 * Runs this instance's maintenance until `done` holds. Other test files' servers share the
 * database and its maintenance lock, so a run of ours may be skipped, or another instance may do
 * the purge: what a test can rely on is the outcome, not which run got there.
 */
export async function maintainUntil(t: TestServer, done: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await t.server.services.maintenance.runOnce();
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
