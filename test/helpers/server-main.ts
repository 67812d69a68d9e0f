import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer } from '../../src/server';

/**
 * A second, separate server process for multi-instance tests (see child-server.ts):
 * `node -r @swc-node/register test/helpers/server-main.ts` with TEST_DATABASE_URL set. It builds
 * the real server exactly as startTestServer does, listens on a random port of 127.0.0.1 and
 * prints `EMPRESS_TEST_SERVER_PORT=<port>`. It stops on SIGTERM/SIGINT, and when its stdin
 * closes, so it never outlives the test process that started it.
 */
async function main(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const overrides = JSON.parse(process.env.EMPRESS_TEST_ENV ?? '{}') as Record<string, string>;
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', ...overrides });
  const dataSource = createDataSource({ url, poolSize: 10, applicationName: 'empress-test-child' });
  await dataSource.initialize();
  const server = await buildServer(config, dataSource);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    try {
      await server.close();
      await dataSource.destroy();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();
  process.stdout.write(`EMPRESS_TEST_SERVER_PORT=${port}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
