import type { AuditAction } from '../../src/modules/audit/audit-actions';
import 'reflect-metadata';
import { isObjectType } from 'graphql';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/auth/tokens';
import { PERMISSIONS, type Permission } from '../../src/permissions/catalog';
import { buildBareSchema } from '../../src/schema';
import {
  ApiKeyDocument,
  CreateRoleDocument,
  MySessionsDocument,
  TeamDocument,
} from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import {
  addMember,
  bearer,
  createTeam,
  grant,
  invite,
  logIn,
  PASSWORD,
  platformAdmin,
  type SignedInUser,
  signUp,
  type TeamFixture,
  uniqueEmail,
} from '../helpers/factories';
import { codeOf, documentText, type GraphQLAnswer } from '../helpers/graphql';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The authorization matrix: every operation of the API, called by every kind of caller, over real
 * HTTP. It is data: one row per operation (a document, how to build its variables from the
 * fixtures, and the expected outcome for each principal). To cover a new operation, add a row to
 * OPERATIONS; to cover a new kind of caller, add it to PRINCIPALS and give every row an outcome
 * for it (the type checker lists the rows to update). The `apiKey` principal is an application
 * calling with a key of the team that holds every read scope of this API (team:read,
 * members:read, apiKeys:read, audit:read): it reads what those allow and is refused every change
 * to keys, members, roles and teams, and everything meant for a person (me, logOut, createTeam).
 *
 * Outcomes: 'allowed', or the error code the caller must get:
 * - UNAUTHENTICATED: no credentials;
 * - FORBIDDEN: the caller sees the team but lacks the permission;
 * - NOT_FOUND: the object belongs to a team the caller can't see (as if it did not exist).
 */

const PRINCIPALS = [
  'anonymous',
  'member',
  'auditor',
  'admin',
  'owner',
  'granted',
  'otherOwner',
  'platformAdmin',
  'apiKey',
] as const;
type PrincipalName = (typeof PRINCIPALS)[number];
type UserPrincipal = Exclude<PrincipalName, 'anonymous' | 'granted' | 'apiKey'>;
type Outcome = 'allowed' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';
type Vars = Record<string, unknown>;

/** Everything the rows build their variables from; made once in beforeAll. */
interface Fixtures {
  /** the team every row acts on; `owner`, `admin`, `member`, `auditor` and the grantees belong to it */
  team: TeamFixture;
  /** a team of `otherOwner` only */
  otherTeam: TeamFixture;
  users: Record<UserPrincipal, SignedInUser>;
  /** members of `team` with the built-in Member role plus one grant, by the permission granted */
  grantees: Partial<Record<Permission, SignedInUser>>;
  /** a custom role of `team` that holds team:read only */
  viewerRoleId: string;
  /** a user outside every team, to sign in as */
  loginTarget: SignedInUser;
  /** a user outside the fixture teams who makes a fresh team for each invitation a cell answers */
  host: SignedInUser;
  /** the `apiKey` principal: a key of `team` made by its owner, with every read scope of this API */
  apiKey: CreatedKey;
  /** a key of `team` made by its owner, that read rows look at and verifyApiCredentials checks */
  sampleKey: CreatedKey;
}

/** What a row's variables builder and effect check get: the cell being run. */
interface Cell {
  t: TestServer;
  fx: Fixtures;
  principal: PrincipalName;
  /** the signed-in user behind the principal (none for anonymous and the API key) */
  user?: SignedInUser;
  /** made fresh for this cell by the builder, for the effect check: ids, names */
  made: Record<string, string>;
}

interface OperationRow {
  /** the row's title when `covers` is not enough to tell it apart from another row */
  label?: string;
  /** schema coordinates this row exercises, e.g. `Mutation.addTeamMember` or `Team.members` */
  covers: string[];
  document: string;
  /**
   * The team permission the operation needs: the `granted` principal is a Member holding a grant
   * of exactly this permission. Omitted: it gets the members:manage grantee.
   */
  needs?: Permission;
  /** every cell signs in again first, and calls with that session of its own */
  freshSession?: boolean;
  /**
   * which of the caller's sessions an allowed call ends: the one it was called with, the others, or
   * all; the runner checks it, and signs the principal in again when its fixture session ended
   */
  endsSessions?: 'this' | 'others' | 'all';
  /** variables for one cell; a destructive operation makes fresh objects here (recorded in `made`) */
  variables(cell: Cell): Promise<Vars> | Vars;
  expect: Record<PrincipalName, Outcome>;
  /** more checks of an allowed answer */
  check?(cell: Cell, data: Record<string, unknown>): Promise<void> | void;
  /** for mutations: the change happened if and only if the call was allowed */
  effect?(cell: Cell, allowed: boolean): Promise<void>;
}

// Common shapes of expectations.
const everyone: Record<PrincipalName, Outcome> = {
  anonymous: 'allowed',
  member: 'allowed',
  auditor: 'allowed',
  admin: 'allowed',
  owner: 'allowed',
  granted: 'allowed',
  otherOwner: 'allowed',
  platformAdmin: 'allowed',
  apiKey: 'allowed',
};
const signedIn: Record<PrincipalName, Outcome> = { ...everyone, anonymous: 'UNAUTHENTICATED' };
/** for people only (me, logOut, createTeam): an API key is not a person */
const people: Record<PrincipalName, Outcome> = { ...signedIn, apiKey: 'FORBIDDEN' };
/**
 * a read that every role of the team has (team:read, members:read, apiKeys:read); the API key
 * holds these as scopes
 */
const teamReaders: Record<PrincipalName, Outcome> = { ...signedIn, otherOwner: 'NOT_FOUND' };
/** audit:read: Auditor, Owner, Admin, the grantee, platform admins and the key (its scope) */
const auditReaders: Record<PrincipalName, Outcome> = { ...teamReaders, member: 'FORBIDDEN' };
/**
 * members:manage, roles:manage, apiKeys:create: Owner, Admin, the grantee and platform admins.
 * Never an API key, whatever its scopes.
 */
const teamManagers: Record<PrincipalName, Outcome> = {
  ...teamReaders,
  member: 'FORBIDDEN',
  auditor: 'FORBIDDEN',
  apiKey: 'FORBIDDEN',
};
/** a change to a key someone else made: apiKeys:manage only (the apiKeys:create grantee is refused) */
const keyManagers: Record<PrincipalName, Outcome> = { ...teamManagers, granted: 'FORBIDDEN' };
/** what only a platform admin may do: even the team's Owner is refused (people join by invitation) */
const platformAdminOnly: Record<PrincipalName, Outcome> = {
  ...people,
  member: 'FORBIDDEN',
  auditor: 'FORBIDDEN',
  admin: 'FORBIDDEN',
  owner: 'FORBIDDEN',
  granted: 'FORBIDDEN',
  otherOwner: 'FORBIDDEN',
};

// ---------------------------------------------------------------------------------------------
// Fresh objects in the main team, made by its owner, for destructive operations.

async function freshUser(cell: Cell, prefix = 'fresh'): Promise<SignedInUser> {
  return signUp(cell.t, prefix);
}

async function freshMember(cell: Cell, role = 'Member'): Promise<string> {
  const user = await freshUser(cell);
  const id = await addMember(
    cell.t,
    cell.fx.users.owner,
    cell.fx.team.id,
    user.email,
    cell.fx.team.roles[role],
  );
  cell.made.membershipId = id;
  cell.made.userId = user.id;
  return id;
}

async function freshRole(cell: Cell): Promise<string> {
  const name = `role-${Math.random().toString(36).slice(2, 10)}`;
  const res = await cell.t.gql(
    CreateRoleDocument,
    { teamId: cell.fx.team.id, name, permissions: ['team:read'] },
    cell.fx.users.owner.headers,
  );
  if (!res.data?.createRole) throw new Error(`createRole failed: ${JSON.stringify(res.errors)}`);
  cell.made.roleId = res.data.createRole.id;
  cell.made.roleName = name;
  return res.data.createRole.id;
}

