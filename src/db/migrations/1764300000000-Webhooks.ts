import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: a team's endpoints (signing secrets kept encrypted, the previous one beside the new
 * for a day after a rotation), the events its changes sent (the outbox, written with the change)
 * and one row per delivery attempt; the expiry notices already sent for each key. Owner and Admin
 * of every team gain webhooks:manage.
 */
export class Webhooks1764300000000 implements MigrationInterface {
  name = 'Webhooks1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        url text NOT NULL,
        description text,
        events text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        secret_box text NOT NULL,
        previous_secret_box text,
        previous_secret_until timestamptz,
        failing_since timestamptz,
        disabled_at timestamptz,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id)`);
    await q.query(`
      CREATE TABLE webhook_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_events_created ON webhook_events (created_at)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id uuid NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        attempt integer NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        due_at timestamptz NOT NULL,
        claimed_until timestamptz,
        sent_at timestamptz,
        response_status integer,
        duration_ms integer,
        error text,
        next_attempt_after_failure timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'PENDING'`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id)`);
    // the expiry notices written (apiKey.expiring 14, 7 and 1 days before, apiKey.expired at 0)
    await q.query(`
      CREATE TABLE api_key_expiry_notices (
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        threshold integer NOT NULL,
        noticed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (api_key_id, threshold)
      )`);
    await q.query(
      `CREATE INDEX api_keys_expiring ON api_keys (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL`,
    );
    await q.query(`
      UPDATE roles SET permissions = array_append(permissions, 'webhooks:manage')
       WHERE built_in AND name IN ('Owner', 'Admin')
         AND NOT ('webhooks:manage' = ANY(permissions))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE roles SET permissions = array_remove(permissions, 'webhooks:manage')`);
    await q.query(`DELETE FROM permission_grants WHERE permission = 'webhooks:manage'`);
    await q.query(`DROP INDEX api_keys_expiring`);
    await q.query(`DROP TABLE api_key_expiry_notices`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_events`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
