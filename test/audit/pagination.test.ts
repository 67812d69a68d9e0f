import { CreateRoleDocument } from '../clients/generated/graphql';
import { appendSyntheticEvents, chainOf, EVENTS_QUERY, VERIFY_CHAIN_QUERY } from '../helpers/audit';
import { basic, createKey } from '../helpers/api-keys';
import {
  addMember,
  createTeam,
  type SignedInUser,
  signUp,
  type TeamFixture,
} from '../helpers/factories';
import { codeOf, typed } from '../helpers/graphql';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Reading the audit log: keyset pages never skip or repeat an event while new ones arrive,
 * `first` is capped at 500, every filter of AuditEventFilter selects exactly what SQL says it
 * should, and only audit:read (a user's or a key's) opens a team's log.
 */
let t: TestServer;
let owner: SignedInUser;

beforeAll(async () => ({ t, owner } = await seed().owner('paging-owner')));
afterAll(() => t.close());

interface Page {
  ids: string[];
  cursors: string[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Only what paging needs: a page of 500 with every field of EVENTS_QUERY would cost 11,001, over the limit of 5,000. */
const IDS_QUERY = typed<{
  auditEvents: {
    edges: { cursor: string; node: { id: string } }[];
    pageInfo: Omit<Page, 'ids' | 'cursors'>;
  };
}>(
  `query($t: ID!, $f: AuditEventFilter, $first: Int, $after: String) {
    auditEvents(teamId: $t, filter: $f, first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
  }`,
);

async function page(
  teamId: string,
  variables: { first?: number; after?: string | null; f?: Record<string, unknown> } = {},
  headers = owner.headers,
): Promise<Page> {
  const res = await t.gql(IDS_QUERY, { t: teamId, ...variables }, headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  const { edges, pageInfo } = res.data.auditEvents;
  return { ids: edges.map((e) => e.node.id), cursors: edges.map((e) => e.cursor), ...pageInfo };
}

const createRole = (teamId: string, name: string, headers = owner.headers) =>
  t.gql(CreateRoleDocument, { teamId, name, permissions: [] }, headers);

async function idsBySql(
  teamId: string,
  condition = 'true',
  params: unknown[] = [],
): Promise<string[]> {
  const rows: { id: string }[] = await t.dataSource.query(
    `SELECT id FROM audit_events WHERE team_id = $1 AND (${condition}) ORDER BY chain_seq DESC`,
    [teamId, ...params],
  );
  return rows.map((r) => r.id);
}

describe('keyset pagination while events keep arriving', () => {
  it('the pages, first=7, hold exactly the events that existed when paging started, each once', async () => {
    const team = await createTeam(t, owner, 'Live paging');
    const key = await createKey(t, owner, team.id, { name: 'busy', scopes: ['team:read'] });
    await appendSyntheticEvents(t, team.id, 60);
    for (let i = 0; i < 10; i++)
      expect((await createRole(team.id, `before ${i}`)).errors).toBeUndefined();

    // A writer that keeps adding events to the same team: role changes (in the request's
    // transaction) and key uses (counted by the usage recorder, here made to write its counts
    // after each use rather than once the minute is over).
    let stop = false;
    let paused = false;
    let roles = 0;
    let uses = 0;
    let inFlight: Promise<void> = Promise.resolve();
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        if (paused) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        inFlight = (async () => {
          const [role, use] = await Promise.all([
            createRole(team.id, `live ${i}`),
            t.gql(`{ viewer { type } }`, {}, basic(key.key, key.secret)),
          ]);
          expect(role.errors).toBeUndefined();
          expect(use.errors).toBeUndefined();
          roles++;
          uses++;
          await t.server.services.usage.flush(true);
        })();
        await inFlight;
      }
    })();
    while (roles < 5) await new Promise((r) => setTimeout(r, 10));

    // The moment paging starts: writer held, pending key uses written, then the snapshot and page 1.
    paused = true;
    await inFlight;
    await t.server.services.usage.flush(true);
    const snapshot = await idsBySql(team.id);
    const pages: Page[] = [await page(team.id, { first: 7 })];
    expect(await idsBySql(team.id)).toEqual(snapshot);
    paused = false;
    const [rolesAtStart, usesAtStart] = [roles, uses];

    while (pages.at(-1)!.hasNextPage) {
      await new Promise((r) => setTimeout(r, 20));
      pages.push(await page(team.id, { first: 7, after: pages.at(-1)!.endCursor }));
    }
    stop = true;
    await writer;
    await t.server.services.usage.flush(true);

    const seen = pages.flatMap((p) => p.ids);
    expect(pages.slice(0, -1).every((p) => p.ids.length === 7)).toBe(true);
    expect(pages.at(-1)!.ids.length).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length); // no repeats
    expect(seen).toEqual(snapshot); // nothing skipped, nothing new, newest first
    expect(pages.length).toBe(Math.ceil(snapshot.length / 7));
    // and events did arrive meanwhile: the roles, and the rows counting the key's uses
    expect(roles - rolesAtStart).toBeGreaterThanOrEqual(2);
    const after = await idsBySql(team.id);
    expect(after.slice(after.length - snapshot.length)).toEqual(snapshot);
    const added: { action: string; metadata: { count?: number } }[] = await t.dataSource.query(
      `SELECT action, metadata FROM audit_events WHERE team_id = $1 AND NOT (id = ANY($2))`,
      [team.id, snapshot],
    );
    expect(added.filter((r) => r.action === 'role.created')).toHaveLength(roles - rolesAtStart);
    const used = added.filter((r) => r.action === 'apiKey.used');
    expect(used.length).toBeGreaterThanOrEqual(1);
    expect(used.reduce((n, r) => n + r.metadata.count!, 0)).toBe(uses - usesAtStart);
    expect(added).toHaveLength(roles - rolesAtStart + used.length);
    expect(
      (await t.gql(VERIFY_CHAIN_QUERY, { t: team.id }, owner.headers)).data!.verifyAuditChain.valid,
    ).toBe(true);
  });