/** A key of the main team made by its owner (as it might be by anyone with apiKeys:manage). */
async function freshKey(cell: Cell, scopes: string[] = ['orders:read']): Promise<string> {
  cell.made.keyName = uniqueName('matrix-key');
  const key = await createKey(cell.t, cell.fx.users.owner, cell.fx.team.id, {
    name: cell.made.keyName,
    scopes,
  });
  cell.made.keyId = key.id;
  return key.id;
}

/** Principals that can create keys in the main team (the createApiKey row says so too). */
const KEY_CREATORS = new Set<PrincipalName>(['admin', 'owner', 'granted', 'platformAdmin']);

/**
 * A key of the main team that the caller created. Callers that can create keys make it through
 * the API; for a Member, an Auditor and the other team's owner it stands for a key they made
 * when they held apiKeys:create in the team (and have lost it since): made by the owner, then
 * recorded as theirs. The anonymous caller and the API key get a key of the owner's.
 */
async function callersOwnKey(cell: Cell): Promise<string> {
  if (cell.user && KEY_CREATORS.has(cell.principal)) {
    cell.made.keyName = uniqueName('own-key');
    const key = await createKey(cell.t, cell.user, cell.fx.team.id, {
      name: cell.made.keyName,
      scopes: ['orders:read'],
    });
    cell.made.keyId = key.id;
    return key.id;
  }
  const id = await freshKey(cell);
  if (cell.user)
    await cell.t.dataSource.query(
      `UPDATE api_keys SET created_by_id = $2, owner_id = $2 WHERE id = $1`,
      [id, cell.user.id],
    );
  return id;
}

/**
 * update, regenerate, revoke and transfer, each in three rows: on a key the team's owner made
 * (apiKeys:manage only), on the caller's own key (apiKeys:manage, or apiKeys:create for its
 * owner; any owner may transfer), and on a key of the owner's that holds audit:read, which
 * nobody lacking audit:read may regenerate, update or transfer: the `granted` principal there
 * is a Member granted apiKeys:manage, and holds no audit:read. Every cell gets a fresh key (in
 * `made.keyId`): these operations change or kill it.
 */
function keyChangeRows(spec: {
  field: string;
  document: string;
  variables?(cell: Cell): Promise<Vars> | Vars;
  check: (cell: Cell, data: Record<string, unknown>) => void;
  effect: (cell: Cell, allowed: boolean) => Promise<void>;
  /** what the caller's own key answers (default: keyManagers, plus the apiKeys:create grantee) */
  own?: Record<PrincipalName, Outcome>;
  /** what the audit:read key answers for the apiKeys:manage grantee */
  grantedOnAuditKey: Outcome;
}): OperationRow[] {
  const targets = {
    owner: {
      label: "a key made by the team's owner",
      needs: 'apiKeys:create' as Permission,
      expect: keyManagers,
      key: freshKey,
    },
    own: {
      label: "the caller's own key",
      needs: 'apiKeys:create' as Permission,
      expect: spec.own ?? { ...keyManagers, granted: 'allowed' as Outcome },
      key: callersOwnKey,
    },
    audit: {
      label: "a key of the owner's holding audit:read",
      needs: 'apiKeys:manage' as Permission,
      expect: { ...keyManagers, granted: spec.grantedOnAuditKey },
      key: (cell: Cell) => freshKey(cell, ['audit:read', 'orders:read']),
    },
  };
  return Object.values(targets).map((target) => ({
    label: `Mutation.${spec.field} (${target.label})`,
    covers: [`Mutation.${spec.field}`],
    document: spec.document,
    needs: target.needs,
    variables: async (cell) => ({ id: await target.key(cell), ...(await spec.variables?.(cell)) }),
    expect: target.expect,
    check: spec.check,
    effect: spec.effect,
  }));
}

/** How often an action succeeded in the fixture team, by the audit log. */
async function successes(cell: Cell, action: AuditAction): Promise<number> {
  const row = await one<{ n: number }>(
    cell,
    `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND action = $2 AND outcome = 'SUCCESS'`,
    [cell.fx.team.id, action],
  );
  return row?.n ?? 0;
}

/**
 * An endpoint of the fixture team, made by its owner for one cell (to a port nothing answers),
 * after removing the earlier cells' (a team may have 20).
 */
async function freshEndpoint(cell: Cell): Promise<string> {
  await cell.t.dataSource.query(`DELETE FROM webhook_endpoints WHERE team_id = $1`, [
    cell.fx.team.id,
  ]);
  const res = await cell.t.gql(
    `mutation($t: ID!) { createWebhookEndpoint(teamId: $t, url: "http://127.0.0.1:9/matrix",
      events: ["apiKey.expiring"]) { endpoint { id } } }`,
    { t: cell.fx.team.id },
    cell.fx.users.owner.headers,
  );
  const id = (res.data as { createWebhookEndpoint: { endpoint: { id: string } } })
    .createWebhookEndpoint.endpoint.id;
  cell.made.endpointId = id;
  return id;
}

/** The webhook rows' effect: one more success of `action` if and only if the call was allowed. */
function webhookRow(action: AuditAction) {
  return {
    needs: 'webhooks:manage' as const,
    expect: teamManagers,
    effect: async (cell: Cell, allowed: boolean) =>
      expect(await successes(cell, action)).toBe(Number(cell.made.before) + (allowed ? 1 : 0)),
  };
}

/** How often the fixture team was renamed. */
const teamRenames = (cell: Cell) => successes(cell, 'team.updated');
/** How often the fixture team's key rules changed. */
const policyChanges = (cell: Cell) => successes(cell, 'policy.changed');

/**
 * A fresh team of the owner's, joined by the cell's user with the role its principal stands for
 * (the owner gets a second Owner beside it, so it is not the last). Platform admins, the other
 * team's owner and the key are not in it.
 */
async function teamToLeave(cell: Cell): Promise<string> {
  const { t, fx, principal, user } = cell;
  const team = await createTeam(t, fx.users.owner, uniqueName('leave'));
  cell.made.teamId = team.id;
  const roles: Partial<Record<PrincipalName, string>> = {
    member: 'Member',
    auditor: 'Auditor',
    admin: 'Admin',
    granted: 'Member',
  };
  if (principal === 'owner')
    await addMember(
      t,
      fx.users.owner,
      team.id,
      (await freshUser(cell, 'second-owner')).email,
      team.roles.Owner,
    );
  const role = roles[principal];
  if (role && user) {
    await addMember(t, fx.users.owner, team.id, user.email, team.roles[role]);
    cell.made.joined = 'yes';
  }
  if (principal === 'owner') cell.made.joined = 'yes';
  return team.id;
}

/**
 * An invitation into a fresh team of the host's, addressed to the cell's user (`to: 'caller'`; a
 * fresh address for the anonymous caller and the key) or to someone else. Each cell gets its own
 * team, so joining it changes nothing another row looks at.
 */
async function invitationInto(cell: Cell, to: 'caller' | 'someoneElse'): Promise<string> {
  const team = await createTeam(cell.t, cell.fx.host, uniqueName('invited'));
  const email = to === 'caller' && cell.user ? cell.user.email : uniqueEmail('matrix-invitee');
  cell.made.teamId = team.id;
  cell.made.invitationId = await invite(cell.t, cell.fx.host, team.id, email, team.roles.Member);
  return cell.made.invitationId;
}

/** An invitation of the fixture team, made by its owner to a fresh address. */
async function teamInvitation(cell: Cell): Promise<string> {
  cell.made.email = uniqueEmail('matrix-invited');
  cell.made.invitationId = await invite(
    cell.t,
    cell.fx.users.owner,
    cell.fx.team.id,
    cell.made.email,
    cell.fx.team.roles.Member,
  );
  return cell.made.invitationId;
}

async function invitationState(cell: Cell): Promise<string | undefined> {
  return (
    await one<{ state: string }>(cell, `SELECT state FROM invitations WHERE id = $1`, [
      cell.made.invitationId,
    ])
  )?.state;
}

