import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's credits (null: unlimited), never below zero, refilled by a set amount daily or monthly
 * (both or neither); and the default rate limit a team's rules give new keys.
 */
export class KeyCredits1764280000000 implements MigrationInterface {
  name = 'KeyCredits1764280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN credits_remaining integer CHECK (credits_remaining >= 0),
        ADD COLUMN credits_refill_amount integer CHECK (credits_refill_amount > 0),
        ADD COLUMN credits_refill_interval text CHECK (credits_refill_interval IN ('DAILY', 'MONTHLY')),
        ADD COLUMN credits_last_refill_at timestamptz,
        ADD CONSTRAINT api_keys_credits_refill_check
          CHECK ((credits_refill_amount IS NULL) = (credits_refill_interval IS NULL))`);
    await q.query(`ALTER TABLE api_key_policies ADD COLUMN default_rate_limit jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key_policies DROP COLUMN default_rate_limit`);
    await q.query(`
      ALTER TABLE api_keys
        DROP CONSTRAINT api_keys_credits_refill_check,
        DROP COLUMN credits_remaining,
        DROP COLUMN credits_refill_amount,
        DROP COLUMN credits_refill_interval,
        DROP COLUMN credits_last_refill_at`);
  }
}
