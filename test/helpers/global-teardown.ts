import { rmSync } from 'node:fs';
import type { EmbeddedDatabase } from '../../src/db/embedded-postgres';

/** Stops the embedded PostgreSQL and deletes its folder; a DATABASE_URL run keeps its database for inspection. */
export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __EMBEDDED_PG__?: EmbeddedDatabase }).__EMBEDDED_PG__;
  if (embedded) {
    await embedded.stop();
    if (process.env.TEST_PG_DIR) rmSync(process.env.TEST_PG_DIR, { recursive: true, force: true });
  }
}
