import DataLoader from 'dataloader';
import { In, type DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { ApiKey } from './api-key/api-key.entity';
import { Invitation } from './invitation/invitation.entity';
import { Membership } from './team/membership.entity';
import { PermissionGrant } from './team/permission-grant.entity';
import { Role } from './team/role.entity';
import { Team } from './team/team.entity';
import { User } from './user/user.entity';
import {
  memberKey,
  memberPermissions,
  type Member,
  type PermissionSet,
} from '../permissions/member-permissions';

function byId<T extends ObjectLiteral & { id: string }>(
  ds: DataSource,
  entity: EntityTarget<T>,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await ds.getRepository(entity).findBy({ id: In([...ids]) } as never);
    const map = new Map(rows.map((row) => [row.id, row]));
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
 * Per-request batching and caching of lookups by id. The permission rules use them to find the
 * team of the object an argument names, and the field resolvers reuse the same rows, so a
 * check costs no extra query.
 */
export function createLoaders(ds: DataSource) {
  return {
    user: byId(ds, User),
    team: byId(ds, Team),
    role: byId(ds, Role),
    membership: byId(ds, Membership),
    grant: byId(ds, PermissionGrant),
    apiKey: byId(ds, ApiKey),
    invitation: byId(ds, Invitation),
    grantsByMembership: groupedBy(ds, PermissionGrant, 'membershipId', { createdAt: 'ASC' }),
    /** a member's permissions in a team (null: not a member); the caller's and key owners' alike */
    memberPermissions: new DataLoader<Member, PermissionSet | null, string>(
      async (members) => {
        const found = await memberPermissions(ds, members);
        return members.map((member) => found.get(memberKey(member)) ?? null);
      },
      { cacheKeyFn: memberKey },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
