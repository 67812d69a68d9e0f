import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer } from '../../src/server';

/**
 * The real server (buildServer) in a process of its own, against TEST_DATABASE_URL, on a random
 * port of 127.0.0.1, so a test can watch that process's memory (/proc/<pid>/status) while it
 * serves. Prints `PORT <n>` when it listens. Stops on SIGTERM/SIGINT, and when its stdin closes
 * (the test process that started it is gone).
 *
 *   node -r @swc-node/register test/helpers/export-server.ts
 */
async function main(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const dataSource = createDataSource({ url, poolSize: 4 });
  await dataSource.initialize();
  const server = await buildServer(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }), dataSource);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.stdout.write(`PORT ${port}\n`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