/** Whether the cell's user is now a member of the team its invitation was for. */
async function joined(cell: Cell): Promise<boolean> {
  if (!cell.user) return false;
  const row = await one(
    cell,
    `SELECT count(*)::int AS n FROM memberships WHERE team_id = $1 AND user_id = $2`,
    [cell.made.teamId, cell.user.id],
  );
  return row?.n === 1;
}

/** Only the person an invitation is addressed to may answer it: to anyone else it does not exist. */
const nobodyElse: Record<PrincipalName, Outcome> = {
  ...people,
  member: 'NOT_FOUND',
  auditor: 'NOT_FOUND',
  admin: 'NOT_FOUND',
  owner: 'NOT_FOUND',
  granted: 'NOT_FOUND',
  otherOwner: 'NOT_FOUND',
  platformAdmin: 'NOT_FOUND',
};

async function one<T = Record<string, unknown>>(
  cell: Cell,
  sql: string,
  params: unknown[],
): Promise<T | undefined> {
  const rows = await cell.t.dataSource.query(sql, params);
  return rows[0];
}

let leakedKey: Promise<CreatedKey> | undefined;
/** A key of the team revoked because its secret was reported (made once, by the first cell that asks). */
function leakedKeyOf(cell: Cell): Promise<CreatedKey> {
  leakedKey ??= (async () => {
    const k = await createKey(cell.t, cell.fx.users.owner, cell.fx.team.id, { name: 'leaked' });
    const res = await cell.t.gql(
      `mutation($s: String!, $u: String) { reportLeakedSecret(secret: $s, url: $u) }`,
      { s: k.secret, u: 'https://example.com/leaked-fixture' },
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return k;
  })();
  return leakedKey;
}

const uniqueName = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

// ---------------------------------------------------------------------------------------------

const OPERATIONS: OperationRow[] = [
  {
    covers: ['Query.viewer'],
    document: `{ viewer { type user { id } apiKey { id } } }`,
    variables: () => ({}),
    expect: everyone,
    check: ({ fx, principal, user }, data) =>
      expect(data.viewer).toEqual(
        principal === 'anonymous'
          ? { type: 'ANONYMOUS', user: null, apiKey: null }
          : principal === 'apiKey'
            ? { type: 'API_KEY', user: null, apiKey: { id: fx.apiKey.id } }
            : { type: 'USER', user: { id: user!.id }, apiKey: null },
      ),
  },
  {
    covers: ['Query.me'],
    document: `{ me { id email } }`,
    variables: () => ({}),
    expect: people,
  },
  {
    covers: ['Query.teams'],
    document: `{ teams { id name } }`,
    variables: () => ({}),
    expect: signedIn,
    check: ({ fx, principal }, data) => {
      const ids = (data as { teams: { id: string }[] }).teams.map((team) => team.id);
      // a key sees its own team and nothing else
      if (principal === 'apiKey') return expect(ids).toEqual([fx.team.id]);
      if (principal === 'otherOwner') expect(ids).toEqual([fx.otherTeam.id]);
      else expect(ids).toContain(fx.team.id);
      if (principal !== 'platformAdmin')
        expect(ids).not.toContain(principal === 'otherOwner' ? fx.team.id : fx.otherTeam.id);
    },
  },
  {
    covers: ['Query.team'],
    document: `query($id: ID!) { team(id: $id) { id name viewerPermissions roles { name } } }`,
    needs: 'team:read',
    variables: ({ fx }) => ({ id: fx.team.id }),
    expect: teamReaders,
  },
  {
    covers: ['Team.members'],
    document: `query($id: ID!) { team(id: $id) { id members { id user { email } role { name } grants { permission } } } }`,
    needs: 'members:read',
    variables: ({ fx }) => ({ id: fx.team.id }),
    expect: teamReaders,
    check: ({ fx }, data) => {
      const emails = (
        data as { team: { members: { user: { email: string } }[] } }
      ).team.members.map((mb) => mb.user.email);
      expect(emails).toEqual(expect.arrayContaining([fx.users.owner.email, fx.users.member.email]));
    },
  },
  {
    covers: ['Query.permissionCatalog'],
    document: `{ permissionCatalog { name grantableToApiKeys } }`,
    variables: () => ({}),
    expect: everyone,
    check: (_cell, data) => expect(data.permissionCatalog).toHaveLength(PERMISSIONS.length),
  },
  {
    covers: ['Query.auditActions'],
    document: `{ auditActions { name label } }`,
    variables: () => ({}),
    expect: everyone,
    check: (_cell, data) =>
      expect(data.auditActions).toContainEqual({
        name: 'apiKey.revoked',
        label: 'Revoked an API key',
      }),
  },
  {
    covers: ['Mutation.signUp'],
    document: `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token user { id } } }`,
    variables: (cell) => {
      cell.made.email = uniqueEmail('matrix-signup');
      return { e: cell.made.email, p: PASSWORD, n: 'New user' };
    },
    expect: everyone,
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT count(*)::int AS n FROM users WHERE email = $1`, [
        cell.made.email,
      ]);
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Mutation.logIn'],
    document: `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token user { id } } }`,
    variables: ({ fx }) => ({ e: fx.loginTarget.email, p: PASSWORD }),
    expect: everyone,
    check: ({ fx }, data) =>
      expect(data).toMatchObject({ logIn: { user: { id: fx.loginTarget.id } } }),
  },
  {
    covers: ['Mutation.logOut'],
    document: `mutation { logOut }`,
    freshSession: true,
    endsSessions: 'this',
    variables: () => ({}),
    expect: people,
    check: (_cell, data) => expect(data.logOut).toBe(true),
  },
  {
    covers: ['Mutation.logOutEverywhere'],
    document: `mutation { logOutEverywhere }`,
    freshSession: true,
    endsSessions: 'all',
    variables: () => ({}),
    expect: people,
    check: (_cell, data) => expect(data.logOutEverywhere).toBe(true),
  },
  {
    covers: ['Mutation.changePassword'],
    // the same password again: the fixtures keep signing in with it
    document: `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`,
    freshSession: true,
    endsSessions: 'others',
    variables: () => ({ c: PASSWORD, n: PASSWORD }),
    expect: people,
    check: (_cell, data) => expect(data.changePassword).toBe(true),
  },
  {
    covers: ['Query.mySessions'],
    document: `{ mySessions { id current } }`,
    variables: () => ({}),
    expect: people,
    check: (_cell, data) =>
      expect(
        (data as { mySessions: { current: boolean }[] }).mySessions.filter((s) => s.current),
      ).toHaveLength(1),
  },
  {
    // the caller's own account only (a lockout someone else's guessing caused: test/security/sign-in)
    covers: ['Query.myLockouts'],
    document: `{ myLockouts { at ip everyAddress } }`,
    variables: () => ({}),
    expect: people,
    check: (_cell, data) => expect((data as { myLockouts: unknown[] }).myLockouts).toEqual([]),
  },
  {
    covers: ['Mutation.revokeSession'],
    document: `mutation($id: ID!) { revokeSession(id: $id) }`,
    variables: async (cell) => {
      // a new session of the caller's own to end; callers that are not a person aim at the login target's
      const session = await logIn(cell.t, (cell.user ?? cell.fx.loginTarget).email);
      const mine = await cell.t.gql(MySessionsDocument, {}, session.headers);
      cell.made.token = session.token;
      return { id: mine.data!.mySessions.find((s) => s.current)!.id };
    },
    expect: people,
    effect: async (cell, allowed) => {
      const after = await cell.t.gql(`{ me { id } }`, {}, bearer(cell.made.token));
      expect(after.status).toBe(allowed ? 401 : 200);
    },
  },
  {
    covers: ['Mutation.updateProfile'],
    document: `mutation($n: String!) { updateProfile(name: $n) { id name } }`,
    variables: (cell) => {
      cell.made.name = uniqueName('matrix-profile');
      return { n: cell.made.name };
    },
    expect: people,
    check: ({ user, made }, data) =>
      expect(data.updateProfile).toEqual({ id: user!.id, name: made.name }),
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT count(*)::int AS n FROM users WHERE name = $1`, [
        cell.made.name,
      ]);
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Query.signUpAllowed'],
    document: `{ signUpAllowed }`,
    variables: () => ({}),
    expect: everyone,
    check: (_cell, data) => expect(data.signUpAllowed).toBe(true),
  },
  {
    covers: ['Mutation.createTeam'],
    document: `mutation($n: String!) { createTeam(name: $n) { id viewerPermissions } }`,
    variables: (cell) => {
      cell.made.name = uniqueName('matrix-team');
      return { n: cell.made.name };
    },
    expect: people,
    check: (_cell, data) =>
      expect(
        (data as { createTeam: { viewerPermissions: string[] } }).createTeam.viewerPermissions,
      ).toHaveLength(PERMISSIONS.length),
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT count(*)::int AS n FROM teams WHERE name = $1`, [
        cell.made.name,
      ]);
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Mutation.updateTeam'],
    document: `mutation($id: ID!, $n: String!) { updateTeam(id: $id, name: $n) { id name } }`,
    needs: 'team:manage',
    // the fixture team keeps its name (other rows check it); the rename is seen in the audit log
    variables: async (cell) => {
      cell.made.renames = String((await teamRenames(cell)) ?? 0);
      return { id: cell.fx.team.id, n: 'Matrix team' };
    },
    // team:manage: the Owner, its grantee and platform admins; not even an Admin
    expect: { ...teamManagers, admin: 'FORBIDDEN' },
    check: ({ fx }, data) =>
      expect(data.updateTeam).toEqual({ id: fx.team.id, name: 'Matrix team' }),
    effect: async (cell, allowed) =>
      expect(await teamRenames(cell)).toBe(Number(cell.made.renames) + (allowed ? 1 : 0)),
  },
  {
    covers: ['Mutation.setApiKeyPolicy'],
    document: `mutation($t: ID!, $i: ApiKeyPolicyInput!) { setApiKeyPolicy(teamId: $t, input: $i) { applicationScopes { name } } }`,
    needs: 'team:manage',
    // a catalogue entry only: a rule that refuses keys would change what other rows may create
    variables: async (cell) => {
      cell.made.policyChanges = String(await policyChanges(cell));
      return {
        t: cell.fx.team.id,
        i: { applicationScopes: [{ name: 'orders:read', description: 'See orders' }] },
      };
    },
    expect: { ...teamManagers, admin: 'FORBIDDEN' },
    check: (_cell, data) =>
      expect(data.setApiKeyPolicy).toEqual({ applicationScopes: [{ name: 'orders:read' }] }),
    effect: async (cell, allowed) =>
      expect(await policyChanges(cell)).toBe(Number(cell.made.policyChanges) + (allowed ? 1 : 0)),
  },
  {
    covers: ['Query.webhookEventTypes'],
    document: `{ webhookEventTypes }`,
    variables: () => ({}),
    expect: everyone,
    check: (_cell, data) => expect(data.webhookEventTypes).toContain('apiKey.revoked'),
  },
  {
    covers: ['Team.webhookEndpoints'],
    document: `query($id: ID!) { team(id: $id) { id webhookEndpoints { id url events } } }`,
    needs: 'webhooks:manage',
    variables: async (cell) => {
      await freshEndpoint(cell);
      return { id: cell.fx.team.id };
    },
    expect: teamManagers,
    check: (cell, data) =>
      expect(
        (data as { team: { webhookEndpoints: { id: string }[] } }).team.webhookEndpoints.map(
          (e) => e.id,
        ),
      ).toContain(cell.made.endpointId),
  },
  {
    covers: ['Mutation.createWebhookEndpoint'],
    document: `mutation($t: ID!) { createWebhookEndpoint(teamId: $t, url: "http://127.0.0.1:9/made",
      events: ["apiKey.expiring"]) { secret endpoint { id } } }`,
    ...webhookRow('webhook.endpointCreated'),
    variables: async (cell) => {
      cell.made.before = String(await successes(cell, 'webhook.endpointCreated'));
      return { t: cell.fx.team.id };
    },
    check: (_cell, data) =>
      expect(
        (data as { createWebhookEndpoint: { secret: string } }).createWebhookEndpoint.secret,
      ).toMatch(/^whsec_/),
  },
  ...(
    [
      ['updateWebhookEndpoint', 'webhook.endpointUpdated', 'description: "changed" ) { id }'],
      ['rotateWebhookSecret', 'webhook.secretRotated', ') { secret }'],
      ['sendTestWebhook', 'webhook.testSent', ') { status }'],
      ['deleteWebhookEndpoint', 'webhook.endpointDeleted', ')'],
    ] as const
  ).map(([mutation, action, rest]) => ({
    covers: [`Mutation.${mutation}`],
    document: `mutation($id: ID!) { ${mutation}(id: $id ${rest} }`,
    ...webhookRow(action),
    variables: async (cell: Cell) => {
      const id = await freshEndpoint(cell);
      cell.made.before = String(await successes(cell, action));
      return { id };
    },
  })),
  {
    covers: ['Mutation.redeliverWebhook'],
    document: `mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { attempt status } }`,
    ...webhookRow('webhook.redelivered'),
    variables: async (cell) => {
      const id = await freshEndpoint(cell);
      const sent = await cell.t.gql(
        `mutation($id: ID!) { sendTestWebhook(id: $id) { id } }`,
        { id },
        cell.fx.users.owner.headers,
      );
      cell.made.before = String(await successes(cell, 'webhook.redelivered'));
      return { d: (sent.data as { sendTestWebhook: { id: string } }).sendTestWebhook.id };
    },
  },
  {
    covers: ['Mutation.leaveTeam'],
    document: `mutation($t: ID!) { leaveTeam(teamId: $t) }`,
    // a team of the owner's that the caller joined with its role: leaving it only needs being in it
    variables: async (cell) => ({ t: await teamToLeave(cell) }),
    // a platform admin is in no team it has not joined, the other team's owner not in this one
    expect: {
      ...signedIn,
      otherOwner: 'NOT_FOUND',
      platformAdmin: 'NOT_FOUND',
      apiKey: 'FORBIDDEN',
    },
    effect: async (cell, allowed) => {
      if (!cell.user) return;
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM memberships WHERE team_id = $1 AND user_id = $2`,
        [cell.made.teamId, cell.user.id],
      );
      expect(row?.n).toBe(allowed || !cell.made.joined ? 0 : 1);
    },
  },
  {
    covers: ['Mutation.addTeamMember'],
    document: `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id role { name } } }`,
    needs: 'members:manage',
    variables: async (cell) => {
      const user = await freshUser(cell, 'matrix-add');
      cell.made.userId = user.id;
      return { t: cell.fx.team.id, e: user.email, r: cell.fx.team.roles.Member };
    },
    expect: platformAdminOnly,
    effect: async (cell, allowed) => {
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM memberships WHERE team_id = $1 AND user_id = $2`,
        [cell.fx.team.id, cell.made.userId],
      );
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Mutation.changeMemberRole'],
    document: `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id role { id } } }`,
    needs: 'members:manage',
    variables: async (cell) => ({ m: await freshMember(cell), r: cell.fx.viewerRoleId }),
    expect: teamManagers,
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT role_id FROM memberships WHERE id = $1`, [
        cell.made.membershipId,
      ]);
      expect(row?.role_id).toBe(allowed ? cell.fx.viewerRoleId : cell.fx.team.roles.Member);
    },
  },
  {
    covers: ['Mutation.removeTeamMember'],
    document: `mutation($m: ID!) { removeTeamMember(membershipId: $m) }`,
    needs: 'members:manage',
    variables: async (cell) => ({ m: await freshMember(cell) }),
    expect: teamManagers,
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT count(*)::int AS n FROM memberships WHERE id = $1`, [
        cell.made.membershipId,
      ]);
      expect(row?.n).toBe(allowed ? 0 : 1);
    },
  },
  {
    covers: ['Mutation.createRole'],
    document: `mutation($t: ID!, $n: String!, $p: [String!]!) { createRole(teamId: $t, name: $n, permissions: $p) { id permissions builtIn } }`,
    needs: 'roles:manage',
    variables: (cell) => {
      cell.made.name = uniqueName('matrix-role');
      return { t: cell.fx.team.id, n: cell.made.name, p: ['team:read'] };
    },
    expect: teamManagers,
    check: (_cell, data) =>
      expect(data.createRole).toMatchObject({ permissions: ['team:read'], builtIn: false }),
    effect: async (cell, allowed) => {
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM roles WHERE team_id = $1 AND name = $2`,
        [cell.fx.team.id, cell.made.name],
      );
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Mutation.updateRole'],
    document: `mutation($id: ID!, $n: String) { updateRole(id: $id, name: $n) { id name } }`,
    needs: 'roles:manage',
    variables: async (cell) => {
      const id = await freshRole(cell);
      cell.made.newName = uniqueName('renamed');
      return { id, n: cell.made.newName };
    },
    expect: teamManagers,
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT name FROM roles WHERE id = $1`, [cell.made.roleId]);
      expect(row?.name).toBe(allowed ? cell.made.newName : cell.made.roleName);
    },
  },
  {
    covers: ['Mutation.deleteRole'],
    document: `mutation($id: ID!) { deleteRole(id: $id) }`,
    needs: 'roles:manage',
    variables: async (cell) => ({ id: await freshRole(cell) }),
    expect: teamManagers,
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT count(*)::int AS n FROM roles WHERE id = $1`, [
        cell.made.roleId,
      ]);
      expect(row?.n).toBe(allowed ? 0 : 1);
    },
  },
  {
    covers: ['Mutation.grantPermission'],
    document: `mutation($m: ID!, $p: String!) { grantPermission(membershipId: $m, permission: $p) { id permission user { id } grantedBy { id } } }`,
    needs: 'members:manage',
    variables: async (cell) => ({ m: await freshMember(cell), p: 'members:manage' }),
    expect: teamManagers,
    check: (cell, data) =>
      expect(data.grantPermission).toMatchObject({
        permission: 'members:manage',
        user: { id: cell.made.userId },
      }),
    effect: async (cell, allowed) => {
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM permission_grants WHERE membership_id = $1`,
        [cell.made.membershipId],
      );
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Mutation.revokePermissionGrant'],
    document: `mutation($id: ID!) { revokePermissionGrant(id: $id) }`,
    needs: 'members:manage',
    variables: async (cell) => {
      const membershipId = await freshMember(cell);
      cell.made.grantId = await grant(cell.t, cell.fx.users.owner, membershipId, 'members:manage');
      return { id: cell.made.grantId };
    },
    expect: teamManagers,
    effect: async (cell, allowed) => {
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM permission_grants WHERE id = $1`,
        [cell.made.grantId],
      );
      expect(row?.n).toBe(allowed ? 0 : 1);
    },
  },

  // --- invitations: a team invites, the person answers -------------------------------------------
  {
    covers: ['Mutation.inviteTeamMember'],
    document: `mutation($t: ID!, $e: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id email status roleName } }`,
    needs: 'members:manage',
    variables: (cell) => {
      cell.made.email = uniqueEmail('matrix-invite');
      return { t: cell.fx.team.id, e: cell.made.email, r: cell.fx.team.roles.Member };
    },
    expect: teamManagers,
    check: (cell, data) =>
      expect(data.inviteTeamMember).toMatchObject({
        email: cell.made.email,
        status: 'PENDING',
        roleName: 'Member',
      }),
    effect: async (cell, allowed) => {
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM invitations WHERE team_id = $1 AND email = $2`,
        [cell.fx.team.id, cell.made.email],
      );
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  {
    covers: ['Team.invitations'],
    document: `query($id: ID!) { team(id: $id) { id invitations { id email status } } }`,
    needs: 'members:manage',
    variables: async (cell) => {
      await teamInvitation(cell);
      return { id: cell.fx.team.id };
    },
    expect: teamManagers,
    check: (cell, data) =>
      expect((data as { team: { invitations: unknown[] } }).team.invitations).toContainEqual({
        id: cell.made.invitationId,
        email: cell.made.email,
        status: 'PENDING',
      }),
  },
  {
    covers: ['Mutation.revokeInvitation'],
    document: `mutation($id: ID!) { revokeInvitation(id: $id) }`,
    needs: 'members:manage',
    variables: async (cell) => ({ id: await teamInvitation(cell) }),
    expect: teamManagers,
    effect: async (cell, allowed) =>
      expect(await invitationState(cell)).toBe(allowed ? 'REVOKED' : 'PENDING'),
  },
  {
    covers: ['Query.myInvitations'],
    document: `{ myInvitations { id teamName email roleName status } }`,
    // every person sees the invitations addressed to them, and only those
    variables: async (cell) => {
      cell.made.mine = await invitationInto(cell, 'caller');
      await invitationInto(cell, 'someoneElse');
      return {};
    },
    expect: people,
    check: (cell, data) => {
      const { myInvitations } = data as { myInvitations: { id: string; email: string }[] };
      const ids = myInvitations.map((i) => i.id);
      expect(ids).toContain(cell.made.mine);
      expect(ids).not.toContain(cell.made.invitationId);
      expect(myInvitations.every((i) => i.email === cell.user!.email)).toBe(true);
    },
  },
  {
    label: 'Mutation.acceptInvitation (addressed to the caller)',
    covers: ['Mutation.acceptInvitation'],
    document: `mutation($id: ID!) { acceptInvitation(id: $id) { id role { name } } }`,
    variables: async (cell) => ({ id: await invitationInto(cell, 'caller') }),
    expect: people,
    check: (_cell, data) =>
      expect((data as { acceptInvitation: { role: unknown } }).acceptInvitation.role).toEqual({
        name: 'Member',
      }),
    effect: async (cell, allowed) => {
      expect(await joined(cell)).toBe(allowed);
      expect(await invitationState(cell)).toBe(allowed ? 'ACCEPTED' : 'PENDING');
    },
  },
  {
    label: "Mutation.acceptInvitation (someone else's)",
    covers: ['Mutation.acceptInvitation'],
    document: `mutation($id: ID!) { acceptInvitation(id: $id) { id } }`,
    variables: async (cell) => ({ id: await invitationInto(cell, 'someoneElse') }),
    expect: nobodyElse,
    effect: async (cell) => {
      expect(await joined(cell)).toBe(false);
      expect(await invitationState(cell)).toBe('PENDING');
    },
  },
  {
    label: 'Mutation.declineInvitation (addressed to the caller)',
    covers: ['Mutation.declineInvitation'],
    document: `mutation($id: ID!) { declineInvitation(id: $id) }`,
    variables: async (cell) => ({ id: await invitationInto(cell, 'caller') }),
    expect: people,
    effect: async (cell, allowed) =>
      expect(await invitationState(cell)).toBe(allowed ? 'DECLINED' : 'PENDING'),
  },
  {
    label: "Mutation.declineInvitation (someone else's)",
    covers: ['Mutation.declineInvitation'],
    document: `mutation($id: ID!) { declineInvitation(id: $id) }`,
    variables: async (cell) => ({ id: await invitationInto(cell, 'someoneElse') }),
    expect: nobodyElse,
    effect: async (cell) => expect(await invitationState(cell)).toBe('PENDING'),
  },

  // --- API keys --------------------------------------------------------------------------------
  {
    covers: ['Mutation.createApiKey'],
    document: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id key scopes createdBy { id } } } }`,
    needs: 'apiKeys:create',
    variables: (cell) => {
      cell.made.name = uniqueName('matrix-key');
      return {
        input: {
          teamId: cell.fx.team.id,
          name: cell.made.name,
          scopes: ['team:read', 'orders:read'],
        },
      };
    },
    expect: teamManagers,
    check: ({ user }, data) => {
      const { createApiKey } = data as { createApiKey: { secret: string; apiKey: unknown } };
      expect(createApiKey.secret).toMatch(/^emps_[0-9A-Za-z]{49}$/);
      expect(createApiKey.apiKey).toMatchObject({
        key: expect.stringMatching(/^empk_/),
        scopes: ['orders:read', 'team:read'],
        createdBy: { id: user!.id },
      });
    },
    effect: async (cell, allowed) => {
      const row = await one(
        cell,
        `SELECT count(*)::int AS n FROM api_keys WHERE team_id = $1 AND name = $2`,
        [cell.fx.team.id, cell.made.name],
      );
      expect(row?.n).toBe(allowed ? 1 : 0);
    },
  },
  ...keyChangeRows({
    field: 'updateApiKey',
    document: `mutation($id: ID!, $n: String!) { updateApiKey(id: $id, input: { name: $n }) { id name } }`,
    variables: (cell) => {
      cell.made.newName = uniqueName('renamed-key');
      return { n: cell.made.newName };
    },
    check: (cell, data) =>
      expect(data.updateApiKey).toEqual({ id: cell.made.keyId, name: cell.made.newName }),
    grantedOnAuditKey: 'FORBIDDEN',
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT name FROM api_keys WHERE id = $1`, [cell.made.keyId]);
      expect(row?.name).toBe(allowed ? cell.made.newName : cell.made.keyName);
    },
  }),
  ...keyChangeRows({
    field: 'regenerateApiKeySecret',
    document: `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret apiKey { id secretVersion secretLast4 } } }`,
    grantedOnAuditKey: 'FORBIDDEN',
    check: (cell, data) => {
      const { secret, apiKey } = (
        data as { regenerateApiKeySecret: { secret: string; apiKey: unknown } }
      ).regenerateApiKeySecret;
      expect(apiKey).toEqual({
        id: cell.made.keyId,
        secretVersion: 2,
        secretLast4: secret.slice(-4),
      });
    },
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT secret_version FROM api_keys WHERE id = $1`, [
        cell.made.keyId,
      ]);
      expect(row?.secret_version).toBe(allowed ? 2 : 1);
    },
  }),
  ...keyChangeRows({
    field: 'revokeApiKey',
    document: `mutation($id: ID!) { revokeApiKey(id: $id) { id status revokedAt } }`,
    check: (cell, data) =>
      expect(data.revokeApiKey).toMatchObject({
        id: cell.made.keyId,
        status: 'REVOKED',
        revokedAt: expect.any(String),
      }),
    // revoking only takes power away: apiKeys:manage reaches every key, whatever it holds
    grantedOnAuditKey: 'allowed',
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT revoked_at FROM api_keys WHERE id = $1`, [
        cell.made.keyId,
      ]);
      expect(row?.revoked_at === null).toBe(!allowed);
    },
  }),
  ...keyChangeRows({
    field: 'transferApiKey',
    document: `mutation($id: ID!, $m: ID!) { transferApiKey(id: $id, toMembershipId: $m) { id owner { id } } }`,
    // to an Admin of the team, who holds every permission a key can hold
    variables: async (cell) => ({ m: await freshMember(cell, 'Admin') }),
    // its owner may hand a key on without apiKeys:create: the Member and the Auditor too
    own: { ...keyManagers, granted: 'allowed', member: 'allowed', auditor: 'allowed' },
    grantedOnAuditKey: 'FORBIDDEN',
    check: (cell, data) =>
      expect(data.transferApiKey).toEqual({ id: cell.made.keyId, owner: { id: cell.made.userId } }),
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT owner_id FROM api_keys WHERE id = $1`, [cell.made.keyId]);
      expect(row?.owner_id === cell.made.userId).toBe(allowed);
    },
  }),
  {
    covers: ['Mutation.verifyEmail'],
    // needs no session: the token of the emailed link is the credential
    document: `mutation($t: String!) { verifyEmail(token: $t) }`,
    variables: async (cell) => {
      const token = randomBytes(24).toString('base64url');
      await cell.t.dataSource.query(
        `INSERT INTO email_verifications (token_digest, user_id, email, expires_at)
         SELECT $1, id, email, now() + interval '1 hour' FROM users WHERE id = $2`,
        [sha256(token), cell.fx.loginTarget.id],
      );
      return { t: token };
    },
    expect: everyone,
    check: (_cell, data) => expect(data.verifyEmail).toBe(true),
  },
  {
    covers: ['Mutation.sendEmailVerification'],
    // a person's own address; this server sends no email, so nothing is sent
    document: `mutation { sendEmailVerification }`,
    variables: () => ({}),
    expect: people,
    check: (_cell, data) => expect(data.sendEmailVerification).toBe(false),
  },
  {
    covers: ['Mutation.verifyApiCredentials'],
    // needs no session: it answers about the credentials it is given, to whoever asks
    document: `mutation($k: String!, $s: String!, $r: [String!]) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r) { valid code teamId scopes } }`,
    variables: ({ fx }) => ({ k: fx.sampleKey.key, s: fx.sampleKey.secret, r: ['orders:read'] }),
    expect: everyone,
    check: ({ fx }, data) =>
      expect(data.verifyApiCredentials).toEqual({
        valid: true,
        code: 'VALID',
        teamId: fx.team.id,
        scopes: ['apiKeys:read', 'orders:read', 'team:read'],
      }),
  },
  {
    covers: ['Mutation.reportLeakedSecret'],
    // needs no credentials: whoever found a secret reports it, and the live key is revoked
    document: `mutation($s: String!, $u: String) { reportLeakedSecret(secret: $s, url: $u) }`,
    variables: async (cell) => {
      const k = await createKey(cell.t, cell.fx.users.owner, cell.fx.team.id, { name: 'leaked' });
      cell.made.keyId = k.id;
      return { s: k.secret, u: 'https://example.com/matrix' };
    },
    expect: everyone,
    check: (_cell, data) => expect(data.reportLeakedSecret).toBe(true),
    effect: async (cell, allowed) => {
      const row = await one(cell, `SELECT revocation_reason FROM api_keys WHERE id = $1`, [
        cell.made.keyId,
      ]);
      expect(row?.revocation_reason === 'LEAKED').toBe(allowed);
    },
  },
  {
    covers: ['ApiKey.revocationReason', 'ApiKey.leakSource'],
    // why a key was revoked, and where its secret leaked: to whoever sees the key
    document: `query($id: ID!) { apiKey(id: $id) { id revocationReason leakSource } }`,
    needs: 'apiKeys:read',
    variables: async (cell) => ({ id: (await leakedKeyOf(cell)).id }),
    expect: teamReaders,
    check: (_cell, data) =>
      expect(data.apiKey).toMatchObject({
        revocationReason: 'LEAKED',
        leakSource: 'https://example.com/leaked-fixture',
      }),
  },
  {
    covers: ['Query.apiKey'],
    document: documentText(ApiKeyDocument),
    needs: 'apiKeys:read',
    variables: ({ fx }) => ({ id: fx.sampleKey.id }),
    expect: teamReaders,
    check: ({ fx }, data) => {
      expect(data.apiKey).toMatchObject({
        id: fx.sampleKey.id,
        key: fx.sampleKey.key,
        createdBy: { id: fx.users.owner.id },
        team: { id: fx.team.id },
      });
      expect(JSON.stringify(data)).not.toContain(fx.sampleKey.secret);
    },
  },
  {
    covers: ['Query.expiringApiKeys'],
    document: `query($t: ID!) { expiringApiKeys(teamId: $t, withinDays: 365) { id team { id } } }`,
    needs: 'apiKeys:read',
    variables: ({ fx }) => ({ t: fx.team.id }),
    expect: teamReaders,
    check: ({ fx }, data) => {
      const { expiringApiKeys } = data as { expiringApiKeys: { team: { id: string } }[] };
      for (const key of expiringApiKeys) expect(key.team.id).toBe(fx.team.id);
    },
  },
  {
    covers: ['Query.apiKeys'],
    document: `query($t: ID!) { apiKeys(teamId: $t, first: 100) { totalCount edges { node { id key secretLast4 } } } }`,
    needs: 'apiKeys:read',
    variables: ({ fx }) => ({ t: fx.team.id }),
    expect: teamReaders,
    check: async (cell, data) => {
      // the team's keys, newest first (the rows before made many: the fixture keys are further back)
      const { apiKeys } = data as {
        apiKeys: { totalCount: number; edges: { node: { id: string } }[] };
      };
      const ids = apiKeys.edges.map((e) => e.node.id);
      const keys: { id: string }[] = await cell.t.dataSource.query(
        `SELECT id FROM api_keys WHERE team_id = $1 ORDER BY created_at DESC, id DESC`,
        [cell.fx.team.id],
      );
      expect(apiKeys.totalCount).toBe(keys.length);
      expect(ids).toEqual(keys.slice(0, 100).map((k) => k.id));
      expect(JSON.stringify(data)).not.toContain(cell.fx.sampleKey.secret);
    },
  },
  {
    covers: ['ApiKey.team'],
    // the Team's fields need team:read in it (the key's id alone does not need it)
    document: `query($id: ID!) { apiKey(id: $id) { id team { id name createdAt } } }`,
    needs: 'team:read',
    variables: ({ fx }) => ({ id: fx.sampleKey.id }),
    expect: teamReaders,
    check: ({ fx }, data) =>
      expect(data).toMatchObject({ apiKey: { team: { id: fx.team.id, name: 'Matrix team' } } }),
  },
  {
    covers: ['ApiKey.usage'],
    // usage comes from the audit log: apiKeys:read shows the key, audit:read its usage
    document: `query($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { apiKey(id: $id) { id usage(from: $from, to: $to) { day outcome count } } }`,
    needs: 'audit:read',
    variables: ({ fx }) => ({
      id: fx.sampleKey.id,
      from: new Date(Date.now() - 86_400_000).toISOString(),
      to: new Date(Date.now() + 86_400_000).toISOString(),
    }),
    expect: auditReaders,
    check: (_cell, data) => expect(data).toMatchObject({ apiKey: { usage: expect.any(Array) } }),
  },
  // --- the audit log ---------------------------------------------------------------------------
  {
    covers: ['Query.auditEvents'],
    document: `query($t: ID!) { auditEvents(teamId: $t, first: 20) { edges { node { id teamId action outcome actor { type } } } pageInfo { hasNextPage } } }`,
    needs: 'audit:read',
    variables: ({ fx }) => ({ t: fx.team.id }),
    expect: auditReaders,
    check: ({ fx }, data) => {
      const events = (
        data as { auditEvents: { edges: { node: { teamId: string } }[] } }
      ).auditEvents.edges.map((e) => e.node);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.teamId === fx.team.id)).toBe(true);
    },
  },
  {
    covers: ['Query.verifyAuditChain'],
    document: `query($t: ID!) { verifyAuditChain(teamId: $t) { valid checkedEvents reason } }`,
    needs: 'audit:read',
    variables: ({ fx }) => ({ t: fx.team.id }),
    expect: auditReaders,
    check: (_cell, data) =>
      expect(data.verifyAuditChain).toMatchObject({
        valid: true,
        reason: null,
        checkedEvents: expect.any(Number),
      }),
  },
  {
    covers: ['Query.auditChainHead'],
    document: `query($t: ID!) { auditChainHead(teamId: $t) { teamId seq hash occurredAt } }`,
    needs: 'audit:read',
    variables: ({ fx }) => ({ t: fx.team.id }),
    expect: auditReaders,
    check: ({ fx }, data) =>
      expect(data.auditChainHead).toMatchObject({
        teamId: fx.team.id,
        seq: expect.stringMatching(/^\d+$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
  },
];

/**
 * Operations that have no row yet. Empty: every Query and Mutation field has its row. The coverage
 * test below fails on any field without a row, and on an entry here that has got a row meanwhile:
 * a new operation gets its row, not an entry here.
 */
const ROWS_PENDING = new Set<string>([]);

// ---------------------------------------------------------------------------------------------

let t: TestServer;
let fx: Fixtures;

async function member(
  owner: SignedInUser,
  team: TeamFixture,
  role: string,
  prefix: string,
): Promise<{ user: SignedInUser; membershipId: string }> {
  const user = await signUp(t, prefix);
  const membershipId = await addMember(t, owner, team.id, user.email, team.roles[role]);
  return { user, membershipId };
}

beforeAll(async () => {
  t = await startTestServer();
  const [owner, otherOwner, admin, loginTarget, host] = await Promise.all([
    signUp(t, 'matrix-owner'),
    signUp(t, 'matrix-other-owner'),
    platformAdmin(t),
    signUp(t, 'matrix-login-target'),
    signUp(t, 'matrix-host'),
  ]);
  const [team, otherTeam] = await Promise.all([
    createTeam(t, owner, 'Matrix team'),
    createTeam(t, otherOwner, 'Other team'),
  ]);
  const grantedPermissions = [...new Set(OPERATIONS.map((row) => row.needs ?? 'members:manage'))];
  const [m, a, au, ...grantees] = await Promise.all([
    member(owner, team, 'Member', 'matrix-member'),
    member(owner, team, 'Admin', 'matrix-admin'),
    member(owner, team, 'Auditor', 'matrix-auditor'),
    ...grantedPermissions.map((p) =>
      member(owner, team, 'Member', `matrix-granted-${p.replace(':', '-')}`),
    ),
  ]);
  await Promise.all(grantees.map((g, i) => grant(t, owner, g.membershipId, grantedPermissions[i])));
  const role = await t.gql(
    CreateRoleDocument,
    { teamId: team.id, name: 'Viewer', permissions: ['team:read'] },
    owner.headers,
  );
  const [apiKey, sampleKey] = await Promise.all([
    createKey(t, owner, team.id, {
      name: 'matrix principal',
      scopes: ['team:read', 'members:read', 'apiKeys:read', 'audit:read'],
    }),
    createKey(t, owner, team.id, {
      name: 'matrix sample',
      scopes: ['team:read', 'apiKeys:read', 'orders:read'],
    }),
  ]);
  fx = {
    team,
    otherTeam,
    users: {
      owner,
      otherOwner,
      platformAdmin: admin,
      member: m.user,
      admin: a.user,
      auditor: au.user,
    },
    grantees: Object.fromEntries(grantees.map((g, i) => [grantedPermissions[i], g.user])),
    viewerRoleId: role.data!.createRole.id,
    loginTarget,
    host,
    apiKey,
    sampleKey,
  };
}, 60_000);

afterAll(() => t?.close());

/** The signed-in user a principal stands for in this row; none for anonymous and the API key. */
function userFor(row: OperationRow, principal: PrincipalName): SignedInUser | undefined {
  if (principal === 'anonymous' || principal === 'apiKey') return undefined;
  return principal === 'granted'
    ? fx.grantees[row.needs ?? 'members:manage']!
    : fx.users[principal];
}

async function headersFor(
  row: OperationRow,
  principal: PrincipalName,
): Promise<Record<string, string>> {
  if (principal === 'apiKey') return basic(fx.apiKey.key, fx.apiKey.secret);
  const user = userFor(row, principal);
  if (!user) return {};
  // logOut ends the session it is called with: give it one of its own.
  return row.freshSession ? (await logIn(t, user.email)).headers : user.headers;
}

/** The sessions an allowed call ended are dead at once; a principal whose fixture session ended signs in again. */
async function checkEndedSessions(
  ends: 'this' | 'others' | 'all',
  user: SignedInUser,
  calledWith: Record<string, string>,
): Promise<void> {
  const status = async (headers: Record<string, string>) =>
    (await t.gql(`{ me { id } }`, {}, headers)).status;
  expect(await status(calledWith)).toBe(ends === 'others' ? 200 : 401);
  if (ends === 'this') return;
  expect(await status(user.headers)).toBe(401);
  const renewed = await logIn(t, user.email);
  Object.assign(user, { token: renewed.token, headers: renewed.headers });
}

function assertOutcome(res: GraphQLAnswer, expected: Outcome): void {
  const summary = JSON.stringify({ status: res.status, errors: res.errors });
  expect(res.status).toBeLessThan(500);
  if (expected === 'allowed') {
    if (res.errors?.length) throw new Error(`expected the call to be allowed, got ${summary}`);
    expect(res.status).toBe(200);
    expect(res.data).toBeTruthy();
    return;
  }
  const codes = (res.errors ?? []).map((e) => e.extensions?.code);
  if (codes.length === 0 || codes.some((c) => c !== expected))
    throw new Error(`expected ${expected}, got ${summary}`);
  // Nothing of the refused field comes back.
  for (const value of Object.values(res.data ?? {})) expect(value).toBeNull();
}

describe('authorization matrix', () => {
  describe.each(OPERATIONS.map((row) => [row.label ?? row.covers.join(', '), row] as const))(
    '%s',
    (_name, row) => {
      it.each(PRINCIPALS.map((p) => [p, row.expect[p]] as const))(
        'as %s: %s',
        async (principal, expected) => {
          const cell: Cell = { t, fx, principal, user: userFor(row, principal), made: {} };
          const variables = await row.variables(cell);
          const headers = await headersFor(row, principal);
          const res = await t.gql(row.document, variables, headers);
          assertOutcome(res, expected);
          if (expected === 'allowed' && row.check) await row.check(cell, res.data!);
          if (row.effect) await row.effect(cell, expected === 'allowed');
          if (row.endsSessions && expected === 'allowed')
            await checkEndedSessions(row.endsSessions, cell.user!, headers);
        },
      );
    },
  );

  it('has a row for every Query and Mutation field of the schema (or lists it in ROWS_PENDING)', async () => {
    const schema = await buildBareSchema();
    const covered = new Set(OPERATIONS.flatMap((row) => row.covers));
    const missing: string[] = [];
    for (const type of [schema.getQueryType(), schema.getMutationType()]) {
      if (!type || !isObjectType(type)) continue;
      for (const field of Object.keys(type.getFields())) {
        const coordinate = `${type.name}.${field}`;
        if (!covered.has(coordinate) && !ROWS_PENDING.has(coordinate)) missing.push(coordinate);
      }
    }
    // A new operation needs a row here; a row that was added must leave ROWS_PENDING.
    expect(missing).toEqual([]);
    expect([...ROWS_PENDING].filter((coordinate) => covered.has(coordinate))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('scripted: a platform admin sets up a team and grants apiKeys:create', () => {
  it('the member sees exactly its role plus the grant; a member without grants is refused every management mutation', async () => {
    const admin = await platformAdmin(t);
    const team = await createTeam(t, admin, 'Acme');
    const [dev, plain] = await Promise.all([signUp(t, 'acme-dev'), signUp(t, 'acme-plain')]);
    const devMembership = await addMember(t, admin, team.id, dev.email, team.roles.Member);
    await addMember(t, admin, team.id, plain.email, team.roles.Member);
    await grant(t, admin, devMembership, 'apiKeys:create');

    const read = await t.gql(TeamDocument, { id: team.id }, dev.headers);
    expect(read.errors).toBeUndefined();
    expect(read.data!.team.viewerPermissions).toEqual([
      'apiKeys:create',
      'apiKeys:read',
      'members:read',
      'team:read',
    ]);

    const plainRead = await t.gql(TeamDocument, { id: team.id }, plain.headers);
    expect(plainRead.data!.team.viewerPermissions).toEqual([
      'apiKeys:read',
      'members:read',
      'team:read',
    ]);

    // The creator of a team is its Owner, and a platform admin's acts are audited like anyone's.
    const owners = await t.dataSource.query(
      `SELECT r.name FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.team_id = $1 AND m.user_id = $2`,
      [team.id, admin.id],
    );
    expect(owners).toEqual([{ name: 'Owner' }]);
    const audited: { action: string }[] = await t.dataSource.query(
      `SELECT action FROM audit_events WHERE team_id = $1 AND actor_user_id = $2 ORDER BY chain_seq`,
      [team.id, admin.id],
    );
    expect(audited.map((e) => e.action)).toEqual([
      'team.created',
      'member.invited',
      'member.invited',
      'permission.granted',
    ]);

    // Targets for every management mutation, made by the admin.
    const outsider = await signUp(t, 'acme-outsider');
    const grantId = await grant(t, admin, devMembership, 'members:read');
    const invitationId = await invite(
      t,
      admin,
      team.id,
      uniqueEmail('acme-invited'),
      team.roles.Member,
    );
    const role = await t.gql(
      CreateRoleDocument,
      { teamId: team.id, name: 'Support', permissions: ['team:read'] },
      admin.headers,
    );
    const roleId = role.data!.createRole.id;

    const snapshot = async () =>
      t.dataSource.query(
        `SELECT (SELECT count(*) FROM memberships WHERE team_id = $1)::int AS memberships,
                (SELECT count(*) FROM roles WHERE team_id = $1)::int AS roles,
                (SELECT string_agg(name || ':' || array_to_string(permissions, ','), ';' ORDER BY id) FROM roles WHERE team_id = $1) AS role_defs,
                (SELECT string_agg(m.id || ':' || m.role_id, ';' ORDER BY m.id) FROM memberships m WHERE team_id = $1) AS member_roles,
                (SELECT count(*) FROM permission_grants g JOIN memberships m ON m.id = g.membership_id WHERE m.team_id = $1)::int AS grants,
                (SELECT string_agg(id || ':' || state, ';' ORDER BY id) FROM invitations WHERE team_id = $1) AS invitations`,
        [team.id],
      );
    const before = await snapshot();

    const attempts: [string, string, Vars][] = [
      [
        'addTeamMember',
        `mutation($t: ID!, $e: String!, $r: ID!) { addTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
        { t: team.id, e: outsider.email, r: team.roles.Member },
      ],
      [
        'inviteTeamMember',
        `mutation($t: ID!, $e: String!, $r: ID!) { inviteTeamMember(teamId: $t, email: $e, roleId: $r) { id } }`,
        { t: team.id, e: outsider.email, r: team.roles.Member },
      ],
      [
        'revokeInvitation',
        `mutation($id: ID!) { revokeInvitation(id: $id) }`,
        { id: invitationId },
      ],
      [
        'changeMemberRole',
        `mutation($m: ID!, $r: ID!) { changeMemberRole(membershipId: $m, roleId: $r) { id } }`,
        { m: devMembership, r: team.roles.Auditor },
      ],
      [
        'removeTeamMember',
        `mutation($m: ID!) { removeTeamMember(membershipId: $m) }`,
        { m: devMembership },
      ],
      [
        'createRole',
        `mutation($t: ID!) { createRole(teamId: $t, name: "Mine", permissions: []) { id } }`,
        { t: team.id },
      ],
      [
        'updateRole',
        `mutation($id: ID!) { updateRole(id: $id, name: "Renamed") { id } }`,
        { id: roleId },
      ],
      ['deleteRole', `mutation($id: ID!) { deleteRole(id: $id) }`, { id: roleId }],
      [
        'grantPermission',
        `mutation($m: ID!) { grantPermission(membershipId: $m, permission: "team:read") { id } }`,
        { m: devMembership },
      ],
      [
        'revokePermissionGrant',
        `mutation($id: ID!) { revokePermissionGrant(id: $id) }`,
        { id: grantId },
      ],
    ];
    for (const [name, document, variables] of attempts) {
      const res = await t.gql(document, variables, plain.headers);
      expect({ name, code: codeOf(res), data: res.data?.[name] ?? null }).toEqual({
        name,
        code: 'FORBIDDEN',
        data: null,
      });
    }
    expect(await snapshot()).toEqual(before);
  });
});
