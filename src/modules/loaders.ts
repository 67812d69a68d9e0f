import DataLoader from 'dataloader';
import { preparedQuery } from './prepared-query';
import { In, type DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { ApiKeyPolicy, noRules } from './api-key-policy/api-key-policy.entity';
import { ApiKey } from './api-key/api-key.entity';
import { Invitation } from './invitation/invitation.entity';
import { Membership } from './team/membership.entity';
import { PermissionGrant } from './team/permission-grant.entity';
import { Role } from './team/role.entity';
import { Team } from './team/team.entity';
import { User } from './user/user.entity';
import { hydrate, metadataOf } from './hydrate';
import { memberKey, type Member, type PermissionSet } from '../permissions/member-permissions';
import { WebhookDelivery } from './webhook/webhook-delivery.entity';
import { WebhookEndpoint } from './webhook/webhook-endpoint.entity';

function byId<T extends ObjectLiteral & { id: string }>(
  ds: DataSource,
  entity: EntityTarget<T>,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const { tableName } = metadataOf(ds, entity);
    const rows = await preparedQuery(ds, `SELECT * FROM ${tableName} WHERE id = ANY($1::uuid[])`, [
      [...ids],
    ]);
    const map = new Map(rows.map((row) => [row.id as string, hydrate(ds, entity, row)]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

function groupedBy<T extends ObjectLiteral>(
  ds: DataSource,
  entity: EntityTarget<T>,
  column: keyof T & string,
  order: Record<string, 'ASC' | 'DESC'>,
): DataLoader<string, T[]> {
  return new DataLoader(async (keys) => {
    const rows = await ds
      .getRepository(entity)
      .find({ where: { [column]: In([...keys]) } as never, order: order as never });
    return keys.map((key) => rows.filter((row) => row[column] === key));
  });
}

/**
 * Members' permissions (as memberPermissions() reads them) and, in the same statement, the teams
 * they are asked about.
 */
async function permissionsAndTeams(ds: DataSource, members: readonly Member[]) {
  const rows: {
    team_id: string;
    user_id: string;
    permissions: string[] | null;
    team: object | null;
  }[] = await preparedQuery(
    ds,
    `SELECT q.team_id, q.user_id, mp.permissions, to_jsonb(t) AS team
         FROM unnest($1::uuid[], $2::uuid[]) AS q(team_id, user_id)
         LEFT JOIN member_permissions mp ON mp.team_id = q.team_id AND mp.user_id = q.user_id
         LEFT JOIN teams t ON t.id = q.team_id`,
    [members.map((m) => m.teamId), members.map((m) => m.userId)],
  );
  const permissions = new Map<string, PermissionSet>();
  const teams = new Map<string, Team>();
  for (const row of rows) {
    if (row.permissions)
      permissions.set(
        memberKey({ teamId: row.team_id, userId: row.user_id }),
        new Set(row.permissions),
      );
    if (row.team) teams.set(row.team_id, hydrate(ds, Team, row.team as Record<string, unknown>));
  }
  return { permissions, teams: [...teams.values()] };
}

/**
 * Per-request batching and caching of lookups by id. The permission rules use them to find the
 * team of the object an argument names, and the field resolvers reuse the same rows, so a
 * check costs no extra query.
 */
export class Loaders {
  // Each loader is made when a request first asks for it: most requests need one or two of them,
  // and making all nine on every request was a tenth of a `{ __typename }` request's own cost.
  #user?: DataLoader<string, User | null>;
  #team?: DataLoader<string, Team | null>;
  #role?: DataLoader<string, Role | null>;
  #membership?: DataLoader<string, Membership | null>;
  #grant?: DataLoader<string, PermissionGrant | null>;
  #apiKey?: DataLoader<string, ApiKey | null>;
  #invitation?: DataLoader<string, Invitation | null>;
  #grantsByMembership?: DataLoader<string, PermissionGrant[]>;
  #memberPermissions?: DataLoader<Member, PermissionSet | null, string>;
  #apiKeyPolicy?: DataLoader<string, ApiKeyPolicy>;
  #webhookEndpoint?: DataLoader<string, WebhookEndpoint | null>;
  #webhookDelivery?: DataLoader<string, WebhookDelivery | null>;

  constructor(private readonly ds: DataSource) {}

  get user() {
    return (this.#user ??= byId(this.ds, User));
  }
  get team() {
    return (this.#team ??= byId(this.ds, Team));
  }
  get role() {
    return (this.#role ??= byId(this.ds, Role));
  }
  get membership() {
    return (this.#membership ??= byId(this.ds, Membership));
  }
  get grant() {
    return (this.#grant ??= byId(this.ds, PermissionGrant));
  }
  get apiKey() {
    return (this.#apiKey ??= byId(this.ds, ApiKey));
  }
  get invitation() {
    return (this.#invitation ??= byId(this.ds, Invitation));
  }
  get webhookEndpoint() {
    return (this.#webhookEndpoint ??= byId(this.ds, WebhookEndpoint));
  }
  get webhookDelivery() {
    return (this.#webhookDelivery ??= byId(this.ds, WebhookDelivery));
  }
  get grantsByMembership() {
    return (this.#grantsByMembership ??= groupedBy(this.ds, PermissionGrant, 'membershipId', {
      createdAt: 'ASC',
    }));
  }
  /** a team's rules for its keys (a team that set none has none) */
  get apiKeyPolicy() {
    return (this.#apiKeyPolicy ??= new DataLoader(async (teamIds: readonly string[]) => {
      const found = await this.ds.getRepository(ApiKeyPolicy).findBy({ teamId: In([...teamIds]) });
      const byTeam = new Map(found.map((policy) => [policy.teamId, policy]));
      return teamIds.map((teamId) => byTeam.get(teamId) ?? noRules(teamId));
    }));
  }
  /** a member's permissions in a team (null: not a member); the caller's and key owners' alike */
  get memberPermissions() {
    return (this.#memberPermissions ??= new DataLoader<Member, PermissionSet | null, string>(
      async (members) => {
        const { permissions, teams } = await permissionsAndTeams(this.ds, members);
        // whoever asks what a member holds in a team is about to show or check that team
        for (const row of teams) this.team.prime(row.id, row);
        return members.map((member) => permissions.get(memberKey(member)) ?? null);
      },
      { cacheKeyFn: memberKey },
    ));
  }
}

export function createLoaders(ds: DataSource): Loaders {
  return new Loaders(ds);
}
