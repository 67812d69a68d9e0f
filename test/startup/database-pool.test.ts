import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { testDatabaseUrl } from '../helpers/server';

/**
 * DATABASE_POOL_SIZE bounds the connections one instance opens to PostgreSQL, so that several
 * instances can share one database's max_connections: asked for 10 queries at once, an instance
 * with a pool of 3 runs 3 and queues the rest.
 */
it('an instance with DATABASE_POOL_SIZE=3 holds at most 3 connections, whatever it is asked at once', async () => {
  const config = loadConfig({
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_POOL_SIZE: '3',
    HEAVY_WORK_CONNECTIONS: '1',
  });
  const database = await openDatabase(config, () => undefined);
  const observer = new Client({ connectionString: testDatabaseUrl() });
  await observer.connect();
  try {
    const marker = `pool-size-${randomUUID()}`;
    const running = Promise.all(
      Array.from({ length: 10 }, () =>
        database.dataSource.query(`SELECT pg_sleep(0.3) /* ${marker} */`),
      ),
    );
    await new Promise((r) => setTimeout(r, 150));
    const { rows } = await observer.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%${marker}%`],
    );
    await running;
    expect(rows[0].n).toBe(3);
  } finally {
    await observer.end();
    await database.close();
  }
});

it('refuses a pool that leaves no room beside the heavy work', () => {
  expect(() => loadConfig({ DATABASE_POOL_SIZE: '4', HEAVY_WORK_CONNECTIONS: '4' })).toThrow(
    new ConfigError('HEAVY_WORK_CONNECTIONS must be below DATABASE_POOL_SIZE'),
  );
});
