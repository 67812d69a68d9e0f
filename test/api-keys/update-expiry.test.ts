import {
  ApiKeyDocument,
  ApiKeysDocument,
  CreateApiKeyDocument,
  RegenerateApiKeySecretDocument,
  RevokeApiKeyDocument,
  RevokePermissionGrantDocument,
  UpdateApiKeyDocument,
} from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { createTeam, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { codeOf, type Gql } from '../helpers/graphql';
import { httpRequest, unissuedSecret, verifyWith } from '../helpers/http';
import { selectRows } from '../helpers/db-dump';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { shortExpiry } from '../helpers/time';

/**
 * updateApiKey, expiry, and who may give a key what and change which key:
 * - every field of UpdateApiKeyInput changes, and an expiry in the past changes nothing;
 * - a key past its expiry is EXPIRED everywhere (told only to a caller with the right secret);
 * - a revoked key is frozen (CONFLICT);
 * - scopes: never a permission that mutates (BAD_USER_INPUT, even for the Owner), never an unknown
 *   permission of this API (BAD_USER_INPUT), never one the caller lacks (FORBIDDEN); free
 *   application scopes are fine;
 * - apiKeys:create reaches the caller's own keys only; apiKeys:manage every key of the team;
 *   another team's owner sees nothing (NOT_FOUND).
 */
let t: TestServer;
let gql: Gql;
let owner: SignedInUser;
let team: TeamFixture;
let creator: SeededMember; // Member + apiKeys:create
let creatorGrantId: string;
let otherCreator: SignedInUser; // Member + apiKeys:create
let manager: SignedInUser; // Member + apiKeys:manage
let admin: SignedInUser; // Admin role (apiKeys:manage by role)
let plainMember: SignedInUser; // Member, no grant
let stranger: SignedInUser; // Owner of another team

const UPDATE = UpdateApiKeyDocument;
const REGENERATE = RegenerateApiKeySecretDocument;
const REVOKE = RevokeApiKeyDocument;
const CREATE = CreateApiKeyDocument;
const READ = ApiKeyDocument;

async function read(id: string, by = owner) {
  const res = await t.gql(READ, { id }, by.headers);
  expect(res.errors).toBeUndefined();
  return res.data!.apiKey;
}

beforeAll(async () => {
  ({ t, gql, owner, team, creator, otherCreator, manager, admin, plainMember, stranger } =
    await seed()
      .ownAddress()
      .owner('upd-owner')
      .team('Update and expiry')
      .member('creator', 'Member', { grants: ['apiKeys:create'] })
      .member('otherCreator', 'Member', { prefix: 'other-creator', grants: ['apiKeys:create'] })
      .member('manager', 'Member', { grants: ['apiKeys:manage'] })
      .member('admin', 'Admin')
      .member('plainMember', 'Member', { prefix: 'plain' })
      .user('stranger'));
  [creatorGrantId] = creator.grantIds;
  await createTeam(t, stranger, 'Elsewhere');
});
afterAll(() => t.close());

describe('updateApiKey', () => {
  it('changes name, description, scopes, expiresAt and allowedIps, and the changes take effect', async () => {
    const k = await createKey(t, owner, team.id, {
      name: 'before',
      description: 'old',
      scopes: ['orders:read'],
    });
    expect(
      (
        await verifyWith(gql, k.key, k.secret, {
          clientIp: '192.0.2.1',
          requiredScopes: ['orders:read'],
        })
      ).code,
    ).toBe('VALID');
    const expiresAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    const res = await t.gql(
      UPDATE,
      {
        id: k.id,
        input: {
          name: 'after',
          description: 'new words',
          scopes: ['team:read', 'orders:write'],
          expiresAt,
          allowedIps: ['10.0.0.0/8', '2001:db8::1'],
        },
      },
      owner.headers,
    );
    expect(res.errors).toBeUndefined();
    const expected = {
      name: 'after',
      description: 'new words',
      scopes: ['orders:write', 'team:read'],
      expiresAt,
      allowedIps: ['10.0.0.0/8', '2001:db8::1'],
      status: 'ACTIVE',
      secretVersion: 1,
    };
    expect(res.data!.updateApiKey).toMatchObject(expected);
    expect(await read(k.id)).toMatchObject(expected);
    // in effect at once, the secret unchanged
    expect((await verifyWith(gql, k.key, k.secret, { clientIp: '192.0.2.1' })).code).toBe(
      'IP_NOT_ALLOWED',
    );
    expect(
      (
        await verifyWith(gql, k.key, k.secret, {
          clientIp: '10.9.8.7',
          requiredScopes: ['orders:read'],
        })
      ).code,
    ).toBe('INSUFFICIENT_SCOPE');
    expect(
      await verifyWith(gql, k.key, k.secret, {
        clientIp: '10.9.8.7',
        requiredScopes: ['orders:write', 'team:read'],
      }),
    ).toMatchObject({
      code: 'VALID',
      scopes: ['orders:write', 'team:read'],
    });

    // only what is given changes; null clears description and expiry
    const partial = await t.gql(
      UPDATE,
      { id: k.id, input: { description: null, expiresAt: null } },
      owner.headers,
    );
    expect(partial.errors).toBeUndefined();
    expect(partial.data!.updateApiKey).toMatchObject({
      ...expected,
      description: null,
      expiresAt: null,
    });
  });

  it('refuses an expiry in the past with BAD_USER_INPUT and changes nothing at all', async () => {
    const k = await createKey(t, owner, team.id, { name: 'steady', scopes: ['orders:read'] });
    const before = await read(k.id);
    const updatesBefore = await selectRows(
      `SELECT id FROM audit_events WHERE action = 'apiKey.updated' AND target_id = $1 AND outcome = 'SUCCESS'`,
      [k.id],
    );
    for (const expiresAt of [
      new Date(Date.now() - 60_000).toISOString(),
      new Date(Date.now() - 1_000).toISOString(),
      '2001-01-01T00:00:00.000Z',
    ]) {
      const res = await t.gql(
        UPDATE,
        { id: k.id, input: { name: 'changed', scopes: ['orders:write'], expiresAt } },
        owner.headers,
      );
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.data?.updateApiKey ?? null).toBeNull();
    }
    const created = await t.gql(
      CREATE,
      {
        input: {
          teamId: team.id,
          name: 'born expired',
          expiresAt: new Date(Date.now() - 1_000).toISOString(),
        },
      },
      owner.headers,
    );
    expect(codeOf(created)).toBe('BAD_USER_INPUT');
    expect(await read(k.id)).toEqual(before);
    const updatesAfter = await selectRows(
      `SELECT id FROM audit_events WHERE action = 'apiKey.updated' AND target_id = $1 AND outcome = 'SUCCESS'`,
      [k.id],
    );
    // refused attempts may be audited (as FAILURE), but no change is recorded as done
    expect(updatesAfter).toHaveLength(updatesBefore.length);
    expect((await verifyWith(gql, k.key, k.secret, { requiredScopes: ['orders:read'] })).code).toBe(
      'VALID',
    );
  });

  it('a revoked key can be neither updated nor regenerated (CONFLICT)', async () => {
    const k = await createKey(t, owner, team.id, { name: 'to revoke' });
    expect((await t.gql(REVOKE, { id: k.id }, owner.headers)).data!.revokeApiKey.status).toBe(
      'REVOKED',
    );
    const before = await read(k.id);
    expect(
      codeOf(await t.gql(UPDATE, { id: k.id, input: { name: 'revived?' } }, owner.headers)),
    ).toBe('CONFLICT');
    expect(
      codeOf(
        await t.gql(
          UPDATE,
          { id: k.id, input: { expiresAt: new Date(Date.now() + 3600_000).toISOString() } },
          owner.headers,
        ),
      ),
    ).toBe('CONFLICT');
    expect(codeOf(await t.gql(REGENERATE, { id: k.id }, owner.headers))).toBe('CONFLICT');
    expect(await read(k.id)).toEqual(before);
    expect((await verifyWith(gql, k.key, k.secret)).code).toBe('REVOKED');
  });
});

