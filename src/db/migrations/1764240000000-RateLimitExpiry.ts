import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * rate_limits rows say when they are spent (expires_at: the end of their window), so that the
 * maintenance job can delete them without knowing each limiter's window.
 *
 * Rows already there get a day past their window's start: no limiter's window may be longer
 * (LOGIN_WINDOW_MINUTES and VERIFY_WINDOW_SECONDS both stop at one day), so no live count is lost.
 */
export class RateLimitExpiry1764240000000 implements MigrationInterface {
  name = 'RateLimitExpiry1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rate_limits ADD COLUMN expires_at timestamptz`);
    await q.query(`UPDATE rate_limits SET expires_at = window_start + interval '1 day'`);
    await q.query(`ALTER TABLE rate_limits ALTER COLUMN expires_at SET NOT NULL`);
    await q.query(`DROP INDEX rate_limits_window_start_idx`);
    await q.query(`CREATE INDEX rate_limits_expires_at_idx ON rate_limits (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX rate_limits_expires_at_idx`);
    await q.query(`CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start)`);
    await q.query(`ALTER TABLE rate_limits DROP COLUMN expires_at`);
  }
}
