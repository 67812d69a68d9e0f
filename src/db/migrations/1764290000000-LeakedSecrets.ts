import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a key was revoked (MANUAL by a person, LEAKED when its secret was reported as found in
 * public) and, for a leaked one, where it was found. Keys revoked before this were revoked by
 * people: MANUAL. A revoked key always has its reason and only a revoked one has one; only a
 * leaked key has a place where it was found. Reports look a secret up by its digest: an index.
 */
export class LeakedSecrets1764290000000 implements MigrationInterface {
  name = 'LeakedSecrets1764290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN revocation_reason text CHECK (revocation_reason IN ('MANUAL', 'LEAKED')),
        ADD COLUMN leak_source text`);
    await q.query(`UPDATE api_keys SET revocation_reason = 'MANUAL' WHERE revoked_at IS NOT NULL`);
    await q.query(`
      ALTER TABLE api_keys
        ADD CONSTRAINT api_keys_revoked_reason_check
          CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL)),
        ADD CONSTRAINT api_keys_leak_source_check
          CHECK (leak_source IS NULL OR revocation_reason = 'LEAKED')`);
    await q.query(`CREATE INDEX api_keys_secret_digest_idx ON api_keys (secret_digest)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_keys_secret_digest_idx`);
    await q.query(`
      ALTER TABLE api_keys
        DROP CONSTRAINT api_keys_leak_source_check,
        DROP CONSTRAINT api_keys_revoked_reason_check,
        DROP COLUMN leak_source,
        DROP COLUMN revocation_reason`);
  }
}
