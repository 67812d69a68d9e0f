import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, sessions, teams with their roles, memberships and grants, API keys, and the audit log.
 * gen_random_uuid() is built into PostgreSQL 13+, so no extension is needed.
 */
export class InitialSchema1764160000000 implements MigrationInterface {
  name = 'InitialSchema1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        is_platform_admin boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_digest bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX sessions_token_digest_key ON sessions (token_digest)`);
    await q.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);
    await q.query(`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`);

    await q.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        built_in boolean NOT NULL DEFAULT false,
        permissions text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX roles_team_id_name_key ON roles (team_id, lower(name))`);

    await q.query(`
      CREATE TABLE memberships (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role_id uuid NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT memberships_team_id_user_id_key UNIQUE (team_id, user_id)
      )`);
    await q.query(`CREATE INDEX memberships_user_id_idx ON memberships (user_id)`);
    await q.query(`CREATE INDEX memberships_role_id_idx ON memberships (role_id)`);

    await q.query(`
      CREATE TABLE permission_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        membership_id uuid NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
        permission text NOT NULL,
        granted_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT permission_grants_membership_id_permission_key UNIQUE (membership_id, permission)
      )`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        key text NOT NULL,
        secret_digest bytea NOT NULL,
        secret_last4 text NOT NULL,
        secret_version integer NOT NULL DEFAULT 1,
        secret_regenerated_at timestamptz,
        scopes text[] NOT NULL DEFAULT '{}',
        allowed_ips text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz,
        revoked_at timestamptz,
        created_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        last_used_ip text
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_key_key ON api_keys (key)`);
    await q.query(
      `CREATE INDEX api_keys_team_id_created_at_idx ON api_keys (team_id, created_at DESC, id DESC)`,
    );

    // The audit log. chain_seq numbers the events of one chain (a team, or the platform when
    // team_id is null); the unique index makes a forked chain impossible even if a writer
    // skipped the chain-head lock.
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid,
        chain_seq bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('SUCCESS', 'DENIED', 'FAILURE')),
        actor_type text NOT NULL CHECK (actor_type IN ('ANONYMOUS', 'USER', 'API_KEY', 'SYSTEM')),
        actor_user_id uuid,
        actor_api_key_id uuid,
        actor_label text,
        target_type text,
        target_id text,
        ip text,
        user_agent text,
        request_id text NOT NULL,
        -- the API key the event is about, as actor or as target: one indexed column serves
        -- "everything about this key", its use included
        api_key_id uuid,
        metadata jsonb,
        prev_hash text,
        hash text NOT NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX audit_events_chain_key ON audit_events ((coalesce(team_id, '00000000-0000-0000-0000-000000000000'::uuid)), chain_seq)`,
    );
    await q.query(
      `CREATE INDEX audit_events_team_seq_idx ON audit_events (team_id, chain_seq DESC)`,
    );
    await q.query(
      `CREATE INDEX audit_events_team_key_idx ON audit_events (team_id, api_key_id, chain_seq DESC) WHERE api_key_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX audit_events_key_usage_idx ON audit_events (api_key_id, occurred_at) WHERE action = 'apiKey.used'`,
    );
    await q.query(
      `CREATE INDEX audit_events_team_action_idx ON audit_events (team_id, action, chain_seq DESC)`,
    );
    await q.query(
      `CREATE INDEX audit_events_team_actor_idx ON audit_events (team_id, actor_user_id, chain_seq DESC) WHERE actor_user_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX audit_events_team_target_idx ON audit_events (team_id, target_id, chain_seq DESC) WHERE target_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE audit_chain_heads (
        chain_key uuid PRIMARY KEY,
        last_seq bigint NOT NULL,
        last_hash text NOT NULL
      )`);

    // Append-only: the service may insert, never rewrite history.
    await q.query(`
      CREATE FUNCTION audit_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change()`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_chain_heads',
      'audit_events',
      'api_keys',
      'permission_grants',
      'memberships',
      'roles',
      'teams',
      'sessions',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS audit_events_reject_change()`);
  }
}
