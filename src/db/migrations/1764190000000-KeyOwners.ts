import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who is answerable for a key, and one definition of what a member holds.
 *
 * - api_keys.owner_id: the member answerable for the key (its creator, or whom it was transferred
 *   to). Existing keys are owned by their creator.
 * - member_permissions: a member's permissions in a team, their role's plus their grants. Every
 *   permission lookup reads this view (the caller's, a key owner's, a member being changed), so the
 *   rule is written once.
 */
export class KeyOwners1764190000000 implements MigrationInterface {
  name = 'KeyOwners1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE api_keys ADD COLUMN owner_id uuid REFERENCES users (id) ON DELETE SET NULL`,
    );
    await q.query(`UPDATE api_keys SET owner_id = created_by_id`);
    await q.query(`CREATE INDEX api_keys_team_id_owner_id_idx ON api_keys (team_id, owner_id)`);
    await q.query(`
      CREATE VIEW member_permissions AS
      SELECT m.id AS membership_id, m.team_id, m.user_id,
             r.permissions
               || coalesce((SELECT array_agg(g.permission) FROM permission_grants g WHERE g.membership_id = m.id), '{}')
               AS permissions
        FROM memberships m
        JOIN roles r ON r.id = m.role_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW member_permissions`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN owner_id`);
  }
}