describe('expiry', () => {
  it('a key whose expiry passes is EXPIRED: status, verification (right secret only), Basic 401, /v1/authorize 401', async () => {
    const expiry = shortExpiry();
    const k = await createKey(t, owner, team.id, { name: 'short-lived', expiresAt: expiry.iso });
    // in use (and in the verification cache) before it expires
    await expiry.before(
      () => verifyWith(gql, k.key, k.secret),
      (answer) => expect(answer.code).toBe('VALID'),
    );
    await expiry.before(
      () => t.gql(`{ viewer { type } }`, {}, basic(k.key, k.secret)),
      (answer) => expect(answer.status).toBe(200),
    );
    await expiry.before(
      () => read(k.id),
      (answer) => expect(answer.status).toBe('ACTIVE'),
    );

    await expiry.passed();

    const now = await read(k.id);
    expect(now.status).toBe('EXPIRED');
    expect(new Date(now.expiresAt!).getTime()).toBe(expiry.at);
    const listed = await t.gql(
      ApiKeysDocument,
      { teamId: team.id, status: 'EXPIRED' },
      owner.headers,
    );
    expect(listed.data!.apiKeys.edges.map((e) => e.node.id)).toContain(k.id);
    const active = await t.gql(
      ApiKeysDocument,
      { teamId: team.id, status: 'ACTIVE', first: 100 },
      owner.headers,
    );
    expect(active.data!.apiKeys.edges.map((e) => e.node.id)).not.toContain(k.id);

    expect(await verifyWith(gql, k.key, k.secret)).toMatchObject({
      valid: false,
      code: 'EXPIRED',
      apiKey: { id: k.id },
    });
    expect(await verifyWith(gql, k.key, unissuedSecret())).toEqual({
      valid: false,
      code: 'INVALID',
      teamId: null,
      scopes: [],
      apiKey: null,
    });
    const viaBasic = await t.gql(`{ viewer { type } }`, {}, basic(k.key, k.secret));
    expect(viaBasic.status).toBe(401);
    expect(codeOf(viaBasic)).toBe('UNAUTHENTICATED');
    expect(
      (await httpRequest(`${t.url}/v1/authorize`, { headers: basic(k.key, k.secret) })).status,
    ).toBe(401);
    // an expired key can be revoked, and is then REVOKED
    expect((await t.gql(REVOKE, { id: k.id }, owner.headers)).data!.revokeApiKey.status).toBe(
      'REVOKED',
    );
  });
});

