import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer, type BuiltServer } from '../../src/server';
import {
  CreateApiKeyDocument,
  CreateTeamDocument,
  RevokeApiKeyDocument,
  SignUpDocument,
  ViewerDocument,
} from '../clients/generated/graphql';
import { VERIFY_CHAIN_QUERY } from '../helpers/audit';
import { basic } from '../helpers/api-keys';
import { bearer, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { graphqlClient, type Gql } from '../helpers/graphql';
import {
  startTestServer,
  TEST_SIGNUP_LIMITS,
  testDatabaseUrl,
  type TestServer,
} from '../helpers/server';

/**
 * The audit log is append-only, even for the service's own database role: a role that is NOT a
 * superuser and NOT the owner of the tables, holding every table privilege the service could need
 * (SELECT, INSERT, UPDATE, DELETE, and TRUNCATE too) still cannot rewrite or erase audit history:
 * the triggers refuse UPDATE, DELETE and TRUNCATE on audit_events, and the role cannot switch them
 * off. The real server runs as that role to show those grants are enough for the service.
 */
const role = `empress_app_${randomBytes(4).toString('hex')}`;
const password = randomBytes(16).toString('hex');
let su: TestServer; // superuser: creates and drops the role, reads what really is in the table
let app: { dataSource: DataSource; server: BuiltServer; url: string } | undefined;
let asRole: Client;
/** GraphQL against the server that runs as the restricted role */
let gql: Gql;
let owner: SignedInUser;
let team: TeamFixture;

function roleUrl(): string {
  const url = new URL(testDatabaseUrl());
  url.username = role;
  url.password = password;
  return url.toString();
}

beforeAll(async () => {
  su = await startTestServer();
  const database = new URL(testDatabaseUrl()).pathname.slice(1);
  await su.dataSource.query(
    `CREATE ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT`,
  );
  await su.dataSource.query(`GRANT CONNECT ON DATABASE "${database}" TO ${role}`);
  await su.dataSource.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await su.dataSource.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO ${role}`,
  );
  await su.dataSource.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);

  // The service itself, as that role.
  const dataSource = createDataSource({ url: roleUrl(), poolSize: 5 });
  await dataSource.initialize();
  const server = await buildServer(
    loadConfig({ NODE_ENV: 'test', ...TEST_SIGNUP_LIMITS }),
    dataSource,
  );
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  app = {
    dataSource,
    server,
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
  };
  gql = graphqlClient(app.url);

  asRole = new Client({ connectionString: roleUrl() });
  await asRole.connect();
});

afterAll(async () => {
  await asRole?.end().catch(() => undefined);
  if (app) {
    await app.server.close();
    await app.dataSource.destroy();
  }
  await su.dataSource.query(`DROP OWNED BY ${role}`).catch(() => undefined);
  await su.dataSource.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await su.close();
});

describe('audit_events is append-only for the service role', () => {
  it('the role is an ordinary one: no superuser, not the owner, yet it holds UPDATE, DELETE and TRUNCATE on audit_events', async () => {
    const [info] = await su.dataSource.query(
      `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`,
      [role],
    );
    expect(info).toEqual({ rolsuper: false, rolbypassrls: false });
    const [table] = await su.dataSource.query(
      `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'audit_events'`,
    );
    expect(table.owner).not.toBe(role);
    const [privileges] = await su.dataSource.query(
      `SELECT has_table_privilege($1, 'audit_events', 'UPDATE') AS u, has_table_privilege($1, 'audit_events', 'DELETE') AS d,
              has_table_privilege($1, 'audit_events', 'TRUNCATE') AS t, has_table_privilege($1, 'audit_events', 'INSERT') AS i`,
      [role],
    );
    expect(privileges).toEqual({ u: true, d: true, t: true, i: true });
    const [{ current_user }] = (await asRole.query(`SELECT current_user`)).rows;
    expect(current_user).toBe(role);
  });

  it('the service works as that role and writes an intact chain', async () => {
    const signed = await gql(SignUpDocument, {
      email: `role-owner.${randomBytes(4).toString('hex')}@example.com`,
      password: 'correct horse battery staple',
      name: 'Role owner',
    });
    const { token, user } = signed.data!.signUp;
    owner = { id: user.id, email: user.email, token, headers: bearer(token) };
    const created = await gql(CreateTeamDocument, { name: 'Append-only' }, owner.headers);
    team = { id: created.data!.createTeam.id, roles: {} };
    const key = await gql(
      CreateApiKeyDocument,
      { input: { teamId: team.id, name: 'k', scopes: ['audit:read'] } },
      owner.headers,
    );
    const { apiKey, secret } = key.data!.createApiKey;
    expect((await gql(ViewerDocument, {}, basic(apiKey.key, secret))).data!.viewer.type).toBe(
      'API_KEY',
    );
    expect(
      (await gql(RevokeApiKeyDocument, { id: apiKey.id }, owner.headers)).data!.revokeApiKey.status,
    ).toBe('REVOKED');
    await app!.server.services.usage.flush(true);
    const verified = await gql(VERIFY_CHAIN_QUERY, { t: team.id }, owner.headers);
    expect(verified.data!.verifyAuditChain).toMatchObject({ valid: true });
    expect(verified.data!.verifyAuditChain.checkedEvents).toBeGreaterThanOrEqual(4);
  });

  it('UPDATE, DELETE and TRUNCATE of audit_events are refused by the trigger, not by a missing privilege', async () => {
    const before = await su.dataSource.query<unknown[]>(
      `SELECT id, hash FROM audit_events WHERE team_id = $1 ORDER BY chain_seq`,
      [team.id],
    );
    expect(before.length).toBeGreaterThan(0);

    const attempts = [
      [`UPDATE audit_events SET action = 'x' WHERE team_id = $1`, [team.id], 'UPDATE'],
      [
        `UPDATE audit_events SET metadata = '{}'::jsonb WHERE id = (SELECT id FROM audit_events WHERE team_id = $1 LIMIT 1)`,
        [team.id],
        'UPDATE',
      ],
      [`DELETE FROM audit_events WHERE team_id = $1`, [team.id], 'DELETE'],
      [`TRUNCATE audit_events`, [], 'TRUNCATE'],
      [`TRUNCATE audit_events CASCADE`, [], 'TRUNCATE'],
    ] as const;
    for (const [sql, params, op] of attempts) {
      const error = await asRole.query(sql, [...params]).then(
        () => null,
        (e: { code?: string; message: string }) => e,
      );
      expect(error).not.toBeNull();
      expect(error!.message).toBe(`audit_events is append-only: ${op} is not allowed`);
      expect(error!.code).toBe('42501');
    }
    // the same role may UPDATE and DELETE elsewhere: the privileges are real
    await asRole.query(`UPDATE teams SET name = name WHERE id = $1`, [team.id]);
    await asRole.query(`DELETE FROM rate_limits WHERE bucket = 'never-such-a-bucket'`);
    // nothing was appended or lost meanwhile
    const [head] = (
      await asRole.query(`SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1`, [
        team.id,
      ])
    ).rows;
    expect(head.n).toBe(before.length);

    expect(
      await su.dataSource.query(
        `SELECT id, hash FROM audit_events WHERE team_id = $1 ORDER BY chain_seq`,
        [team.id],
      ),
    ).toEqual(before);
  });

  it('the role cannot switch the protection off', async () => {
    const attempts: [string, RegExp][] = [
      [
        `ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete`,
        /must be owner/,
      ],
      [`ALTER TABLE audit_events DISABLE TRIGGER ALL`, /must be owner/],
      [`DROP TRIGGER audit_events_no_truncate ON audit_events`, /must be owner/],
      [
        `CREATE OR REPLACE FUNCTION audit_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
        /must be owner|permission denied/,
      ],
      [`SET session_replication_role = replica`, /permission denied/],
      [`DROP TABLE audit_events`, /must be owner/],
    ];
    for (const [sql, expected] of attempts) {
      await expect(asRole.query(sql)).rejects.toThrow(expected);
    }
    const [{ n }] = await su.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND tgenabled = 'O' AND tgname IN ('audit_events_no_update_or_delete', 'audit_events_no_truncate')`,
    );
    expect(n).toBe(2);
  });
});