  it('first is capped at 500; negative first and foreign cursors are BAD_USER_INPUT', async () => {
    const team = await createTeam(t, owner, 'Big log');
    await appendSyntheticEvents(t, team.id, 610);
    const all = await idsBySql(team.id);
    expect(all).toHaveLength(611);

    const big = await page(team.id, { first: 600 });
    expect(big.ids).toEqual(all.slice(0, 500));
    expect(big.hasNextPage).toBe(true);
    const rest = await page(team.id, { first: 100_000, after: big.endCursor });
    expect(rest.ids).toEqual(all.slice(500));
    expect(rest.hasNextPage).toBe(false);
    expect((await page(team.id, { first: 500 })).ids).toHaveLength(500);
    expect(await page(team.id, { first: 0 })).toMatchObject({
      ids: [],
      hasNextPage: true,
      endCursor: null,
    });
    // default page size
    expect((await page(team.id)).ids).toHaveLength(50);

    for (const variables of [
      { first: -1 },
      { after: 'not-a-cursor' },
      { after: Buffer.from('ApiKey:1').toString('base64url') },
    ]) {
      const res = await t.gql(EVENTS_QUERY, { t: team.id, ...variables }, owner.headers);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
    }
    expect(
      (await t.gql(VERIFY_CHAIN_QUERY, { t: team.id }, owner.headers)).data!.verifyAuditChain,
    ).toMatchObject({ valid: true, checkedEvents: 611 });
  });
});