describe('scopes a key may be given', () => {
  it("a member granted apiKeys:create can't give a key audit:read, which they lack (FORBIDDEN); what they hold is fine", async () => {
    const denied = await t.gql(
      CREATE,
      { input: { teamId: team.id, name: 'x', scopes: ['audit:read'] } },
      creator.headers,
    );
    expect(codeOf(denied)).toBe('FORBIDDEN');
    const mixed = await t.gql(
      CREATE,
      { input: { teamId: team.id, name: 'x', scopes: ['team:read', 'audit:read'] } },
      creator.headers,
    );
    expect(codeOf(mixed)).toBe('FORBIDDEN');
    const ok = await t.gql(
      CREATE,
      {
        input: {
          teamId: team.id,
          name: 'x',
          scopes: ['team:read', 'members:read', 'apiKeys:read', 'orders:read'],
        },
      },
      creator.headers,
    );
    expect(ok.errors).toBeUndefined();
    const id = ok.data!.createApiKey.apiKey.id;
    const widen = await t.gql(
      UPDATE,
      { id, input: { scopes: ['team:read', 'audit:read'] } },
      creator.headers,
    );
    expect(codeOf(widen)).toBe('FORBIDDEN');
    expect((await read(id)).scopes).toEqual([
      'apiKeys:read',
      'members:read',
      'orders:read',
      'team:read',
    ]);
    // the Owner holds audit:read and may give it
    const byOwner = await t.gql(
      CREATE,
      { input: { teamId: team.id, name: 'auditor app', scopes: ['audit:read'] } },
      owner.headers,
    );
    expect(byOwner.data!.createApiKey.apiKey.scopes).toEqual(['audit:read']);
  });

  it.each(['apiKeys:create', 'apiKeys:manage', 'members:manage', 'team:manage', 'roles:manage'])(
    'nobody, not even the Owner, can give a key %s (BAD_USER_INPUT)',
    async (scope) => {
      for (const by of [owner, admin]) {
        const created = await t.gql(
          CREATE,
          { input: { teamId: team.id, name: 'x', scopes: ['team:read', scope] } },
          by.headers,
        );
        expect(codeOf(created)).toBe('BAD_USER_INPUT');
      }
      const k = await createKey(t, owner, team.id, { scopes: ['team:read'] });
      expect(
        codeOf(await t.gql(UPDATE, { id: k.id, input: { scopes: [scope] } }, owner.headers)),
      ).toBe('BAD_USER_INPUT');
      expect((await read(k.id)).scopes).toEqual(['team:read']);
    },
  );

  it.each([
    'apiKeys:delete',
    'team:delete',
    'audit:write',
    'members:write',
    'roles:read',
    'apiKeys:*',
  ])('an unknown permission of this API, %s, is BAD_USER_INPUT', async (scope) => {
    expect(
      codeOf(
        await t.gql(
          CREATE,
          { input: { teamId: team.id, name: 'x', scopes: [scope] } },
          owner.headers,
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    const k = await createKey(t, owner, team.id, { scopes: ['orders:read'] });
    expect(
      codeOf(
        await t.gql(UPDATE, { id: k.id, input: { scopes: ['orders:read', scope] } }, owner.headers),
      ),
    ).toBe('BAD_USER_INPUT');
    expect((await read(k.id)).scopes).toEqual(['orders:read']);
  });

  it('malformed scopes are BAD_USER_INPUT; free application scopes are accepted as they are', async () => {
    for (const scope of ['orders', 'not a scope', ':read', 'orders:', '']) {
      expect(
        codeOf(
          await t.gql(
            CREATE,
            { input: { teamId: team.id, name: 'x', scopes: [scope] } },
            owner.headers,
          ),
        ),
      ).toBe('BAD_USER_INPUT');
    }
    const free = ['orders:read', 'orders:write', 'billing.invoices:read', 'inventory:*'];
    for (const by of [owner, creator]) {
      const res = await t.gql(
        CREATE,
        { input: { teamId: team.id, name: 'free', scopes: free } },
        by.headers,
      );
      expect(res.errors).toBeUndefined();
      expect([...res.data!.createApiKey.apiKey.scopes].sort()).toEqual([...free].sort());
    }
  });
});

describe('who may change which key', () => {
  let ownersKey: CreatedKey;
  let creatorsKey: CreatedKey;
  let othersKey: CreatedKey;

  beforeAll(async () => {
    ownersKey = await createKey(t, owner, team.id, { name: 'owner key' });
    creatorsKey = await createKey(t, creator, team.id, { name: 'creator key' });
    othersKey = await createKey(t, otherCreator, team.id, { name: 'other creator key' });
  });

  it('the creator (Member + apiKeys:create) updates, regenerates and revokes the keys they created', async () => {
    const mine = await createKey(t, creator, team.id, { name: 'mine', scopes: ['team:read'] });
    const updated = await t.gql(
      UPDATE,
      { id: mine.id, input: { name: 'mine, renamed', scopes: ['orders:read'] } },
      creator.headers,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateApiKey).toMatchObject({
      name: 'mine, renamed',
      scopes: ['orders:read'],
      createdBy: { id: creator.id },
    });
    const regenerated = await t.gql(REGENERATE, { id: mine.id }, creator.headers);
    expect(regenerated.data!.regenerateApiKeySecret.apiKey.secretVersion).toBe(2);
    expect(
      (await verifyWith(gql, mine.key, regenerated.data!.regenerateApiKeySecret.secret)).code,
    ).toBe('VALID');
    expect((await t.gql(REVOKE, { id: mine.id }, creator.headers)).data!.revokeApiKey.status).toBe(
      'REVOKED',
    );
  });

  it("the creator can't touch keys created by someone else (FORBIDDEN), and nothing changes", async () => {
    for (const k of [ownersKey, othersKey]) {
      const before = await read(k.id);
      expect(
        codeOf(await t.gql(UPDATE, { id: k.id, input: { name: 'hijacked' } }, creator.headers)),
      ).toBe('FORBIDDEN');
      expect(codeOf(await t.gql(REGENERATE, { id: k.id }, creator.headers))).toBe('FORBIDDEN');
      expect(codeOf(await t.gql(REVOKE, { id: k.id }, creator.headers))).toBe('FORBIDDEN');
      expect(await read(k.id)).toEqual(before);
      expect((await verifyWith(gql, k.key, k.secret)).code).toBe('VALID');
    }
    // a member without any key permission can't change keys at all, not even read-only fields
    expect(
      codeOf(
        await t.gql(UPDATE, { id: creatorsKey.id, input: { name: 'x' } }, plainMember.headers),
      ),
    ).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(REGENERATE, { id: creatorsKey.id }, plainMember.headers))).toBe(
      'FORBIDDEN',
    );
  });

  it('apiKeys:manage (granted, or by the Admin role) manages every key of the team', async () => {
    for (const by of [manager, admin]) {
      const a = await createKey(t, owner, team.id, { name: 'owner key' });
      const b = await createKey(t, creator, team.id, { name: 'creator key' });
      for (const k of [a, b]) {
        const upd = await t.gql(
          UPDATE,
          { id: k.id, input: { name: `managed by ${by.email}`, allowedIps: ['203.0.113.0/24'] } },
          by.headers,
        );
        expect(upd.errors).toBeUndefined();
        expect(upd.data!.updateApiKey.name).toBe(`managed by ${by.email}`);
        const regen = await t.gql(REGENERATE, { id: k.id }, by.headers);
        expect(regen.errors).toBeUndefined();
        expect((await verifyWith(gql, k.key, k.secret)).code).toBe('INVALID');
        expect((await t.gql(REVOKE, { id: k.id }, by.headers)).data!.revokeApiKey.status).toBe(
          'REVOKED',
        );
      }
    }
  });

  it("another team's owner gets NOT_FOUND for the key, exactly as for a key that does not exist", async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const id of [ownersKey.id, missing]) {
      expect(codeOf(await t.gql(READ, { id }, stranger.headers))).toBe('NOT_FOUND');
      expect(
        codeOf(await t.gql(UPDATE, { id, input: { name: 'mine now' } }, stranger.headers)),
      ).toBe('NOT_FOUND');
      expect(codeOf(await t.gql(REGENERATE, { id }, stranger.headers))).toBe('NOT_FOUND');
      expect(codeOf(await t.gql(REVOKE, { id }, stranger.headers))).toBe('NOT_FOUND');
    }
    expect(
      codeOf(
        await t.gql(CREATE, { input: { teamId: team.id, name: 'intruder' } }, stranger.headers),
      ),
    ).toBe('NOT_FOUND');
    expect((await read(ownersKey.id)).name).toBe('owner key');
    expect((await verifyWith(gql, ownersKey.key, ownersKey.secret)).code).toBe('VALID');
  });

  it('once the apiKeys:create grant is withdrawn, its holder no longer manages even their own keys', async () => {
    const res = await t.gql(RevokePermissionGrantDocument, { id: creatorGrantId }, owner.headers);
    expect(res.errors).toBeUndefined();
    expect(
      codeOf(
        await t.gql(
          UPDATE,
          { id: creatorsKey.id, input: { name: 'still mine?' } },
          creator.headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(REVOKE, { id: creatorsKey.id }, creator.headers))).toBe('FORBIDDEN');
    expect((await read(creatorsKey.id)).status).toBe('ACTIVE');
  });
});
