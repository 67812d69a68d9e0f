import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time windows of the audit log (auditEvents and the export with from/to): the window's
 * chain_seq range is read from this index alone (index-only: chain_seq is included), so a page
 * of an old window no longer walks every newer event of the team to get there.
 */
export class AuditTimeIndex1764180000000 implements MigrationInterface {
  name = 'AuditTimeIndex1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX audit_events_team_time_idx ON audit_events (team_id, occurred_at) INCLUDE (chain_seq)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_events_team_time_idx`);
  }
}
