import { Client } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { testDatabaseUrl } from './server';

/**
 * A database of a test file's own, beside the run's: for what must not be shared with the other
 * test files (a whole-service count, the listeners a change waits for). `create` makes it (with
 * the migrations applied when asked), `drop` removes it, even with connections still open.
 */
export interface OwnDatabase {
  url: string;
  create(options?: { migrated?: boolean }): Promise<void>;
  drop(): Promise<void>;
}

export function ownDatabase(suffix: string): OwnDatabase {
  const name = `${new URL(testDatabaseUrl()).pathname.slice(1)}_${suffix}`;
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async create({ migrated = false } = {}) {
      await asAdmin(`CREATE DATABASE ${name}`);
      if (!migrated) return;
      const dataSource = createDataSource({ url: url.toString(), poolSize: 2 });
      await dataSource.initialize();
      await dataSource.runMigrations({ transaction: 'each' });
      await dataSource.destroy();
    },
    drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function asAdmin(sql: string): Promise<void> {
  const admin = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
