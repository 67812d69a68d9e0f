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
} from './generated/graphql';

// @apollo/client 3 is an ES module package with CommonJS builds (core/core.cjs), which jest's
// CommonJS runtime loads; its types are ESM only, hence the resolution-mode type import.
import type * as Apollo from '@apollo/client/core' with { 'resolution-mode': 'import' };

const { ApolloClient, ApolloError, HttpLink, InMemoryCache } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build, as said above
  require('@apollo/client/core') as typeof Apollo;
type Client = Apollo.ApolloClient<Apollo.NormalizedCacheObject>;

/**
 * A real client, Apollo Client (core only, no React) with an HttpLink on Node's global fetch,
 * sending the typed documents generated from schema.graphql. Its normalized cache adds
 * __typename to every selection, which the server must answer like any other field.
 */
describe('@apollo/client with generated TypedDocumentNodes', () => {
  let t: TestServer;
  const clients: Client[] = [];

  function client(headers: Record<string, string> = {}): Client {
    const c = new ApolloClient({
      link: new HttpLink({ uri: `${t.url}/graphql`, fetch, headers }),
      cache: new InMemoryCache(),
      defaultOptions: {
        query: { fetchPolicy: 'network-only' },
        mutate: { fetchPolicy: 'no-cache' },
      },
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(async () => {
    for (const c of clients) c.stop();
    await t?.close();
  });

  test('sign up, log in, create a team and an API key, use the key, read the audit log', async () => {
    const anonymous = client();
    const email = uniqueEmail('apollo-client');

    const signedUp = await anonymous.mutate({
      mutation: SignUpDocument,
      variables: { email, password: PASSWORD, name: 'Apollo Client' },
    });
    expect(signedUp.data?.signUp.user.email).toBe(email);

    const loggedIn = await anonymous.mutate({
      mutation: LogInDocument,
      variables: { email, password: PASSWORD },
    });
    const token = loggedIn.data!.logIn.token;
    expect(token).toMatch(/^emst_/);

    const user = client({ authorization: `Bearer ${token}` });
    const team = (
      await user.mutate({ mutation: CreateTeamDocument, variables: { name: 'Apollo team' } })
    ).data!.createTeam;
    expect(team.name).toBe('Apollo team');
    expect(team.roles.find((r) => r.name === 'Owner')?.builtIn).toBe(true);

    const created = (
      await user.mutate({
        mutation: CreateApiKeyDocument,
        variables: { input: { teamId: team.id, name: 'apollo', scopes: ['audit:read'] } },
      })
    ).data!.createApiKey;
    expect(created.secret).toMatch(/^emps_[0-9A-Za-z]{49}$/);
    expect(created.apiKey).toMatchObject({
      status: 'ACTIVE',
      scopes: ['audit:read'],
      secretVersion: 1,
      team: { id: team.id },
    });

    // the user, then the application, as the server sees them (queries go through the cache)
    const asUser = await user.query({ query: ViewerDocument });
    expect(asUser.data.viewer).toMatchObject({ type: 'USER', user: { email }, apiKey: null });
    const app = client(basic(created.apiKey.key, created.secret));
    const asApp = await app.query({ query: ViewerDocument });
    expect(asApp.data.viewer).toMatchObject({
      type: 'API_KEY',
      user: null,
      apiKey: { id: created.apiKey.id, scopes: ['audit:read'] },
    });
    expect(asApp.data.viewer.__typename).toBe('Viewer');

    // the key holds audit:read: the application reads its team's audit log, which shows its creation
    const audit = await app.query({
      query: AuditEventsDocument,
      variables: { teamId: team.id, filter: { apiKeyId: created.apiKey.id } },
    });
    const actions = audit.data.auditEvents.edges.map((e) => e.node.action);
    expect(actions).toContain('apiKey.created');
    expect(JSON.stringify(audit.data)).not.toContain(created.secret);
  });

  test('errors arrive as ApolloError with the contract code', async () => {
    const error = await client()
      .mutate({
        mutation: LogInDocument,
        variables: { email: uniqueEmail('nobody'), password: 'wrong password 123' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as Apollo.ApolloError).graphQLErrors[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });
});
