import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The addresses each key has been used from (with its right secret), so that the first use from
 * a new one is an audit event of its own. Filled from the usage already in the log: keys keep
 * their known addresses across the upgrade, and no old address is reported as new.
 */
export class KeyAddresses1764250000000 implements MigrationInterface {
  name = 'KeyAddresses1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE api_key_addresses (
         api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
         address text NOT NULL,
         first_used_at timestamptz NOT NULL,
         PRIMARY KEY (api_key_id, address)
       )`,
    );
    await q.query(
      `INSERT INTO api_key_addresses (api_key_id, address, first_used_at)
       SELECT api_key_id, ip, min(occurred_at) FROM audit_events
        WHERE action = 'apiKey.used' AND api_key_id IS NOT NULL AND ip IS NOT NULL
          AND metadata->>'code' IS DISTINCT FROM 'INVALID'
        GROUP BY 1, 2
       ON CONFLICT DO NOTHING`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key_addresses`);
  }
}
