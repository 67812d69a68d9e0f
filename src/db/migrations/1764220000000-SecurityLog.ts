import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform security log, and the record of platform admins' reads of teams.
 *
 * - security_events: refusals of callers with no stake in the team they named (anonymous,
 *   another team's users and keys) and refusals at authentication, counted per address and
 *   minute. The rows of audit_events, so the same code appends and checks them: one hash chain,
 *   whose head is in security_chain_heads. Append-only, as audit_events.
 * - platform_admin_reads: insert-once, one row per admin, team and hour: the first read of the hour
 *   writes the team's audit row, on whichever instance it happens. Only the current hour matters;
 *   older rows are purged by the maintenance job (src/maintenance/retention.ts).
 */
export class SecurityLog1764220000000 implements MigrationInterface {
  name = 'SecurityLog1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE security_events (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    await q.query(`ALTER TABLE security_events ADD PRIMARY KEY (id)`);
    // one chain: its positions are unique
    await q.query(
      `CREATE UNIQUE INDEX security_events_chain_seq_idx ON security_events (chain_seq)`,
    );
    await q.query(`CREATE INDEX security_events_time_idx ON security_events (occurred_at)`);
    await q.query(`CREATE INDEX security_events_ip_idx ON security_events (ip, occurred_at)`);
    await q.query(
      `CREATE INDEX security_events_team_idx ON security_events (team_id, occurred_at) WHERE team_id IS NOT NULL`,
    );
    await q.query(`CREATE TABLE security_chain_heads (LIKE audit_chain_heads INCLUDING ALL)`);

    await q.query(`
      CREATE FUNCTION security_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'security_events is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER security_events_no_update_or_delete BEFORE UPDATE OR DELETE ON security_events
      FOR EACH ROW EXECUTE FUNCTION security_events_reject_change()`);
    await q.query(`
      CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events
      FOR EACH STATEMENT EXECUTE FUNCTION security_events_reject_change()`);

    await q.query(`
      CREATE TABLE platform_admin_reads (
        admin_id uuid NOT NULL,
        team_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        PRIMARY KEY (admin_id, team_id, hour)
      )`);
    await q.query(`CREATE INDEX platform_admin_reads_hour_idx ON platform_admin_reads (hour)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE platform_admin_reads`);
    await q.query(`DROP TABLE security_chain_heads`);
    await q.query(`DROP TABLE security_events`);
    await q.query(`DROP FUNCTION security_events_reject_change()`);
  }
}
