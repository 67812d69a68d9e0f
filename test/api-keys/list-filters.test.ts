import { ApiKeysDocument, type ApiKeysQueryVariables } from '../clients/generated/graphql';
import { createKey, verify, type CreatedKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { eventually } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * The API Access page narrows a team's keys the way its users ask: by name or public key, keys
 * never used, keys whose owner left, keys expiring before a date, by status; and the count on
 * every page is the count of what matched. Filters combine (all must hold), and a search is text,
 * never a pattern: `%` and `_` match themselves.
 */
let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
const keys: Record<string, CreatedKey> = {};
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

beforeAll(async () => {
  ({ t, owner, team } = await seed().owner('filters-owner').team('Filters'));
  const make = async (name: string, input: { expiresAt?: string } = {}) => {
    keys[name] = await createKey(t, owner, team.id, { name, ...input });
  };
  await make('Billing export', { expiresAt: inDays(5) });
  await make('billing sync', { expiresAt: inDays(40) });
  await make('Orders 100%_done');
  await make('Warehouse');
  // one use, traced by the usage recorder within seconds
  expect((await verify(t, keys.Warehouse.key, keys.Warehouse.secret)).code).toBe('VALID');
  await eventually(async () => (await names({ neverUsed: false })).length === 1, 10_000);
});
afterAll(() => t.close());

async function page(filter: Omit<ApiKeysQueryVariables, 'teamId'>) {
  const res = await t.gql(ApiKeysDocument, { teamId: team.id, ...filter }, owner.headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.apiKeys;
}

async function names(filter: Omit<ApiKeysQueryVariables, 'teamId'>): Promise<string[]> {
  const found = await page(filter);
  expect(found.totalCount).toBe(found.edges.length);
  return found.edges.map((e) => e.node.name).sort();
}

describe('narrowing the list of keys', () => {
  it('searches names in any case and public keys by their beginning', async () => {
    expect(await names({ search: 'BILLING' })).toEqual(['Billing export', 'billing sync']);
    expect(await names({ search: '  sync ' })).toEqual(['billing sync']);
    expect(await names({ search: keys.Warehouse.key })).toEqual(['Warehouse']);
    expect(await names({ search: keys.Warehouse.key.slice(0, 12) })).toEqual(['Warehouse']);
    // the middle of a public key is not its beginning
    expect(await names({ search: keys.Warehouse.key.slice(6, 14) })).toEqual([]);
    expect(await names({ search: '' })).toHaveLength(4);
  });

  it('takes % and _ as the characters they are', async () => {
    expect(await names({ search: '%' })).toEqual(['Orders 100%_done']);
    expect(await names({ search: '0%_d' })).toEqual(['Orders 100%_done']);
    expect(await names({ search: '_' })).toEqual(['Orders 100%_done']);
    expect(await names({ search: '\\' })).toEqual([]);
  });

  it('finds keys never used, and keys used at least once', async () => {
    expect(await names({ neverUsed: true })).toEqual([
      'Billing export',
      'Orders 100%_done',
      'billing sync',
    ]);
    expect(await names({ neverUsed: false })).toEqual(['Warehouse']);
  });

  it('finds keys expiring before a date, leaving out keys that never expire', async () => {
    expect(await names({ expiresBefore: inDays(10) })).toEqual(['Billing export']);
    expect(await names({ expiresBefore: inDays(100) })).toEqual(['Billing export', 'billing sync']);
  });

  it('combines filters, and pages keep the count of everything that matched', async () => {
    expect(await names({ search: 'billing', expiresBefore: inDays(10), status: 'ACTIVE' })).toEqual(
      ['Billing export'],
    );
    expect(await names({ search: 'billing', neverUsed: false })).toEqual([]);
    const first = await page({ search: 'billing', first: 1 });
    expect(first.totalCount).toBe(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page({ search: 'billing', first: 1, after: first.pageInfo.endCursor });
    expect(second.totalCount).toBe(2);
    expect(second.edges.map((e) => e.node.name)).not.toEqual(first.edges.map((e) => e.node.name));
  });

  it('refuses a search that is too long or hides characters, and a time out of range', async () => {
    for (const filter of [
      { search: 'x'.repeat(101) },
      { search: 'Bill\u200Bing' },
      { expiresBefore: '10000-01-01T00:00:00Z' },
    ]) {
      const res = await t.gql(ApiKeysDocument, { teamId: team.id, ...filter }, owner.headers);
      expect({ filter, code: codeOf(res) }).toEqual({ filter, code: 'BAD_USER_INPUT' });
    }
  });
});
