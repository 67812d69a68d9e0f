import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A team's rules for its keys (maximum lifetime, expiry and allowed addresses required, the
 * application scopes keys may hold) and its catalogue of application scopes with what each means.
 * A team without a row has no rules.
 */
export class ApiKeyPolicies1764260000000 implements MigrationInterface {
  name = 'ApiKeyPolicies1764260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE api_key_policies (
         team_id uuid PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
         max_lifetime_days integer CHECK (max_lifetime_days BETWEEN 1 AND 3650),
         require_expiry boolean NOT NULL DEFAULT false,
         require_allowed_ips boolean NOT NULL DEFAULT false,
         allowed_application_scopes text[],
         application_scopes jsonb NOT NULL DEFAULT '[]',
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await q.query(`CREATE INDEX api_keys_team_id_expires_at_idx ON api_keys (team_id, expires_at)
                    WHERE revoked_at IS NULL AND expires_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_keys_team_id_expires_at_idx`);
    await q.query(`DROP TABLE api_key_policies`);
  }
}