describe('filters', () => {
  let team: TeamFixture;
  let admin: SignedInUser;
  let member: SignedInUser;
  let keyA: { id: string; key: string; secret: string };
  let roleId: string;

  beforeAll(async () => {
    team = await createTeam(t, owner, 'Filters');
    admin = await signUp(t, 'filter-admin');
    member = await signUp(t, 'filter-member');
    await addMember(t, owner, team.id, admin.email, team.roles.Admin);
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    keyA = await createKey(t, owner, team.id, { name: 'A', scopes: ['team:read'] });
    const keyB = await createKey(t, admin, team.id, { name: 'B' });
    roleId = (await createRole(team.id, 'Filtered role', admin.headers)).data!.createRole.id;
    await t.gql(
      `mutation($id: ID!) { updateRole(id: $id, name: "Renamed role") { id } }`,
      { id: roleId },
      owner.headers,
    );
    await t.gql(
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
      { id: keyA.id },
      member.headers,
    ); // DENIED
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: keyB.id },
      member.headers,
    ); // DENIED
    await createRole(team.id, 'Filtered role 2', member.headers); // DENIED
    await createRole(team.id, 'renamed ROLE', admin.headers); // CONFLICT: FAILURE
    await t.gql(`{ viewer { type } }`, {}, basic(keyA.key, keyA.secret)); // a use of A
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: keyB.id },
      admin.headers,
    );
    await t.gql(`mutation($id: ID!) { deleteRole(id: $id) }`, { id: roleId }, owner.headers);
    await t.server.services.usage.flush(true);
    // three events on known days, for from/to
    await appendSyntheticEvents(t, team.id, 3, (i) => ({
      occurredAt: new Date(Date.UTC(2020, 0, 1 + i, 12)),
      action: 'test.dated',
    }));
  });

  const all = (f: Record<string, unknown>) => page(team.id, { first: 500, f }).then((p) => p.ids);

  it('actions', async () => {
    const ids = await all({ actions: ['role.created', 'apiKey.revoked'] });
    expect(ids).toEqual(
      await idsBySql(team.id, `action = ANY($2)`, [['role.created', 'apiKey.revoked']]),
    );
    expect(ids.length).toBe(5); // role.created: 1 done, 1 refused, 1 failed (conflict); apiKey.revoked: 1 refused, 1 done
  });

  it('actorUserId', async () => {
    const ids = await all({ actorUserId: member.id });
    expect(ids).toEqual(await idsBySql(team.id, `actor_user_id = $2`, [member.id]));
    // joining the team (member.joined, the member's own act) and the three refusals
    expect(ids.length).toBe(4);
  });

  it('apiKeyId: everything about one key, its uses included', async () => {
    const ids = await all({ apiKeyId: keyA.id });
    expect(ids).toEqual(await idsBySql(team.id, `api_key_id = $2`, [keyA.id]));
    const actions = (await chainOf(t, team.id))
      .filter((r) => ids.includes(r.id))
      .map((r) => `${r.action}:${r.outcome}`);
    // its one use: the first from this address, and the minute that counts it
    expect(actions).toEqual([
      'apiKey.created:SUCCESS',
      'apiKey.secretRegenerated:DENIED',
      'apiKey.usedFromNewAddress:SUCCESS',
      'apiKey.used:SUCCESS',
    ]);
  });

  it('targetId', async () => {
    const ids = await all({ targetId: roleId });
    expect(ids).toEqual(await idsBySql(team.id, `target_id = $2`, [roleId]));
    expect(ids.length).toBe(3); // created, updated, deleted
  });

  it('outcome', async () => {
    for (const outcome of ['SUCCESS', 'DENIED', 'FAILURE']) {
      const ids = await all({ outcome });
      expect(ids).toEqual(await idsBySql(team.id, `outcome = $2`, [outcome]));
      expect(ids.length).toBeGreaterThan(0);
    }
  });

  it('from (included) and to (excluded)', async () => {
    const day = (d: number) => new Date(Date.UTC(2020, 0, d, 12)).toISOString();
    expect(await all({ from: day(2), to: day(3) })).toEqual(
      await idsBySql(team.id, `occurred_at >= $2 AND occurred_at < $3`, [day(2), day(3)]),
    );
    expect(await all({ from: day(2), to: day(3) })).toHaveLength(1);
    expect(await all({ to: day(3) })).toHaveLength(2);
    expect(await all({ from: day(1), to: day(4) })).toHaveLength(3);
    const recent = await all({ from: new Date(Date.UTC(2021, 0, 1)).toISOString() });
    expect(recent).toEqual(await idsBySql(team.id, `occurred_at >= '2021-01-01'`));
  });

  it('time windows are exact when the order of writing differs from the times (key uses are written late)', async () => {
    // written in this order, with these times: chain_seq order is not occurred_at order
    const at = (s: number) => new Date(Date.UTC(2019, 5, 1, 10, 0, s));
    const times = [at(5), at(1), at(3), new Date(Date.UTC(2019, 4, 31, 10)), at(9), at(2)];
    await appendSyntheticEvents(t, team.id, times.length, (i) => ({
      occurredAt: times[i],
      action: 'test.late',
    }));
    const windows = [
      { from: at(1), to: at(4) },
      { from: at(2), to: at(3) },
      { to: at(2) },
      { from: at(4), to: new Date(Date.UTC(2019, 11, 31)) },
    ];
    for (const w of windows) {
      const f: Record<string, string> = {
        to: w.to.toISOString(),
        ...(w.from ? { from: w.from.toISOString() } : {}),
      };
      const sql = w.from ? `occurred_at >= $2 AND occurred_at < $3` : `occurred_at < $2`;
      const expected = await idsBySql(team.id, sql, w.from ? [w.from, w.to] : [w.to]);
      expect(expected.length).toBeGreaterThan(0);
      expect(await all(f)).toEqual(expected);
      // one at a time: the same events, in the same order
      const paged: string[] = [];
      let after: string | null = null;
      for (let n = 0; n <= expected.length; n++) {
        const p = await page(team.id, { first: 1, f, after });
        paged.push(...p.ids);
        after = p.endCursor;
        if (!p.hasNextPage) break;
      }
      expect(paged).toEqual(expected);
      // and the export streams them oldest first
      const res = await fetch(
        `${t.url}/v1/audit/export?${new URLSearchParams({ teamId: team.id, format: 'ndjson', ...f }).toString()}`,
        { headers: owner.headers },
      );
      expect(res.status).toBe(200);
      const exported = (await res.text())
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).id);
      expect(exported).toEqual([...expected].reverse());
    }
    // a window with nothing in it
    const empty = await page(team.id, {
      first: 10,
      f: {
        from: new Date(Date.UTC(2018, 0, 1)).toISOString(),
        to: new Date(Date.UTC(2018, 0, 2)).toISOString(),
      },
    });
    expect(empty).toMatchObject({ ids: [], hasNextPage: false, endCursor: null });
  });

  it('combined, and paged', async () => {
    const f = {
      actions: ['role.created', 'apiKey.revoked', 'apiKey.secretRegenerated'],
      outcome: 'DENIED',
      actorUserId: member.id,
    };
    const expected = await idsBySql(
      team.id,
      `action = ANY($2) AND outcome = 'DENIED' AND actor_user_id = $3`,
      [f.actions, member.id],
    );
    expect(expected).toHaveLength(3);
    const first = await page(team.id, { first: 2, f });
    const second = await page(team.id, { first: 2, f, after: first.endCursor });
    expect([...first.ids, ...second.ids]).toEqual(expected);
    expect(second.hasNextPage).toBe(false);
  });

  it('bad filter values are BAD_USER_INPUT', async () => {
    for (const f of [
      { actorUserId: 'nope' },
      { apiKeyId: 'nope' },
      { targetId: 'x' },
      { actions: ['not an action'] },
      { actions: ['a.b', ''] },
    ]) {
      expect(codeOf(await t.gql(EVENTS_QUERY, { t: team.id, f }, owner.headers))).toBe(
        'BAD_USER_INPUT',
      );
    }
    expect(
      codeOf(await t.gql(EVENTS_QUERY, { t: team.id, f: { outcome: 'MAYBE' } }, owner.headers)),
    ).toBe('BAD_USER_INPUT');
  });
});

