import {
  ApiKeyDocument,
  ApiKeysDocument,
  CreateApiKeyDocument,
  RegenerateApiKeySecretDocument,
  RevokeApiKeyDocument,
  type ApiKeysQuery,
} from '../clients/generated/graphql';
import {
  addMember,
  createTeam,
  type SignedInUser,
  signUp,
  type TeamFixture,
} from '../helpers/factories';
import { basic, createKey, verify } from '../helpers/api-keys';
import { codeOf, type GraphQLAnswer } from '../helpers/graphql';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * An API key from creation to revocation: its formats and a secret shown once, the two ways an
 * application presents it, regeneration and revocation taking effect at once, one answer for every
 * secret that does not match, the list by status, and what a plain member may do with keys.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;

beforeAll(async () => ({ t, owner, team } = await seed().owner('owner').team('Acme')));
afterAll(() => t.close());

describe('API key lifecycle', () => {
  it('creates a key in the contract formats and shows the secret once, with no-store', async () => {
    const res = await t.gql(
      CreateApiKeyDocument,
      {
        input: {
          teamId: team.id,
          name: 'billing',
          description: 'billing worker',
          scopes: ['orders:read', 'team:read'],
        },
      },
      owner.headers,
    );
    expect(res.errors).toBeUndefined();
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { secret, apiKey } = res.data!.createApiKey;
    expect(apiKey.key).toMatch(/^empk_[0-9A-Za-z]{24}$/);
    expect(secret).toMatch(/^emps_[0-9A-Za-z]{49}$/);
    expect(apiKey).toMatchObject({
      name: 'billing',
      secretLast4: secret.slice(-4),
      secretVersion: 1,
      status: 'ACTIVE',
      scopes: ['orders:read', 'team:read'],
      createdBy: { id: owner.id },
      team: { id: team.id },
    });
    const read = await t.gql(ApiKeyDocument, { id: apiKey.id }, owner.headers);
    expect(JSON.stringify(read.data)).not.toContain(secret);
  });

  it('authenticates an application with Basic and with X-Api-Key/X-Api-Secret', async () => {
    const k = await createKey(t, owner, team.id, { scopes: ['team:read', 'apiKeys:read'] });
    const viaBasic = await t.gql(
      `{ viewer { type apiKey { id } } team(id: "${team.id}") { name viewerPermissions } }`,
      {},
      basic(k.key, k.secret),
    );
    expect(viaBasic.data).toEqual({
      viewer: { type: 'API_KEY', apiKey: { id: k.id } },
      team: { name: 'Acme', viewerPermissions: ['apiKeys:read', 'team:read'] },
    });
    const viaHeaders = await t.gql(
      `{ viewer { type } }`,
      {},
      { 'x-api-key': k.key, 'x-api-secret': k.secret },
    );
    expect(viaHeaders.data).toEqual({ viewer: { type: 'API_KEY' } });
    const mutation = await t.gql(
      `mutation { createTeam(name: "x") { id } }`,
      {},
      basic(k.key, k.secret),
    );
    expect(codeOf(mutation)).toBe('FORBIDDEN');
  });

  it('regenerates: new secret, version + 1, old secret dead everywhere', async () => {
    const k = await createKey(t, owner, team.id);
    const res = await t.gql(RegenerateApiKeySecretDocument, { id: k.id }, owner.headers);
    const fresh = res.data!.regenerateApiKeySecret;
    expect(fresh.apiKey.secretVersion).toBe(2);
    expect(fresh.secret).not.toBe(k.secret);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await verify(t, k.key, k.secret)).code).toBe('INVALID');
    expect((await verify(t, k.key, fresh.secret)).code).toBe('VALID');
    const old = await t.gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    expect(old.status).toBe(401);
    expect(codeOf(old)).toBe('UNAUTHENTICATED');
  });

  it('revokes: the key is refused and its status says REVOKED', async () => {
    const k = await createKey(t, owner, team.id);
    expect((await verify(t, k.key, k.secret)).code).toBe('VALID');
    const res = await t.gql(RevokeApiKeyDocument, { id: k.id }, owner.headers);
    expect(res.data!.revokeApiKey.status).toBe('REVOKED');
    expect((await verify(t, k.key, k.secret)).code).toBe('REVOKED');
    expect((await t.gql(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(401);
  });

  it('answers every non-matching secret the same, and tells status only with the right secret', async () => {
    const k = await createKey(t, owner, team.id, {
      scopes: ['orders:read'],
      allowedIps: ['10.0.0.0/8'],
    });
    const unknown = await verify(t, 'empk_' + 'A'.repeat(24), k.secret);
    const wrong = await verify(t, k.key, k.secret.slice(0, -7) + 'x' + k.secret.slice(-6));
    const garbage = await verify(t, 'nope', 'nope');
    for (const answer of [unknown, wrong, garbage]) {
      expect(answer).toEqual({
        valid: false,
        code: 'INVALID',
        teamId: null,
        scopes: [],
        apiKey: null,
      });
    }
    expect(
      (await verify(t, k.key, k.secret, { clientIp: '10.1.2.3', requiredScopes: ['orders:read'] }))
        .code,
    ).toBe('VALID');
    expect((await verify(t, k.key, k.secret, { clientIp: '192.168.0.1' })).code).toBe(
      'IP_NOT_ALLOWED',
    );
    expect(
      (await verify(t, k.key, k.secret, { clientIp: '10.1.2.3', requiredScopes: ['orders:write'] }))
        .code,
    ).toBe('INSUFFICIENT_SCOPE');
  });

  it('lists keys by status with cursor pagination and a total', async () => {
    const other = await createTeam(t, owner, 'Paging');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createKey(t, owner, other.id, { name: `k${i}` }));
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: made[0].id },
      owner.headers,
    );
    const seen: string[] = [];
    let after: string | null | undefined = null;
    for (;;) {
      const page: GraphQLAnswer<ApiKeysQuery> = await t.gql(
        ApiKeysDocument,
        { teamId: other.id, status: 'ACTIVE', first: 2, after },
        owner.headers,
      );
      expect(page.data!.apiKeys.totalCount).toBe(4);
      seen.push(...page.data!.apiKeys.edges.map((e) => e.node.name));
      if (!page.data!.apiKeys.pageInfo.hasNextPage) break;
      after = page.data!.apiKeys.pageInfo.endCursor;
    }
    expect(seen).toEqual(['k4', 'k3', 'k2', 'k1']);
    const revoked = await t.gql(
      ApiKeysDocument,
      { teamId: other.id, status: 'REVOKED', first: 2, after: null },
      owner.headers,
    );
    expect(revoked.data!.apiKeys.edges.map((e) => e.node.name)).toEqual(['k0']);
  });

  it('keeps members to their permissions', async () => {
    const member = await signUp(t, 'member');
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    const k = await createKey(t, owner, team.id);
    const create = await t.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
      { input: { teamId: team.id, name: 'x' } },
      member.headers,
    );
    expect(codeOf(create)).toBe('FORBIDDEN');
    const revoke = await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: k.id },
      member.headers,
    );
    expect(codeOf(revoke)).toBe('FORBIDDEN');
    const read = await t.gql(
      `query($id: ID!) { apiKey(id: $id) { id } }`,
      { id: k.id },
      member.headers,
    );
    expect(read.data).toEqual({ apiKey: { id: k.id } });
    const stranger = await signUp(t, 'stranger');
    const foreign = await t.gql(
      `query($id: ID!) { apiKey(id: $id) { id } }`,
      { id: k.id },
      stranger.headers,
    );
    expect(codeOf(foreign)).toBe('NOT_FOUND');
  });
});
