import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a person sees of their sessions (mySessions): when each was last used, from which client
 * and address it signed in. Existing sessions have none of these.
 */
export class SessionDetails1764200000000 implements MigrationInterface {
  name = 'SessionDetails1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz, ADD COLUMN user_agent text, ADD COLUMN ip text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE sessions DROP COLUMN last_seen_at, DROP COLUMN user_agent, DROP COLUMN ip`,
    );
  }
}