describe('who may read a team log', () => {
  let team: TeamFixture;

  beforeAll(async () => {
    team = await createTeam(t, owner, 'Readers');
  });

  async function answer(headers: Record<string, string>, teamId = team.id) {
    const res = await t.gql(EVENTS_QUERY, { t: teamId, first: 5 }, headers);
    const chain = await t.gql(VERIFY_CHAIN_QUERY, { t: teamId }, headers);
    return {
      events: codeOf(res) ?? (res.data?.auditEvents ? 'OK' : 'NO DATA'),
      chain: codeOf(chain) ?? (chain.data?.verifyAuditChain ? 'OK' : 'NO DATA'),
    };
  }

  it('Member: FORBIDDEN; Auditor: allowed; another team: NOT_FOUND; anonymous: UNAUTHENTICATED', async () => {
    const member = await signUp(t, 'reader-member');
    const auditor = await signUp(t, 'reader-auditor');
    const stranger = await signUp(t, 'reader-stranger');
    await addMember(t, owner, team.id, member.email, team.roles.Member);
    await addMember(t, owner, team.id, auditor.email, team.roles.Auditor);
    await createTeam(t, stranger, 'Elsewhere');
    expect(await answer(member.headers)).toEqual({ events: 'FORBIDDEN', chain: 'FORBIDDEN' });
    expect(await answer(auditor.headers)).toEqual({ events: 'OK', chain: 'OK' });
    expect(await answer(owner.headers)).toEqual({ events: 'OK', chain: 'OK' });
    expect(await answer(stranger.headers)).toEqual({ events: 'NOT_FOUND', chain: 'NOT_FOUND' });
    expect(await answer({})).toEqual({ events: 'UNAUTHENTICATED', chain: 'UNAUTHENTICATED' });
    const res = await t.gql(EVENTS_QUERY, { t: team.id, first: 5 }, member.headers);
    expect(res.data?.auditEvents ?? null).toBeNull();
  });

  it('an API key with the audit:read scope: allowed; without it: FORBIDDEN; of another team: NOT_FOUND', async () => {
    const reader = await createKey(t, owner, team.id, { name: 'reader', scopes: ['audit:read'] });
    const plain = await createKey(t, owner, team.id, {
      name: 'plain',
      scopes: ['team:read', 'apiKeys:read'],
    });
    const other = await createTeam(t, owner, 'Other');
    const foreign = await createKey(t, owner, other.id, {
      name: 'foreign',
      scopes: ['audit:read'],
    });
    expect(await answer(basic(reader.key, reader.secret))).toEqual({ events: 'OK', chain: 'OK' });
    expect(await answer(basic(plain.key, plain.secret))).toEqual({
      events: 'FORBIDDEN',
      chain: 'FORBIDDEN',
    });
    expect(await answer(basic(foreign.key, foreign.secret))).toEqual({
      events: 'NOT_FOUND',
      chain: 'NOT_FOUND',
    });
    const res = await t.gql(
      EVENTS_QUERY,
      { t: team.id, first: 200 },
      basic(reader.key, reader.secret),
    );
    expect(res.data!.auditEvents.edges.map((e) => e.node.action)).toContain('apiKey.created');
  });
});
