import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitations: joining a team needs the invitee's consent.
 *
 * - email: as the inviter typed it, trimmed and lower-cased; matched against users.email without
 *   regard to case. Nothing links an invitation to an account until it is accepted, so making one
 *   never looks at users.
 * - state: what was decided (PENDING until the invitee or the team answers); EXPIRED is not stored,
 *   it is PENDING past expires_at.
 * - role_id: SET NULL when the role is deleted (the invitation can then no longer be accepted);
 *   role_name keeps what it offered, for the lists.
 * - one open invitation per team and address: a second invitation renews the first.
 */
export class Invitations1764210000000 implements MigrationInterface {
  name = 'Invitations1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        email text NOT NULL,
        role_id uuid REFERENCES roles (id) ON DELETE SET NULL,
        role_name text NOT NULL,
        invited_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
        state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        responded_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX invitations_team_id_email_pending_key ON invitations (team_id, email) WHERE state = 'PENDING'`,
    );
    await q.query(
      `CREATE INDEX invitations_email_pending_idx ON invitations (email, expires_at) WHERE state = 'PENDING'`,
    );
    await q.query(
      `CREATE INDEX invitations_team_id_created_at_idx ON invitations (team_id, created_at DESC, id DESC)`,
    );
    // the maintenance job's purge of answered and expired invitations (src/maintenance/retention.ts)
    await q.query(
      `CREATE INDEX invitations_closed_at_idx ON invitations ((coalesce(responded_at, expires_at)))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invitations`);
  }
}
