import { MigrationInterface, QueryRunner } from 'typeorm';

/** A key's rate limit ({ limit, windowSeconds }); null: no limit. */
export class KeyRateLimits1764270000000 implements MigrationInterface {
  name = 'KeyRateLimits1764270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN rate_limit jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN rate_limit`);
  }
}
