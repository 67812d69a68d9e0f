import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface OpenDatabase {
  dataSource: DataSource;
  /** 'DATABASE_URL' or the embedded cluster's data folder */
  source: string;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE = 'empress';

/**
 * DATABASE_URL when set (docker-compose, production); otherwise an embedded PostgreSQL with its
 * data under DATA_DIR (./.data). Either way, migrations run before anything else touches it.
 */
export async function openDatabase(
  config: Config,
  log: (line: string) => void,
): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    const dataSource = await initialise(
      createDataSource({ url: config.databaseUrl, poolSize: config.databasePoolSize }),
    );
    return { dataSource, source: 'DATABASE_URL', close: () => dataSource.destroy() };
  }
  const dir = path.resolve(config.dataDir);
  const embedded = await startEmbeddedPostgres(dir, (line) => {
    if (/ERROR|FATAL|PANIC/.test(line)) log(line);
  });
  try {
    await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
    const dataSource = await initialise(
      createDataSource({
        url: embedded.urlFor(EMBEDDED_DATABASE),
        poolSize: config.databasePoolSize,
      }),
    );
    return {
      dataSource,
      source: `embedded PostgreSQL in ${dir}`,
      async close() {
        await dataSource.destroy().catch(() => undefined);
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

async function initialise(dataSource: DataSource): Promise<DataSource> {
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
