import { basic } from '../helpers/api-keys';
import { PASSWORD, uniqueEmail } from '../helpers/factories';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  AuditEventsDocument,
  CreateApiKeyDocument,
  CreateTeamDocument,
  LogInDocument,
  SignUpDocument,
  ViewerDocument,
  type AuditEventsQuery,
  type CreateApiKeyMutation,
} from './generated/graphql';

// graphql-request 7 is an ES module with a CommonJS build (its "require" export), which jest's
// CommonJS runtime loads; its published types are ESM only, hence the resolution-mode type import.
import type * as GraphQLRequest from 'graphql-request' with { 'resolution-mode': 'import' };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ClientError, GraphQLClient } = require('graphql-request') as typeof GraphQLRequest;

/**
 * A real client, graphql-request, with the typed documents generated from schema.graphql:
 * what a frontend or a script written against the published schema sends, over HTTP.
 */
describe('graphql-request with generated TypedDocumentNodes', () => {
  let t: TestServer;
  let endpoint: string;

  beforeAll(async () => {
    t = await startTestServer();
    endpoint = `${t.url}/graphql`;
  });

  afterAll(async () => {
    await t?.close();
  });

  test('sign up, log in, create a team and an API key, use the key, read the audit log', async () => {
    const anonymous = new GraphQLClient(endpoint);
    const email = uniqueEmail('gql-request');

    const signedUp = await anonymous.request(SignUpDocument, {
      email,
      password: PASSWORD,
      name: 'Request Client',
    });
    expect(signedUp.signUp.user.email).toBe(email);

    const { logIn } = await anonymous.request(LogInDocument, { email, password: PASSWORD });
    expect(logIn.token).toMatch(/^emst_/);
    expect(Number.isNaN(Date.parse(logIn.expiresAt))).toBe(false);

    const user = new GraphQLClient(endpoint, {
      headers: { authorization: `Bearer ${logIn.token}` },
    });
    const { createTeam } = await user.request(CreateTeamDocument, { name: 'Typed team' });
    expect(createTeam.name).toBe('Typed team');
    expect(createTeam.roles.map((r) => r.name)).toEqual(
      expect.arrayContaining(['Owner', 'Admin', 'Member', 'Auditor']),
    );
    expect(createTeam.viewerPermissions).toContain('apiKeys:create');

    const created: CreateApiKeyMutation = await user.request(CreateApiKeyDocument, {
      input: { teamId: createTeam.id, name: 'typed client', scopes: ['team:read', 'orders:read'] },
    });
    const { secret, apiKey } = created.createApiKey;
    expect(secret).toMatch(/^emps_[0-9A-Za-z]{49}$/);
    expect(apiKey.key).toMatch(/^empk_[0-9A-Za-z]{24}$/);
    expect(apiKey.status).toBe('ACTIVE');
    expect(apiKey.team.id).toBe(createTeam.id);
    expect(secret.endsWith(apiKey.secretLast4)).toBe(true);

    // the application's side: the key and secret authenticate (HTTP Basic)
    const app = new GraphQLClient(endpoint, { headers: basic(apiKey.key, secret) });
    const { viewer } = await app.request(ViewerDocument);
    expect(viewer).toMatchObject({
      type: 'API_KEY',
      user: null,
      apiKey: { id: apiKey.id, key: apiKey.key },
    });

    const audit: AuditEventsQuery = await user.request(AuditEventsDocument, {
      teamId: createTeam.id,
      first: 50,
    });
    const actions = audit.auditEvents.edges.map((e) => e.node.action);
    expect(actions).toEqual(expect.arrayContaining(['team.created', 'apiKey.created']));
    const keyCreated = audit.auditEvents.edges.find(
      (e) => e.node.action === 'apiKey.created',
    )!.node;
    expect(keyCreated).toMatchObject({
      outcome: 'SUCCESS',
      teamId: createTeam.id,
      targetId: apiKey.id,
      actor: { type: 'USER', label: email },
    });
    // the secret never shows in the audit trail
    expect(JSON.stringify(audit)).not.toContain(secret);

    const filtered = await user.request(AuditEventsDocument, {
      teamId: createTeam.id,
      filter: { actions: ['apiKey.created'] },
    });
    expect(filtered.auditEvents.edges.map((e) => e.node.action)).toEqual(['apiKey.created']);
  });

  test('errors arrive as ClientError with the contract code', async () => {
    const anonymous = new GraphQLClient(endpoint);
    const error = await anonymous
      .request(LogInDocument, { email: uniqueEmail('nobody'), password: 'wrong password 123' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as GraphQLRequest.ClientError).response.errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );

    const forbidden = await anonymous
      .request(CreateTeamDocument, { name: 'x' })
      .catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ClientError);
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(
      (forbidden as GraphQLRequest.ClientError).response.errors?.[0]?.extensions?.code,
    );
  });
});
