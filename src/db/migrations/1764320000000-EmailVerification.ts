import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Confirmed email addresses: when the service sends email, new accounts confirm theirs by a
 * link, and only a confirmed address accepts an invitation. Accounts made before count as
 * confirmed. The links' tokens are kept as SHA-256 digests only.
 */
export class EmailVerification1764320000000 implements MigrationInterface {
  name = 'EmailVerification1764320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await q.query(`UPDATE users SET email_verified_at = created_at`);
    await q.query(`
      CREATE TABLE email_verifications (
        token_digest bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at)`,
    );
    await q.query(`CREATE INDEX email_verifications_expires ON email_verifications (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_verifications`);
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
