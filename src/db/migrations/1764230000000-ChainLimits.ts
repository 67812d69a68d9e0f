import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bounds on expensive work, and archived heads of the audit chains.
 *
 * - operation_leases: who runs a chain walk or holds an export place right now, across instances
 *   (src/capacity/leases.ts). One row per name in use, with an expiry, so a crashed holder frees it.
 * - audit_chain_archives: where an operator cut a chain (npm run audit:archive): the last archived
 *   event's position and hash, the archive file's SHA-256. A walk starts from the newest anchor:
 *   the first remaining event must link to its hash. Append-only, like audit_events.
 */
export class ChainLimits1764230000000 implements MigrationInterface {
  name = 'ChainLimits1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE operation_leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE audit_chain_archives (
        chain_key uuid NOT NULL,
        archived_seq bigint NOT NULL,
        archived_hash text NOT NULL,
        archived_occurred_at timestamptz NOT NULL,
        archived_at timestamptz NOT NULL DEFAULT now(),
        event_count bigint NOT NULL,
        file_sha256 text NOT NULL,
        file_name text NOT NULL,
        PRIMARY KEY (chain_key, archived_seq)
      )`);
    await q.query(`
      CREATE FUNCTION audit_chain_archives_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_chain_archives is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_chain_archives_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_chain_archives
      FOR EACH ROW EXECUTE FUNCTION audit_chain_archives_reject_change()`);
    await q.query(`
      CREATE TRIGGER audit_chain_archives_no_truncate BEFORE TRUNCATE ON audit_chain_archives
      FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_archives_reject_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_chain_archives`);
    await q.query(`DROP FUNCTION audit_chain_archives_reject_change()`);
    await q.query(`DROP TABLE operation_leases`);
  }
}
