import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer, type BuildOptions, type BuiltServer } from '../../src/server';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
}

export interface TestServer {
  url: string;
  dataSource: DataSource;
  server: BuiltServer;
  config: Config;
  /** POST a GraphQL document over real HTTP */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (globalSetup)');
  return url;
}

/**
 * The real server (buildServer, as in production) on a random port of 127.0.0.1, against this
 * run's database. Tests talk to it only over HTTP.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: BuildOptions & { applicationName?: string } = {},
): Promise<TestServer> {
  // Quiet unless a test asks for the log (LOG_LEVEL and a logStream to capture it).
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  // applicationName: to find this server's own connections in pg_stat_activity
  const dataSource = createDataSource({ url: testDatabaseUrl(), poolSize: 10, applicationName: options.applicationName });
  await dataSource.initialize();
  const server = await buildServer(config, dataSource, options);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dataSource,
    server,
    config,
    async gql(query, variables, headers = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = { errors: [{ message: text }] };
      }
      return { status: res.status, headers: res.headers, data: body.data, errors: body.errors };
    },
    async close() {
      await server.close();
      await dataSource.destroy();
    },
  };
}
