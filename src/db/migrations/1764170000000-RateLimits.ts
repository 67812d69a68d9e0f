import { MigrationInterface, QueryRunner } from 'typeorm';

/** Failure counters shared by every instance (see src/security/failure-limiter.ts). */
export class RateLimits1764170000000 implements MigrationInterface {
  name = 'RateLimits1764170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rate_limits (
        bucket text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        count integer NOT NULL
      )`);
    await q.query(`CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limits`);
  }
}
