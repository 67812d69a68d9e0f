import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDataSource } from '../../src/db/data-source';
import { ensureDatabase } from '../../src/db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres';

/**
 * One PostgreSQL for the whole run, and a database of its own for this run:
 * - DATABASE_URL set: a new database `empress_test_<random>` on that server;
 * - otherwise: an embedded PostgreSQL in a temporary folder (under /tmp, which the `postgres`
 *   user can enter even when the checkout lives under /root).
 * Migrations run once here, exactly as at start-up. Workers read TEST_DATABASE_URL.
 */
export default async function globalSetup(): Promise<void> {
  const name = `empress_test_${randomBytes(4).toString('hex')}`;
  let adminUrl: string;
  let embedded: EmbeddedDatabase | undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'empress-test-pg-'));
    embedded = await startEmbeddedPostgres(dir);
    adminUrl = embedded.adminUrl;
    process.env.TEST_PG_DIR = dir;
  }
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  process.env.TEST_DATABASE_URL = url.toString();
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;

  const dataSource = createDataSource({ url: url.toString(), poolSize: 2 });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();

  (globalThis as { __EMBEDDED_PG__?: EmbeddedDatabase }).__EMBEDDED_PG__ = embedded;
}
